import { afterEach, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/domain/index.js';
import { QUEUES, type WishStore } from '../../src/ports/index.js';
import { buildPipeline, passFor, type Pipeline } from '../../testkit/in-process.js';
import { intercept, waitFor } from '../../testkit/index.js';

describe('a dependency outage', () => {
  let p: Pipeline | undefined;
  afterEach(async () => p?.close());

  it('spends no attempts: messages are held through a 2 s store outage (maxAttempts 2) and all stored after', async () => {
    // The outage starts at the store's first call (not at a wall-clock time a slow machine may already have passed).
    let downUntil = Number.POSITIVE_INFINITY;
    let refused = 0;
    // The real store behind a switch: "connection refused" until the outage ends, as a restarting database answers.
    const flaky = (real: WishStore): WishStore =>
      intercept(real, (_method, call) => {
        if (downUntil === Number.POSITIVE_INFINITY) downUntil = Date.now() + 2_000;
        if (Date.now() >= downUntil) return call();
        refused++;
        return Promise.reject(new TransientError('store-unavailable', 'connect ECONNREFUSED (test outage)'));
      });
    p = await buildPipeline({ maxAttempts: 2, logLevel: 'info', workerStore: flaky });
    p.startConsumers();
    const ids: string[] = [];
    for (let i = 1; i <= 20; i++) {
      const res = await p.app.inject({
        method: 'POST',
        url: '/api/wishes',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${passFor(`EV-${String(i).padStart(5, '0')}`)}`,
        },
        payload: JSON.stringify({ destination: 'mars', message: `wish ${i}` }),
      });
      expect(res.statusCode).toBe(202);
      ids.push(res.json<{ id: string }>().id);
    }
    const app = p;
    await waitFor(
      async () => (await app.storage.store.countCurrent()).mars === 20,
      15_000,
      'not all stored after the outage',
    );
    downUntil = 0;
    // More refusals than maxAttempts allows one message: had a refusal spent an attempt, something would be dead.
    expect(refused).toBeGreaterThan(2);
    expect((await app.messaging.queue(QUEUES.store).stats()).dead).toBe(0);
    for (const id of ids) expect((await app.storage.store.get(id))?.status).toBe('stored');
    expect(app.logs.raw.some((line) => line.includes('dependency unavailable; holding the message'))).toBe(true);
    expect(app.logs.raw.filter((line) => line.includes('dependency unavailable')).length).toBeLessThan(200);
  });

  it('reads while the store and the read model are away answer 503 problem+json with Retry-After, never 500', async () => {
    const away = <T extends object>(real: T): T =>
      intercept(real, () =>
        Promise.reject(
          new TransientError('postgres_unavailable', 'database "test" is not currently accepting connections'),
        ),
      );
    p = await buildPipeline({ logLevel: 'silent', frontendStore: away, readModel: away });
    for (const url of [
      '/api/wishes/01a22a7f-53f7-750a-a161-fa1e31321067',
      '/api/wall?destination=mars',
      '/api/tally',
      '/api/canary',
    ]) {
      const res = await p.app.inject({ method: 'GET', url });
      expect({
        url,
        status: res.statusCode,
        type: res.headers['content-type'],
        retryAfter: res.headers['retry-after'],
      }).toEqual({ url, status: 503, type: 'application/problem+json; charset=utf-8', retryAfter: '2' });
      expect(res.json<{ type: string }>().type).toBe('/problems/store-unavailable');
    }
  });
});
