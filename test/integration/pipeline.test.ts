import { SpanKind } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QUEUES } from '../../src/ports/index.js';
import { buildPipeline, counted, passFor, spans, type Pipeline } from '../../testkit/in-process.js';
import { waitFor } from '../../testkit/index.js';
import { envelope } from '../contract/fixtures.js';

describe('the pipeline end to end, in one process on SQLite', () => {
  let p: Pipeline;
  beforeEach(async () => {
    spans.reset();
    p = await buildPipeline({ maxAttempts: 2 });
    p.startConsumers();
  });
  afterEach(async () => p.close());

  const submit = async (evacueeId: string, body: unknown): Promise<string> => {
    const res = await p.app.inject({
      method: 'POST',
      url: '/api/wishes',
      headers: { authorization: `Bearer ${passFor(evacueeId)}` },
      payload: body as object,
    });
    expect(res.statusCode).toBe(202);
    return res.json<{ id: string }>().id;
  };
  const statusOf = async (id: string) =>
    (await p.app.inject(`/api/wishes/${id}`)).json<{ status: string; reason?: string }>();
  const settled = async (id: string) => {
    await waitFor(async () => (await statusOf(id)).status !== 'pending', 5000, `wish ${id} stayed pending`);
    return statusOf(id);
  };

  it('stores a wish word for word, shows it on the wall as written and counts it', async () => {
    const id = await submit('EV-00001', {
      destination: 'europa',
      to: 'Sam <sam@example.org>',
      message: 'Feed <b>the</b> cat\nif a<b and c>d',
    });
    expect(await settled(id)).toMatchObject({ status: 'stored', markupFlagged: true, destination: 'europa' });
    await waitFor(
      async () => (await p.app.inject('/api/tally')).json<{ europa: number }>().europa === 1,
      5000,
      'tally never moved',
    );
    expect((await p.app.inject('/api/wall?destination=europa')).json()).toMatchObject({
      items: [{ id, message: 'Feed <b>the</b> cat\nif a<b and c>d', to: 'Sam <sam@example.org>' }],
      next: null,
    });
  });

  it('a wish that is nothing but markup is stored as text, flagged, and reported as an injection attempt: ids and time, never the text', async () => {
    const attemptsBefore = await counted('exodus.wish.injection_attempts');
    const message = '<script>alert("only-in-the-wish")</script>';
    const id = await submit('EV-00002', { destination: 'mars', message });
    expect(await settled(id)).toMatchObject({ status: 'stored', markupFlagged: true });
    const report = p.logs
      .lines()
      .find((line) => line['msg'] === 'injection attempt: the wish looks like markup (kept as text, flagged)');
    expect(report).toMatchObject({
      level: 40,
      evacueeId: 'EV-00002',
      wishId: id,
      submittedAt: expect.any(String) as unknown,
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown,
    });
    expect(p.logs.raw.join('\n')).not.toContain('only-in-the-wish');
    expect((await counted('exodus.wish.injection_attempts')) - attemptsBefore).toBe(1);
    const parsing = spans
      .getFinishedSpans()
      .find(
        (span) =>
          span.name === 'process intake' && span.events.some((event) => event.name === 'exodus.injection_attempt'),
      );
    expect(parsing?.events.find((event) => event.name === 'exodus.injection_attempt')?.attributes).toEqual({
      'exodus.evacuee.id': 'EV-00002',
      'exodus.wish.id': id,
      'exodus.wish.submitted_at': expect.any(String) as unknown,
    });
    expect(JSON.stringify(spans.getFinishedSpans().map((span) => [span.attributes, span.events]))).not.toContain(
      'only-in-the-wish',
    );
    // Plain text raises nothing.
    await settled(await submit('EV-00003', { destination: 'mars', message: 'I <3 you, Mum <mum@example.org>' }));
    expect((await counted('exodus.wish.injection_attempts')) - attemptsBefore).toBe(1);
  });

  it('rejects with its reason, without retrying or dead-lettering, a wish from outside the front door that breaks the rules', async () => {
    const intake = p.messaging.queue(QUEUES.intake);
    const id = '0190a000-0000-7000-8000-00000000abcd';
    await intake.send([
      envelope(`${id}.accepted`, {
        id,
        evacueeId: 'EV-00009',
        submittedAt: new Date().toISOString(),
        destination: 'mars',
        message: 'reversed \u202Etext',
      }),
    ]);
    await waitFor(async () => (await p.storage.store.get(id))?.status === 'rejected', 5000, 'never rejected');
    expect(await p.storage.store.get(id)).toMatchObject({
      status: 'rejected',
      reason: expect.stringMatching(/^message: character 10 \(U\+202E\) is a bidi override/) as unknown,
    });
    expect(await statusOf(id)).toMatchObject({
      id,
      status: 'rejected',
      reason: expect.stringMatching(/bidi override/) as unknown,
    });
    expect(await intake.stats()).toMatchObject({ ready: 0, inFlight: 0, dead: 0 });
  });

  it('a replacement supersedes the earlier wish and moves the count to the new destination', async () => {
    const first = await submit('EV-00003', { destination: 'mars', message: 'first' });
    await settled(first);
    const second = await submit('EV-00003', { destination: 'europa', message: 'second thoughts' });
    expect(await settled(second)).toMatchObject({ status: 'stored' });
    expect(await statusOf(first)).toMatchObject({ status: 'superseded' });
    await waitFor(
      async () => JSON.stringify((await p.app.inject('/api/tally')).json()) === '{"mars":0,"europa":1}',
      5000,
      'count did not move',
    );
  });

  it('dead-letters a poison message with its error; redrive puts it back intact', async () => {
    const intake = p.messaging.queue(QUEUES.intake);
    const poison = envelope('poison-1', { not: 'a wish' });
    await intake.send([poison]);
    await waitFor(async () => (await intake.stats()).dead === 1, 5000, 'poison was not dead-lettered');
    const [letter] = await intake.deadLetters.list(10);
    expect(letter).toMatchObject({
      message: poison,
      lastError: expect.stringMatching(/PermanentError: message payload has no valid id/) as unknown,
    });
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
    expect(byName('send intake')?.attributes).toMatchObject({
      'messaging.message.id': `${id}.accepted`,
      'messaging.batch.message_count': 1,
      'messaging.operation.type': 'send',
    });
    expect(byName('send wish.parsed')?.attributes).toMatchObject({
      'messaging.message.id': `${id}.parsed`,
      'messaging.destination.name': 'wish.parsed',
    });
    // Receives are their own traces (a batch joins many): each a CLIENT span counting what it took.
    const receive = finished.find(
      (s) => s.name === 'receive intake' && Number(s.attributes['messaging.batch.message_count']) > 0,
    );
    expect(receive?.kind).toBe(SpanKind.CLIENT);
    // The receive that took the wish links to the trace that made it, naming the message.
    const took = finished.find(
      (s) => s.name === 'receive intake' && s.links.some((l) => l.context.traceId === traceId),
    );
    expect(took?.links.find((l) => l.context.traceId === traceId)?.attributes).toEqual({
      'messaging.message.id': `${id}.accepted`,
    });
    expect(receive?.attributes).toMatchObject({
      'messaging.system': 'exodus',
      'messaging.operation.type': 'receive',
      'messaging.destination.name': 'intake',
    });
    expect(byName('process store')?.kind).toBe(SpanKind.CONSUMER);
    expect(byName('process store')?.attributes).toMatchObject({
      'messaging.destination.name': 'store',
      'messaging.operation.type': 'process',
    });
  });

  it('logs JSON with trace ids, and never the wish text or the boarding pass', async () => {
    const secretText = 'my-very-private-wish-text';
    const id = await submit('EV-00005', { destination: 'mars', to: 'private-recipient', message: secretText });
    await settled(id);
    await settled(await submit('EV-00006', { destination: 'mars', message: '<b>private-markup</b>' }));
    expect(p.logs.raw.some((line) => line.includes('injection attempt'))).toBe(true);
    const all = p.logs.raw.join('\n');
    expect(all).not.toContain(secretText);
    expect(all).not.toContain('private-recipient');
    expect(all).not.toContain('private-markup');
    expect(all).not.toContain(passFor('EV-00005'));
    expect(all).not.toContain(passFor('EV-00005').split('.')[2]);
    const handled = p.logs.lines().filter((line) => line['wishId'] !== undefined);
    expect(handled.length).toBeGreaterThan(0);
    for (const line of handled) expect(line['trace_id']).toMatch(/^[0-9a-f]{32}$/);
  });
});
