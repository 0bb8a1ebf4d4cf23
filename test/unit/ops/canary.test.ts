import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CANARY_DEADLINE_MS, canaryRun } from '../../../src/ops/canary.js';
import { readRoster } from '../../../src/ops/roster.js';
import { createLogger, reportCanaryRun, withoutOkCanaryRuns, type CanaryRun } from '../../../src/runtime/index.js';
import { runOf } from '../../../src/services/console/canary.js';
import { counted } from '../../../testkit/in-process.js';
import { tempDir } from '../../../testkit/index.js';

/**
 * The canary's rules: what a run measures (from its POST to the 202, to `stored`, onto the read
 * model), when it fails and how it says why, and what each run leaves behind (metrics, the
 * freshness SLO's input, one log record the console reads back).
 */

const URL_ = 'http://door.test';
const WISH = { id: '01a24cd5-2a37-7197-acde-575498e82f56', submittedAt: '2045-01-01T12:00:00.000Z' };

/** The public API as the canary sees it, on a clock that only moves when asked: each answer takes 5 ms. */
function door(answers: {
  post?: () => Response;
  status?: (poll: number) => unknown;
  canary?: (poll: number) => unknown;
}) {
  let now = 0;
  const polls = { status: 0, canary: 0 };
  const asked: string[] = [];
  const json = (body: unknown) =>
    body instanceof Response
      ? body
      : new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  const fetchFake = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : input.toString();
    asked.push(`${init?.method ?? 'GET'} ${url.slice(URL_.length)}`);
    now += 5;
    if (url.endsWith('/api/wishes'))
      return answers.post?.() ?? new Response(JSON.stringify({ ...WISH, status: 'pending' }), { status: 202 });
    if (url.endsWith('/api/canary')) return json(answers.canary?.(++polls.canary) ?? { last: WISH });
    return json(answers.status?.(++polls.status) ?? { id: WISH.id, status: 'stored' });
  };
  const run = (deadlineMs = CANARY_DEADLINE_MS) =>
    canaryRun({
      url: URL_,
      pass: 'EV-00000.x.y',
      deadlineMs,
      pollMs: 100,
      fetch: fetchFake,
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
  return { run, asked };
}

describe('a canary run', () => {
  it('times its wish from the POST to the 202, to stored and onto the read model, each seen on its own', async () => {
    // Stored on the 3rd poll; on the read model from the 5th (the tally is slower than the worker).
    const { run, asked } = door({
      status: (poll) => ({ id: WISH.id, status: poll >= 3 ? 'stored' : 'pending' }),
      canary: (poll) => ({ last: poll >= 5 ? WISH : null }),
    });
    const result = await run();
    expect(result).toMatchObject({ ok: true, wishId: WISH.id, acceptedMs: 5 });
    expect(result.error).toBeUndefined();
    // Each poll: up to two 5-ms answers, then 100 ms: stored after 3 polls, on the read model after 5.
    expect(result.storedMs).toBe(5 + 2 * 110 + 10);
    expect(result.wallMs).toBeGreaterThan(result.storedMs ?? Infinity);
    expect(result.tookMs).toBe(result.wallMs);
    // Once stored, its status is not asked again.
    expect(asked.filter((line) => line.startsWith('GET /api/wishes/'))).toHaveLength(3);
    expect(asked[0]).toBe('POST /api/wishes');
  });

  it('counts its wish on the read model once a newer canary wish is there (another canary on the same store)', async () => {
    const newer = { id: 'ffffffff-ffff-7fff-bfff-ffffffffffff', submittedAt: '2045-01-01T12:00:01.000Z' };
    const older = { id: '00000000-0000-7000-8000-000000000000', submittedAt: '2044-12-31T00:00:00.000Z' };
    const seesOlder = await door({ canary: () => ({ last: older }) }).run(300);
    expect(seesOlder).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^not on the read model within 0.3 s/) as unknown,
    });
    expect((await door({ canary: () => ({ last: newer }) }).run()).ok).toBe(true);
  });

  it('comes back after Retry-After when the door turns it away for now, and fails once that cannot be within the bound', async () => {
    const busy = () =>
      new Response(JSON.stringify({ status: 503, detail: 'too busy to answer in time; please retry shortly' }), {
        status: 503,
        headers: { 'content-type': 'application/problem+json', 'retry-after': '1' },
      });
    let posts = 0;
    const once = await door({
      post: () => (++posts === 1 ? busy() : new Response(JSON.stringify(WISH), { status: 202 })),
    }).run();
    // The wait is part of its time to the 202, as it is for anyone turned away.
    expect(once).toMatchObject({ ok: true, acceptedMs: 5 + 1000 + 5 });

    expect(await door({ post: busy }).run()).toEqual({
      at: expect.any(String) as unknown,
      ok: false,
      tookMs: 5 + 9 * 1005,
      error:
        'not accepted: POST /api/wishes answered 503 (too busy to answer in time; please retry shortly) (turned away 10 times)',
    });
  });

  it('fails at once on any other refusal, saying the status and why; nothing after the POST is timed', async () => {
    const { run } = door({
      post: () =>
        new Response(JSON.stringify({ status: 401, detail: 'boarding pass signature is not valid' }), { status: 401 }),
    });
    expect(await run()).toEqual({
      at: expect.any(String) as unknown,
      ok: false,
      tookMs: 5,
      error: 'not accepted: POST /api/wishes answered 401 (boarding pass signature is not valid)',
    });
  });

  it('fails when the POST cannot be sent at all', async () => {
    const result = await canaryRun({
      url: URL_,
      pass: 'p',
      fetch: async () => {
        throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:3000') });
      },
    });
    expect(result).toMatchObject({
      ok: false,
      error: 'not accepted: POST /api/wishes failed: fetch failed: connect ECONNREFUSED 127.0.0.1:3000',
    });
  });

  it('fails at once when the parser rejects its wish', async () => {
    const { run } = door({ status: () => ({ id: WISH.id, status: 'rejected', reason: 'message is blank' }) });
    expect(await run()).toMatchObject({ ok: false, acceptedMs: 5, error: 'rejected by the parser: message is blank' });
  });

  it('fails past the freshness bound when the tally is frozen: stored, never on the read model, the last trouble named', async () => {
    const { run } = door({ canary: () => ({ last: null }) });
    const result = await run();
    expect(result).toMatchObject({ ok: false, acceptedMs: 5, error: 'not on the read model within 10 s of its POST' });
    expect(result.storedMs).toBeDefined();
    expect(result.wallMs).toBeUndefined();
    // Strictly past the bound: the SLO's `le="10"` bucket can never count this run good.
    expect(result.tookMs).toBeGreaterThan(CANARY_DEADLINE_MS);

    const neither = await door({
      status: () => ({ id: WISH.id, status: 'pending' }),
      canary: () => ({ last: null }),
    }).run(1000);
    expect(neither.error).toBe('neither stored nor on the read model within 1 s of its POST');
  });

  it('fails when its wish reaches the read model only past the bound, keeping when it did', async () => {
    const { run } = door({ canary: (poll) => ({ last: poll >= 4 ? WISH : null }) });
    const result = await run(300);
    expect(result).toMatchObject({ ok: false, error: 'not on the read model within 0.3 s of its POST' });
    expect(result.wallMs).toBeGreaterThan(300);
    expect(result.storedMs).toBeLessThan(300);
  });

  it('names the last answer that stood in its way when the reads fail', async () => {
    const away = () => new Response(JSON.stringify({ status: 503, detail: 'the read model is away' }), { status: 503 });
    const result = await door({ status: away, canary: away }).run(500);
    expect(result.error).toMatch(
      /^neither stored nor on the read model within 0.5 s of its POST \(last: GET \/api\/(wishes\/[^ ]+|canary) answered 503 \(the read model is away\)\)$/,
    );
  });
});

