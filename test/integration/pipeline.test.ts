import { SpanKind } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QUEUES } from '../../src/ports/index.js';
import { envelope } from '../contract/fixtures.js';
import { waitFor } from '../support/system.js';
import { buildPipeline, passFor, spans, type Pipeline } from '../support/in-process.js';

describe('the pipeline end to end, in one process on SQLite', () => {
  let p: Pipeline;
  beforeEach(async () => {
    spans.reset();
    p = await buildPipeline({ maxAttempts: 2 });
    p.startConsumers();
  });
  afterEach(async () => p.close());

  const submit = async (evacueeId: string, body: unknown): Promise<string> => {
    const res = await p.app.inject({ method: 'POST', url: '/api/wishes', headers: { authorization: `Bearer ${passFor(evacueeId)}` }, payload: body as object });
    expect(res.statusCode).toBe(202);
    return res.json<{ id: string }>().id;
  };
  const statusOf = async (id: string) => (await p.app.inject(`/api/wishes/${id}`)).json<{ status: string; reason?: string }>();
  const settled = async (id: string) => {
    await waitFor(async () => (await statusOf(id)).status !== 'pending', 5000, `wish ${id} stayed pending`);
    return statusOf(id);
  };

  it('stores a wish, shows it on the wall as plain text and counts it', async () => {
    const id = await submit('EV-00001', { destination: 'europa', to: 'Sam', message: 'Feed <b>the</b> cat' });
    expect(await settled(id)).toMatchObject({ status: 'stored', markupRemoved: true, destination: 'europa' });
    await waitFor(async () => (await p.app.inject('/api/tally')).json<{ europa: number }>().europa === 1, 5000, 'tally never moved');
    expect((await p.app.inject('/api/wall?destination=europa')).json()).toMatchObject({ items: [{ id, message: 'Feed the cat', to: 'Sam' }], next: null });
  });

  it('rejects an empty-once-screened message with its reason, without retrying or dead-lettering it', async () => {
    const id = await submit('EV-00002', { destination: 'mars', message: '<script>alert(1)</script>' });
    expect(await settled(id)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/empty/) as unknown });
    expect(await p.messaging.queue(QUEUES.intake).stats()).toMatchObject({ ready: 0, inFlight: 0, dead: 0 });
  });

  it('a replacement supersedes the earlier wish and moves the count to the new destination', async () => {
    const first = await submit('EV-00003', { destination: 'mars', message: 'first' });
    await settled(first);
    const second = await submit('EV-00003', { destination: 'europa', message: 'second thoughts' });
    expect(await settled(second)).toMatchObject({ status: 'stored' });
    expect(await statusOf(first)).toMatchObject({ status: 'superseded' });
    await waitFor(async () => JSON.stringify((await p.app.inject('/api/tally')).json()) === '{"mars":0,"europa":1}', 5000, 'count did not move');
  });

  it('dead-letters a poison message with its error; redrive puts it back intact', async () => {
    const intake = p.messaging.queue(QUEUES.intake);
    const poison = envelope('poison-1', { not: 'a wish' });
    await intake.send([poison]);
    await waitFor(async () => (await intake.stats()).dead === 1, 5000, 'poison was not dead-lettered');
    const [letter] = await intake.deadLetters.list(10);
    expect(letter).toMatchObject({ message: poison, lastError: expect.stringMatching(/PermanentError: message payload has no valid id/) as unknown });
    expect(await intake.deadLetters.redrive(['poison-1'])).toBe(1);
    await waitFor(async () => (await intake.stats()).dead === 1, 5000, 'redriven poison did not come back to the DLQ');
    expect((await intake.deadLetters.get('poison-1'))?.message).toEqual(poison);
  });

  it('one trace follows a wish from the POST through every queue hop to the store and the tally', async () => {
    const id = await submit('EV-00004', { destination: 'mars', message: 'trace me' });
    await settled(id);
    await waitFor(() => spans.getFinishedSpans().some((s) => s.name === 'process tally'), 5000, 'no tally span');
    const finished = spans.getFinishedSpans();
    const post = finished.find((s) => s.name === 'POST /api/wishes');
    expect(post?.kind).toBe(SpanKind.SERVER);
    expect(post?.resource.attributes['service.name']).toBe('exodus-test');
    const traceId = post?.spanContext().traceId;
    const inTrace = finished.filter((s) => s.spanContext().traceId === traceId);
    const byName = (name: string) => inTrace.find((s) => s.name === name);
    const parentOf = (name: string) => byName(name)?.parentSpanContext?.spanId;
    expect(parentOf('send intake')).toBe(post?.spanContext().spanId);
    expect(parentOf('process intake')).toBe(byName('send intake')?.spanContext().spanId);
    expect(parentOf('send wish.parsed')).toBe(byName('process intake')?.spanContext().spanId);
    expect(parentOf('process store')).toBe(byName('send wish.parsed')?.spanContext().spanId);
    expect(parentOf('process tally')).toBe(byName('send wish.parsed')?.spanContext().spanId);
    expect(byName('send intake')?.kind).toBe(SpanKind.PRODUCER);
    expect(byName('process store')?.kind).toBe(SpanKind.CONSUMER);
    expect(byName('process store')?.attributes).toMatchObject({ 'messaging.destination.name': 'store', 'messaging.operation.type': 'process' });
  });

  it('logs JSON with trace ids, and never the wish text or the boarding pass', async () => {
    const secretText = 'my-very-private-wish-text';
    const id = await submit('EV-00005', { destination: 'mars', to: 'private-recipient', message: secretText });
    await settled(id);
    await submit('EV-00006', { destination: 'mars', message: '<b></b>' });
    await waitFor(() => p.logs.raw.some((line) => line.includes('wish rejected')), 5000, 'no rejection logged');
    const all = p.logs.raw.join('\n');
    expect(all).not.toContain(secretText);
    expect(all).not.toContain('private-recipient');
    expect(all).not.toContain(passFor('EV-00005'));
    expect(all).not.toContain(passFor('EV-00005').split('.')[2]);
    const handled = p.logs.lines().filter((line) => line['wishId'] !== undefined);
    expect(handled.length).toBeGreaterThan(0);
    for (const line of handled) expect(line['trace_id']).toMatch(/^[0-9a-f]{32}$/);
  });
});
