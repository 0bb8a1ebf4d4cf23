import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QUEUES } from '../../src/ports/index.js';
import { buildPipeline, passFor, type Pipeline } from '../../testkit/in-process.js';

const wish = { destination: 'mars', to: 'Mum', message: 'Keep the garden alive' };

describe('the REST API (real SQLite engines, consumers stopped)', () => {
  let p: Pipeline;
  beforeEach(async () => {
    p = await buildPipeline();
  });
  afterEach(async () => p.close());

  const post = (body: unknown, headers: Record<string, string> = {}, pass: string | null = passFor('EV-00001')) =>
    p.app.inject({
      method: 'POST',
      url: '/api/wishes',
      headers: {
        'content-type': 'application/json',
        ...(pass === null ? {} : { authorization: `Bearer ${pass}` }),
        ...headers,
      },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('answers 202 with the id only once the intake queue holds the wish', async () => {
    const res = await post(wish);
    expect(res.statusCode).toBe(202);
    const body = res.json<{ id: string; status: string; statusUrl: string }>();
    expect(body).toMatchObject({ status: 'pending', evacueeId: 'EV-00001', destination: 'mars' });
    expect(res.headers['location']).toBe(`/api/wishes/${body.id}`);
    const [queued] = await p.messaging.queue(QUEUES.intake).receive(10, 1000);
    expect(queued?.message).toMatchObject({
      specversion: '1.0',
      type: 'exodus.wish.accepted',
      data: { id: body.id, message: wish.message },
    });
    expect(queued?.message.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });

  it('reports an accepted wish as pending until the pipeline records it', async () => {
    const { id } = (await post(wish)).json<{ id: string }>();
    expect((await p.app.inject(`/api/wishes/${id}`)).json()).toEqual({ id, status: 'pending' });
    expect((await p.app.inject('/api/wishes/not-an-id')).statusCode).toBe(404);
  });

  it('an id it has not seen is pending only if it is a UUIDv7 this API could have issued in the last 7 days', async () => {
    /** A UUIDv7 whose timestamp is `ms` since the epoch. */
    const v7At = (ms: number): string => {
      const hex = ms.toString(16).padStart(12, '0');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7abc-8def-0123456789ab`;
    };
    const status = async (id: string) => (await p.app.inject(`/api/wishes/${id}`)).statusCode;
    const day = 24 * 3600_000;
    expect(await status(v7At(Date.now()))).toBe(200);
    expect(await status(v7At(Date.now() - 6.9 * day))).toBe(200);
    expect(await status(v7At(Date.now() - 7.1 * day))).toBe(404);
    expect(await status(v7At(Date.now() + 30_000))).toBe(200); // a clock a little ahead
    expect(await status(v7At(Date.now() + 5 * 60_000))).toBe(404);
    expect(await status(v7At(Date.now()).replace('-7abc-', '-4abc-'))).toBe(404); // a UUIDv4 was never ours
    expect(await status(v7At(Date.now()).replace('-8def-', '-cdef-'))).toBe(404); // nor another variant
    expect(await status(v7At(Date.now()).toUpperCase())).toBe(404);
  });

  it('401 without a pass, with a malformed one, or with one forged for another evacuee, with a type per reason', async () => {
    const forged = passFor('EV-00001').replace('EV-00001', 'EV-00002');
    const cases: [string | null, string][] = [
      [null, '/problems/pass-missing'],
      ['garbage', '/problems/pass-malformed'],
      [`${passFor('EV-00001')} extra`, '/problems/pass-malformed'],
      [forged, '/problems/pass-invalid'],
      [passFor('EV-00001', new Date(Date.now() - 1000)), '/problems/pass-expired'],
    ];
    const raw = async (authorization: string) =>
      (await post(wish, { authorization }, null)).json<{ type: string }>().type;
    expect(await raw('')).toBe('/problems/pass-missing');
    expect(await raw(`xBearer ${passFor('EV-00001')}`)).toBe('/problems/pass-malformed');
    expect(await raw(`Bearer ${passFor('EV-00001')} trailing`)).toBe('/problems/pass-malformed');
    for (const [pass, type] of cases) {
      const res = await post(wish, {}, pass);
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.json(), String(pass)).toMatchObject({ status: 401, type });
    }
    expect((await p.messaging.queue(QUEUES.intake).stats()).ready).toBe(0);
    // The scheme is case-insensitive and may be followed by any run of spaces (RFC 9110 §11.4).
    expect((await post(wish, { authorization: `bearer   ${passFor('EV-00001')}` }, null)).statusCode).toBe(202);
  });

  it('queues the text exactly as written (NFC), markup and all; refuses at the door, naming the field, only what cannot be shown', async () => {
    const res = await post({
      destination: 'mars',
      to: 'Mum <mum@example.org>',
      message: 'if a<b and c>d, cafe\u0301 <script>alert(1)</script>',
    });
    expect(res.statusCode).toBe(202);
    const [queued] = await p.messaging.queue(QUEUES.intake).receive(10, 1000);
    expect(queued?.message.data).toMatchObject({
      to: 'Mum <mum@example.org>',
      message: 'if a<b and c>d, caf\u00e9 <script>alert(1)</script>',
    });

    for (const [field, text, reason] of [
      ['message', 'lone \ud800 surrogate', /character 6 \(U\+D800\) is not valid Unicode/],
      ['message', 'bell\u0007', /control character/],
      ['to', '\u202Emum', /bidi override/],
    ] as const) {
      const refused = await post({ destination: 'mars', message: 'hello', [field]: text });
      expect(refused.statusCode, JSON.stringify(text)).toBe(400);
      expect(refused.json(), JSON.stringify(text)).toMatchObject({
        type: '/problems/invalid-wish',
        errors: [{ field, reason: expect.stringMatching(reason) as unknown }],
      });
    }
    expect((await p.messaging.queue(QUEUES.intake).stats()).ready).toBe(0);
  });

  it('400 names every bad field in RFC 9457 problem details', async () => {
    const res = await post({ destination: 'venus', message: '', to: 7 });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({
      status: 400,
      type: '/problems/invalid-wish',
      errors: [
        { field: 'destination', reason: expect.any(String) as unknown },
        { field: 'to', reason: 'must be a string' },
        { field: 'message', reason: 'must not be empty' },
      ],
    });
  });

  it('400 for broken JSON, 413 for a body over the limit, 415 for another content type', async () => {
    expect((await post('{"destination":')).statusCode).toBe(400);
    expect((await post({ ...wish, message: 'x'.repeat(20_000) })).statusCode).toBe(413);
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'text/plain; charset=utf-8']) {
      const res = await post(JSON.stringify(wish), { 'content-type': type });
      expect(res.statusCode, type).toBe(415);
      expect(res.json(), type).toMatchObject({ status: 415, title: 'Unsupported media type' });
    }
    expect((await p.messaging.queue(QUEUES.intake).stats()).ready).toBe(0);
  });

  it('Idempotency-Key: a retried request gets the first answer, not a second wish', async () => {
    const first = await post(wish, { 'idempotency-key': 'k1' });
    const again = await post(wish, { 'idempotency-key': 'k1' });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect((await p.messaging.queue(QUEUES.intake).stats()).ready).toBe(1);
    // An empty key is no key: each such request is a wish of its own.
    const [one, two] = [await post(wish, { 'idempotency-key': '' }), await post(wish, { 'idempotency-key': '' })];
    expect(one.json<{ id: string }>().id).not.toBe(two.json<{ id: string }>().id);
    expect(two.headers['idempotent-replayed']).toBeUndefined();
    const misuse = await post({ ...wish, message: 'something else' }, { 'idempotency-key': 'k1' });
    expect(misuse.statusCode).toBe(422);
    // Keys are per evacuee: the same key from someone else is their own request.
    expect((await post(wish, { 'idempotency-key': 'k1' }, passFor('EV-00009'))).json()).not.toMatchObject({
      id: first.json<{ id: string }>().id,
    });
  });

  it('503 with Retry-After when the queue cannot take the wish durably', async () => {
    await p.messaging.close();
    const res = await post(wish);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.json()).toMatchObject({ status: 503, type: '/problems/intake-unavailable' });
    expect((await p.app.inject('/readyz')).statusCode).toBe(503);
  });

  it('validates wall queries by field and serves an empty wall and tally', async () => {
    const bad = await p.app.inject('/api/wall?limit=0&destination=venus');
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json<{ errors: { field: string }[] }>()
        .errors.map((e) => e.field)
        .sort(),
    ).toEqual(['destination', 'limit']);
    expect((await p.app.inject('/api/wall?cursor=bm9wZQ')).json()).toMatchObject({
      status: 400,
      errors: [{ field: 'cursor' }],
    });
    expect((await p.app.inject('/api/wall')).json()).toEqual({ items: [], next: null });
    expect((await p.app.inject('/api/tally')).json()).toEqual({ mars: 0, europa: 0 });
  });

  it('publishes an OpenAPI document of the API, and health endpoints', async () => {
    const doc = (await p.app.inject('/api/openapi.json')).json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/canary',
      '/api/tally',
      '/api/wall',
      '/api/wishes',
      '/api/wishes/{id}',
    ]);
    expect((await p.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await p.app.inject('/readyz')).json()).toEqual({ status: 'ready' });
    expect((await p.app.inject('/nowhere')).statusCode).toBe(404);
  });
});