describe('what a run leaves behind', () => {
  const captured = (): { lines: Record<string, unknown>[]; stream: Writable } => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    return { lines, stream };
  };
  const ok: CanaryRun = {
    at: '2045-01-01T12:00:00.000Z',
    ok: true,
    wishId: WISH.id,
    acceptedMs: 12,
    storedMs: 240,
    wallMs: 410,
    tookMs: 410,
  };
  const frozen: CanaryRun = {
    at: '2045-01-01T12:00:10.000Z',
    ok: false,
    wishId: WISH.id,
    acceptedMs: 9,
    storedMs: 200,
    tookMs: 10_050,
    error: 'not on the read model within 10 s of its POST',
  };
  const refused: CanaryRun = { at: '2045-01-01T12:00:30.000Z', ok: false, tookMs: 4, error: 'not accepted: 503' };

  it('an ok run is an info line, a failed one the canary.failed event; the console reads both back as runs', async () => {
    const { lines, stream } = captured();
    const logger = createLogger('supervisor', 'info', stream);
    for (const run of [ok, frozen]) reportCanaryRun(logger, run);
    expect(lines.map((line) => [line['level'], line['event'], line['msg']])).toEqual([
      [30, undefined, 'canary ok: accepted in 12 ms, stored in 240 ms, on the read model in 410 ms'],
      [40, 'canary.failed', 'canary failed: not on the read model within 10 s of its POST'],
    ]);
    // As the console stores them: the line's fields flattened into attributes.
    const stored = lines.map((line, i) => ({
      timeMs: Date.parse(String(line['time'])),
      service: 'exodus-supervisor',
      instance: 'supervisor-1',
      severity: i === 0 ? 9 : 13,
      body: String(line['msg']),
      traceId: null,
      spanId: null,
      attributes: Object.fromEntries(
        Object.entries(line['canary'] as Record<string, string | number | boolean>).map(([k, v]) => [`canary.${k}`, v]),
      ),
      eventName: (line['event'] as string | undefined) ?? null,
    }));
    expect(stored.map(runOf)).toEqual([
      { at: ok.at, ok: true, wishId: WISH.id, acceptedMs: 12, storedMs: 240, wallMs: 410 },
      { at: frozen.at, ok: false, wishId: WISH.id, acceptedMs: 9, storedMs: 200, wallMs: null, error: frozen.error },
    ]);
    expect(runOf({ ...stored[0]!, attributes: { 'other.thing': 1 } })).toBeUndefined();
  });

  it('each stage is timed, each run counted by outcome, and an accepted wish is an input of the freshness SLO', async () => {
    const logger = createLogger('supervisor', 'silent');
    const before = {
      wall: await counted('exodus.wish.time_to_wall'),
      stages: await counted('exodus.canary.duration'),
      ok: await counted('exodus.canary.runs', { 'exodus.canary.outcome': 'ok' }),
      failed: await counted('exodus.canary.runs', { 'exodus.canary.outcome': 'failed' }),
    };
    for (const run of [ok, frozen, refused]) reportCanaryRun(logger, run);
    expect(await counted('exodus.canary.duration')).toBe(before.stages + 3 + 2);
    expect(await counted('exodus.canary.runs', { 'exodus.canary.outcome': 'ok' })).toBe(before.ok + 1);
    expect(await counted('exodus.canary.runs', { 'exodus.canary.outcome': 'failed' })).toBe(before.failed + 2);
    // The two accepted wishes (one on the read model, one given up on), not the refused POST.
    expect(await counted('exodus.wish.time_to_wall')).toBe(before.wall + 2);
  });

  it("a person's terminal hears of failed runs, not of every ok one; JSON lines keep them all", () => {
    const { lines, stream } = captured();
    const quiet = withoutOkCanaryRuns(stream);
    if (quiet === undefined) throw new Error('no stream');
    const logger = createLogger('supervisor', 'info', quiet);
    reportCanaryRun(logger, ok);
    reportCanaryRun(logger, frozen);
    logger.info('process started');
    expect(lines.map((line) => line['msg'])).toEqual([
      'canary failed: not on the read model within 10 s of its POST',
      'process started',
    ]);
    expect(withoutOkCanaryRuns(undefined)).toBeUndefined();
  });
});

describe("the canary's evacuee", () => {
  it('is reserved: a roster that names it is refused, with its line, so no one can take its place', () => {
    const file = join(tempDir(), 'roster.csv');
    writeFileSync(file, 'evacuee_id,name\nEV-00001,Ada Abara\nEV-00000,Mallory\n');
    expect(() => readRoster(file)).toThrow(`${file}:3: EV-00000 is reserved for the synthetic canary (exodus up)`);
    writeFileSync(file, 'evacuee_id,name\nEV-00001,Ada Abara\nEV-000000,Zeroes but not the canary\n');
    expect(readRoster(file).map((evacuee) => evacuee.id)).toEqual(['EV-00001', 'EV-000000']);
  });
});
