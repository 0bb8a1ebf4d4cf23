import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { Queue, WishStore } from '../../src/ports/index.js';
import { buildPipeline, counted, passFor, type Pipeline, type PipelineOptions } from '../../testkit/in-process.js';
import { intercept, saturate, waitFor } from '../../testkit/index.js';

/*
 * The admission (admission.ts) on a real listening frontend: `inject` never meets it, sockets do.
 * Deadlines are generous and every wait is on a condition: two shared cores, maybe saturated.
 */

/** No answer for this long is a hang, and fails the test rather than waiting on it. */
const HANG_MS = 20_000;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

describe('the front door under more requests than it holds', () => {
  let p: Pipeline | undefined;
  let pool: Pool | undefined;
  let origin = '';
  const open = async (options: PipelineOptions): Promise<Pipeline> => {
    p = await buildPipeline(options);
    origin = await p.app.listen({ host: '127.0.0.1', port: 0 });
    pool = new Pool(origin, { connections: 200, headersTimeout: HANG_MS, bodyTimeout: HANG_MS });
    return p;
  };
  afterEach(async () => {
    await pool?.close();
    await p?.close();
    p = pool = undefined;
  });

  const send = async (
    path: string,
    options: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {},
  ): Promise<Answer> => {
    const res = await (pool as Pool).request({
      method: options.method ?? 'GET',
      path,
      headers: options.headers ?? {},
      body: options.body ?? null,
    });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  };
  const postWish = (evacueeId: string): Promise<Answer> =>
    send('/api/wishes', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${passFor(evacueeId)}` },
      body: JSON.stringify({ destination: 'mars', to: 'Mum', message: `from ${evacueeId}` }),
    });
  const evacuee = (i: number): string => `EV-${String(i).padStart(5, '0')}`;
  const expectShed = (answer: Answer): void => {
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('1');
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 503, type: '/problems/overloaded' });
  };

  it('past its cap, 503 + Retry-After at once (writes and reads alike), probes answered, nothing queued; then it takes wishes again', async () => {
    const gate = new Gate();
    const app = await open({ frontDoor: { maxRequestsInFlight: 20 }, frontendStore: gate.holdingReads });
    const shedBefore = await shedCount();
    // Twenty status reads held inside the frontend: the cap is full.
    const held = Array.from({ length: 20 }, () => send(`/api/wishes/${UNKNOWN_ID}`));
    await waitFor(() => gate.waiting === 20, HANG_MS, 'the reads never reached the store');

    const started = Date.now();
    const refused = await Promise.all(Array.from({ length: 60 }, (_, i) => postWish(evacuee(i + 1))));
    const tookMs = Date.now() - started;
    for (const answer of refused) expectShed(answer);
    expectShed(await send('/api/tally'));
    // Answered while the held requests still wait: refusals do not queue behind them.
    expect(gate.waiting).toBe(20);
    expect(tookMs).toBeLessThan(HANG_MS / 2);
    expect(await app.messaging.queue('intake').stats()).toMatchObject({ ready: 0, inFlight: 0 });

    // Probes always; a browser gets the sorry page, with the page's security headers.
    expect((await send('/healthz')).status).toBe(200);
    expect((await send('/readyz')).status).toBe(200);
    const page = await send('/', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(503);
    expect(page.headers['retry-after']).toBe('1');
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");

    // Counted as load shedding (the refusal metric and the shedding event), like every other shed.
    expect((await shedCount()) - shedBefore).toBeGreaterThanOrEqual(62);
    await waitFor(
      () =>
        app.logs
          .lines()
          .some((line) => line['event'] === 'load_shedding.on' && line['reason'] === 'requests-in-flight'),
      HANG_MS,
      'no load_shedding.on for requests-in-flight',
    );

    gate.open();
    for (const answer of await Promise.all(held)) expect(answer.status).toBe(404);
    // Every place given back: the same wishes now go through (fewer at once than the cap), and are kept.
    app.startConsumers();
    const accepted: Answer[] = [];
    for (const first of [1, 16])
      accepted.push(...(await Promise.all(range(first, 15).map((i) => postWish(evacuee(i))))));
    for (const answer of accepted) expect(answer.status).toBe(202);
    await expectKept(app, accepted);
  });

  it('a burst far past the cap: every request answered (202 or 503 + Retry-After), none hangs, every 202 kept', async () => {
    const app = await open({ frontDoor: { maxRequestsInFlight: 10 }, intake: slowSends(200) });
    app.startConsumers();
    const answers = await Promise.all(Array.from({ length: 150 }, (_, i) => postWish(evacuee(i + 1))));
    const accepted = answers.filter((answer) => answer.status === 202);
    for (const answer of answers.filter((a) => a.status !== 202)) expectShed(answer);
    expect(accepted.length).toBeGreaterThan(0);
    expect(answers.length - accepted.length).toBeGreaterThan(0);
    await expectKept(app, accepted);
  });

  it('while the event loop lags, a client on a socket is refused before Fastify (503 + Retry-After), probes answered, and it recovers', async () => {
    const app = await open({ frontDoor: { shedEventLoopDelayMs: 40 } });
    const overloaded = saturate();
    try {
      await waitFor(
        async () => (await postWish(evacuee(1))).status === 503,
        HANG_MS,
        'never shed under event-loop lag',
      );
      const shed = await postWish(evacuee(1));
      expect(shed.status).toBe(503);
      expect(shed.headers['retry-after']).toBe('2');
      expect(JSON.parse(shed.body)).toMatchObject({ type: '/problems/overloaded' });
      const page = await send('/', { headers: { accept: 'text/html' } });
      expect(page.status).toBe(503);
      expect(page.headers['content-security-policy']).toContain("default-src 'none'");
      expect((await send('/healthz')).status).toBe(200);
      await waitFor(
        () =>
          app.logs
            .lines()
            .some((line) => line['event'] === 'load_shedding.on' && line['reason'] === 'event-loop-delay'),
        HANG_MS,
        'no load_shedding.on for event-loop-delay',
      );
    } finally {
      overloaded.stop();
    }
    await waitFor(async () => (await postWish(evacuee(1))).status === 202, HANG_MS, 'never recovered');
  });

  it('past its connection cap, a new connection’s requests get 503 + Retry-After and it is closed; the others go on', async () => {
    await open({ frontDoor: { maxConnections: 3 } });
    const clients = Array.from({ length: 5 }, () => new Client(origin, { headersTimeout: HANG_MS }));
    try {
      const answers: Answer[] = [];
      // One at a time, so which connections came past the cap is known: the fourth and the fifth.
      for (const client of clients) {
        const res = await client.request({ method: 'GET', path: '/api/tally' });
        answers.push({ status: res.statusCode, headers: res.headers, body: await res.body.text() });
      }
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 503, 503]);
      for (const answer of answers.slice(3)) {
        expect(answer.headers['retry-after']).toBe('2');
        expect(answer.headers['connection']).toBe('close');
      }
      // The three under the cap keep their connections and are answered again.
      for (const client of clients.slice(0, 3))
        expect((await client.request({ method: 'GET', path: '/api/tally' })).statusCode).toBe(200);
      // Probes are answered on any connection.
      const late = new Client(origin, { headersTimeout: HANG_MS });
      clients.push(late);
      expect((await late.request({ method: 'GET', path: '/healthz' })).statusCode).toBe(200);
    } finally {
      await Promise.all(clients.map((client) => client.destroy()));
    }
  });
});

/** A well-formed wish id that no one was given: its status read goes to the store and comes back 404. */
const UNKNOWN_ID = '00000000-0000-7000-8000-000000000000';

const range = (first: number, count: number): number[] => Array.from({ length: count }, (_, i) => first + i);

const shedCount = (): Promise<number> =>
  counted('exodus.http.server.refused_requests', {
    'exodus.refusal.reason': 'overloaded',
    'http.response.status_code': 503,
  });

/** Holds the frontend's status reads (the real store behind) until opened. */
class Gate {
  waiting = 0;
  #open = false;
  readonly #opened: Promise<void>;
  #release: () => void = () => undefined;
  constructor() {
    this.#opened = new Promise((done) => (this.#release = done));
  }
  open(): void {
    this.#open = true;
    this.#release();
  }
  readonly holdingReads = (real: WishStore): WishStore =>
    intercept(real, (method, call) => {
      if (method !== 'get' || this.#open) return call();
      this.waiting++;
      return this.#opened.then(call);
    });
}

function slowSends(ms: number): (real: Queue) => Queue {
  return (real) => intercept(real, (method, call) => (method === 'send' ? sleep(ms).then(call) : call()));
}

/** Every accepted wish (a 202 means durable) reaches the store. */
async function expectKept(app: Pipeline, accepted: readonly Answer[]): Promise<void> {
  const ids = accepted.map((answer) => (JSON.parse(answer.body) as { id: string }).id);
  await waitFor(
    async () => (await Promise.all(ids.map((id) => app.storage.store.get(id)))).every((wish) => wish !== undefined),
    60_000,
    'an accepted wish was never stored',
    200,
  );
}
