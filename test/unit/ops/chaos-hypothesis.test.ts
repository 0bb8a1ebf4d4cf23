import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openMessaging } from '../../../src/engines/index.js';
import {
  checkAfter,
  checkBefore,
  deadLetterIds,
  doorAnswers,
  watchDuring,
  type SteadyStateProbe,
} from '../../../src/ops/chaos/hypothesis.js';
import { parseExperiment, runExperiment, type Hypothesis, type Journal } from '../../../src/ops/chaos/index.js';
import {
  QUEUES,
  type DeadLetter,
  type MessagingEngine,
  type QueueName,
  type QueueStats,
} from '../../../src/ports/index.js';
import { tempDir } from '../../../testkit/index.js';

/**
 * The steady-state hypothesis of a chaos experiment must be able to fail: each check is shown broken
 * by the system state that breaks it (a door that fails, a process that stays down, a backlog, a
 * poison message never parked, a dead letter nobody allowed), and the experiment then says so.
 */

/** A door whose /readyz answers what the test sets: a status, or no answer at all (a hang). */
class Door {
  answer: number | 'hang' = 200;
  readonly asked: string[] = [];
  private server: Server | undefined;
  url = '';
  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      this.asked.push(request.url ?? '');
      if (this.answer === 'hang') return;
      response.writeHead(this.answer).end('{}');
    });
    await new Promise<void>((done) => this.server?.listen(0, '127.0.0.1', done));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((done) => this.server?.close(done));
  }
}

/** A process that is gone: its pid is free. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((done) => child.on('exit', done));
  return child.pid ?? 999_999;
}

/** A data dir whose supervisor (this test process) runs these processes. */
function supervisedBy(
  processes: { service: string; pid: number | undefined; status?: 'running' | 'restarting' }[],
): string {
  const dir = tempDir('exodus-hypothesis-');
  writeFileSync(
    join(dir, 'supervisor.json'),
    JSON.stringify({
      supervisorPid: process.pid,
      startedAt: new Date().toISOString(),
      endpoints: {},
      processes: processes.map((p, i) => ({
        service: p.service,
        replica: i + 1,
        pid: p.pid,
        status: p.status ?? 'running',
        restarts: 0,
        startedAt: undefined,
        lastExit: undefined,
        metricsUrl: undefined,
      })),
    }),
  );
  return dir;
}

/** Queues whose counts and dead letters the test sets (only what the hypothesis reads of them). */
function fakeMessaging(state: {
  backlog: Partial<Record<QueueName, Partial<QueueStats>>>;
  dead: Partial<Record<QueueName, string[]>>;
  failStats?: string;
}): MessagingEngine {
  return {
    queue: (name: QueueName) => ({
      stats: async (): Promise<QueueStats> => {
        if (state.failStats !== undefined) throw new Error(state.failStats);
        return { ready: 0, inFlight: 0, delayed: 0, dead: 0, oldestReadyAgeMs: 0, ...state.backlog[name] };
      },
      deadLetters: {
        list: async (): Promise<DeadLetter[]> =>
          (state.dead[name] ?? []).map((id) => ({ message: { id } }) as unknown as DeadLetter),
      },
    }),
  } as unknown as MessagingEngine;
}

const QUICK: Hypothesis = { recoverWithinMs: 0, drainWithinMs: 0, backlogAtMost: 0, newDeadLetters: 0 };

describe('the steady-state hypothesis', () => {
  const door = new Door();
  let alive: ChildProcess;
  let gone: number;
  beforeAll(async () => {
    await door.start();
    alive = spawn('sleep', ['120'], { stdio: 'ignore' });
    gone = await deadPid();
  });
  afterAll(async () => {
    alive.kill('SIGKILL');
    await door.stop();
  });
  afterEach(() => {
    door.answer = 200;
  });
  const running = (): string =>
    supervisedBy([
      { service: 'parser', pid: process.pid },
      { service: 'worker', pid: alive.pid },
    ]);
  const probe = (over: Partial<SteadyStateProbe> = {}): SteadyStateProbe => ({
    doorUrl: door.url,
    dataDir: running(),
    messaging: fakeMessaging({ backlog: {}, dead: {} }),
    ...over,
  });

  describe('the door', () => {
    it('answers: any status below 500, and 503 (shedding is an answer); not a 5xx, a hang or nothing', async () => {
      for (const status of [200, 204, 404, 429, 503]) {
        door.answer = status;
        expect(await doorAnswers(door.url), String(status)).toEqual({ ok: true, detail: `readyz ${status}` });
      }
      for (const status of [500, 502, 504]) {
        door.answer = status;
        expect(await doorAnswers(door.url), String(status)).toEqual({ ok: false, detail: `readyz ${status}` });
      }
      expect(door.asked.at(-1)).toBe('/readyz');
      const closed = new Door();
      await closed.start();
      await closed.stop();
      expect(await doorAnswers(closed.url)).toEqual({
        ok: false,
        detail: expect.stringMatching(/^no answer: /) as unknown,
      });
    });

    it('a door that hangs for 2 s has not answered', async () => {
      door.answer = 'hang';
      const started = Date.now();
      expect(await doorAnswers(door.url)).toEqual({
        ok: false,
        detail: expect.stringMatching(/^no answer: .*(timeout|aborted)/i) as unknown,
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });

  describe('before the faults', () => {
    it('holds with a ready door and every process running', async () => {
      expect(await checkBefore(probe())).toEqual([
        { phase: 'before', name: 'door ready', ok: true, detail: 'readyz 200' },
        { phase: 'before', name: 'every process running', ok: true, detail: '2 of 2' },
      ]);
    });

    it('is broken by a door that is shedding (not ready), or by a process that is not running', async () => {
      door.answer = 503;
      const shedding = await checkBefore(probe());
      expect(shedding[0]).toEqual({ phase: 'before', name: 'door ready', ok: false, detail: 'readyz 503' });
      door.answer = 200;
      for (const dataDir of [
        supervisedBy([
          { service: 'parser', pid: process.pid },
          { service: 'worker', pid: gone },
        ]),
        supervisedBy([
          { service: 'parser', pid: process.pid },
          { service: 'worker', pid: undefined },
        ]),
        supervisedBy([
          { service: 'parser', pid: process.pid },
          { service: 'worker', pid: alive.pid, status: 'restarting' },
        ]),
      ]) {
        expect((await checkBefore(probe({ dataDir })))[1]).toEqual({
          phase: 'before',
          name: 'every process running',
          ok: false,
          detail: '1 of 2',
        });
      }
    });
  });

  describe('during the faults', () => {
    const watch = async (seconds: number): Promise<Awaited<ReturnType<typeof watchDuring>>> => {
      const stop = new AbortController();
      const result = watchDuring(probe(), stop.signal);
      await new Promise((done) => setTimeout(done, seconds * 1000 - 500));
      stop.abort();
      return result;
    };

    it('holds while every probe is answered, 503 included', async () => {
      door.answer = 503;
      const result = await watch(3);
      expect(result).toMatchObject({ phase: 'during', name: 'door answers (503 allowed)', ok: true });
      expect(result.detail).toMatch(/^(\d+) of \1 probes answered$/);
      // A probe a second.
      expect(Number(/^(\d+)/.exec(result.detail)?.[1])).toBeGreaterThanOrEqual(2);
      expect(Number(/^(\d+)/.exec(result.detail)?.[1])).toBeLessThanOrEqual(4);
    });

    it('is broken when most probes fail, and says how many and the first failure', async () => {
      door.answer = 500;
      const result = await watch(3);
      expect(result.ok).toBe(false);
      expect(result.detail).toMatch(/^(\d+) of \1 probes failed \(first: readyz 500\)$/);
    });

    it('is broken by a single failed probe among answered ones', async () => {
      door.answer = 500;
      const stop = new AbortController();
      const result = watchDuring(probe(), stop.signal);
      await new Promise((done) => setTimeout(done, 300));
      door.answer = 200;
      await new Promise((done) => setTimeout(done, 2_000));
      stop.abort();
      const { ok, detail } = await result;
      expect(ok).toBe(false);
      expect(detail).toMatch(/^1 of [2-4] probes failed \(first: readyz 500\)$/);
    });
  });

  describe('after the faults', () => {
    it('holds when every process runs, the queues drained, the poison is parked and nothing else is', async () => {
      const messaging = fakeMessaging({
        backlog: {},
        dead: { [QUEUES.intake]: ['old-1', 'poison-1'], [QUEUES.store]: ['poison-2'] },
      });
      const checks = await checkAfter(
        probe({ messaging }),
        { recoverWithinMs: 30_000, drainWithinMs: 60_000, backlogAtMost: 0, newDeadLetters: 0 },
        new Set(['old-1']),
        new Set(['poison-1', 'poison-2']),
      );
      expect(checks).toEqual([
        { phase: 'after', name: 'every process running within 30 s', ok: true, detail: '2 of 2 running after 0.0 s' },
        { phase: 'after', name: 'backlog ≤ 0 within 60 s', ok: true, detail: 'backlog 0 after 0.0 s' },
        {
          phase: 'after',
          name: 'dead letters: the poison and at most 0 more',
          ok: true,
          detail: '0 new dead letters besides the poison; poison parked 2 of 2 after 0.0 s',
        },
        { phase: 'after', name: 'door ready', ok: true, detail: 'readyz 200' },
      ]);
    });

    it('is broken while the poison was never parked', async () => {
      const messaging = fakeMessaging({ backlog: {}, dead: { [QUEUES.intake]: ['poison-1'] } });
      const started = Date.now();
      const checks = await checkAfter(probe({ messaging }), QUICK, new Set(), new Set(['poison-1', 'poison-2']));
      // The poison is given at least a second to be parked.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      expect(checks[2]).toEqual({
        phase: 'after',
        name: 'dead letters: the poison and at most 0 more',
        ok: false,
        detail: '0 new dead letters besides the poison; poison parked 1 of 2',
      });
      expect(checks.filter((check) => !check.ok).map((check) => check.name)).toEqual([
        'dead letters: the poison and at most 0 more',
      ]);
    });

    it('is broken by more new dead letters than allowed (those from before and the poison do not count), and names a few of them', async () => {
      const dead = {
        [QUEUES.intake]: ['before-1', 'poison-1', 'new-1', 'new-2'],
        [QUEUES.tally]: ['new-3', 'new-4', 'new-5', 'new-6'],
      };
      const messaging = fakeMessaging({ backlog: {}, dead });
      const allowed = await checkAfter(
        probe({ messaging }),
        { ...QUICK, newDeadLetters: 6 },
        new Set(['before-1']),
        new Set(['poison-1']),
      );
      expect(allowed[2]).toMatchObject({
        ok: true,
        detail: expect.stringMatching(
          /^6 new dead letters besides the poison \(new-1, new-2, new-3, new-4, new-5\); poison parked 1 of 1 after /,
        ) as unknown,
      });
      const tooMany = await checkAfter(
        probe({ messaging }),
        { ...QUICK, newDeadLetters: 5 },
        new Set(['before-1']),
        new Set(['poison-1']),
      );
      expect(tooMany[2]).toEqual({
        phase: 'after',
        name: 'dead letters: the poison and at most 5 more',
        ok: false,
        detail: '6 new dead letters besides the poison (new-1, new-2, new-3, new-4, new-5); poison parked 1 of 1',
      });
    });

    it('is broken by a backlog above the bound (ready, delayed and in flight, over every queue), held at the bound', async () => {
      const backlog = {
        [QUEUES.intake]: { ready: 1 },
        [QUEUES.store]: { delayed: 2 },
        [QUEUES.tally]: { inFlight: 3, dead: 50 },
      };
      const over = await checkAfter(
        probe({ messaging: fakeMessaging({ backlog, dead: {} }) }),
        { ...QUICK, backlogAtMost: 5 },
        new Set(),
        new Set(),
      );
      expect(over[1]).toEqual({ phase: 'after', name: 'backlog ≤ 5 within 0 s', ok: false, detail: 'backlog 6' });
      const at = await checkAfter(
        probe({ messaging: fakeMessaging({ backlog, dead: {} }) }),
        { ...QUICK, backlogAtMost: 6 },
        new Set(),
        new Set(),
      );
      expect(at[1]).toMatchObject({ ok: true, detail: expect.stringMatching(/^backlog 6 after /) as unknown });
    });

    it('is broken when the queues cannot be read: the error is the detail', async () => {
      const checks = await checkAfter(
        probe({ messaging: fakeMessaging({ backlog: {}, dead: {}, failStats: 'queue unreachable' }) }),
        QUICK,
        new Set(),
        new Set(),
      );
      expect(checks[1]).toMatchObject({ ok: false, detail: 'queue unreachable' });
    });

    it('is broken by a process that stays down, and by a door that is not ready (shedding)', async () => {
      const dataDir = supervisedBy([
        { service: 'parser', pid: process.pid },
        { service: 'worker', pid: gone },
      ]);
      door.answer = 503;
      const checks = await checkAfter(probe({ dataDir }), QUICK, new Set(), new Set());
      expect(checks[0]).toEqual({
        phase: 'after',
        name: 'every process running within 0 s',
        ok: false,
        detail: '1 of 2 running',
      });
      expect(checks[3]).toEqual({ phase: 'after', name: 'door ready', ok: false, detail: 'readyz 503' });
    });

    it('waits for a process to come back within its time, and says how long it took', async () => {
      const dataDir = supervisedBy([
        { service: 'parser', pid: process.pid },
        { service: 'worker', pid: gone },
      ]);
      setTimeout(
        () =>
          writeFileSync(
            join(dataDir, 'supervisor.json'),
            JSON.stringify({
              supervisorPid: process.pid,
              startedAt: '',
              endpoints: {},
              processes: [{ service: 'worker', replica: 1, pid: alive.pid, status: 'running' }],
            }),
          ),
        700,
      );
      const checks = await checkAfter(probe({ dataDir }), { ...QUICK, recoverWithinMs: 5_000 }, new Set(), new Set());
      expect(checks[0]).toMatchObject({
        ok: true,
        detail: expect.stringMatching(/^1 of 1 running after (0\.[5-9]|1\.\d) s$/) as unknown,
      });
      // The drain's time counts from the start: spent waiting for the recovery, it is not given again.
      const slow = supervisedBy([
        { service: 'parser', pid: process.pid },
        { service: 'worker', pid: gone },
      ]);
      setTimeout(
        () =>
          writeFileSync(
            join(slow, 'supervisor.json'),
            JSON.stringify({ supervisorPid: process.pid, startedAt: '', endpoints: {}, processes: [] }),
          ),
        1_200,
      );
      const started = Date.now();
      const backlog = fakeMessaging({ backlog: { [QUEUES.intake]: { ready: 1 } }, dead: {} });
      const late = await checkAfter(
        probe({ dataDir: slow, messaging: backlog }),
        { ...QUICK, recoverWithinMs: 5_000, drainWithinMs: 1_500 },
        new Set(),
        new Set(),
      );
      expect(late[1]).toMatchObject({ ok: false, detail: 'backlog 1' });
      expect(Date.now() - started).toBeLessThan(3_200);
    });
  });

  it('lists the dead letters of every queue by id', async () => {
    const ids = await deadLetterIds(
      fakeMessaging({ backlog: {}, dead: { [QUEUES.intake]: ['a'], [QUEUES.store]: ['b'], [QUEUES.tally]: ['c'] } }),
    );
    expect([...ids].sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('a chaos experiment whose hypothesis breaks is reported broken', () => {
  const door = new Door();
  let alive: ChildProcess;
  let messaging: MessagingEngine;
  let queueUrl: string;
  beforeAll(async () => {
    await door.start();
    alive = spawn('sleep', ['120'], { stdio: 'ignore' });
    queueUrl = `sqlite:${tempDir('exodus-chaos-queues-')}`;
    messaging = await openMessaging(queueUrl, { maxAttempts: 3 });
  });
  afterAll(async () => {
    alive.kill('SIGKILL');
    await messaging.close();
    await door.stop();
  });

  const run = async (
    yaml: string,
    onStep: (action: string) => Promise<void> | void = () => undefined,
  ): Promise<Journal> => {
    const dataDir = supervisedBy([{ service: 'worker', pid: alive.pid }]);
    const pending: Promise<void>[] = [];
    return runExperiment(parseExperiment(yaml, 'test.yaml'), {
      doorUrl: door.url,
      messaging,
      faults: {
        dataDir,
        queueUrl,
        storeUrl: 'sqlite:unused',
        engineOptions: { maxAttempts: 3 },
        outDir: dataDir,
        random: () => 0,
      },
      signal: new AbortController().signal,
      onStep: (step) => void pending.push(Promise.resolve(onStep(step.action))),
    });
  };

  it('most door probes failing while a worker is paused: hypothesis disproved, the door check says why', async () => {
    const journal = await run(
      'name: paused\nhypothesis: { recover_within: 1s, drain_within: 1s }\nfaults:\n  - { at: 0s, pause: { service: worker, for: 3s } }\n',
      (action) => {
        if (action === 'paused') door.answer = 500;
        if (action === 'continued') door.answer = 200;
      },
    );
    expect(journal.verdict).toBe('hypothesis disproved');
    expect(journal.checks.filter((check) => !check.ok)).toEqual([
      {
        phase: 'during',
        name: 'door answers (503 allowed)',
        ok: false,
        detail: expect.stringMatching(/probes failed \(first: readyz 500\)$/) as unknown,
      },
    ]);
  });

  it('the same pause with the door shedding (503) the while: hypothesis held', async () => {
    const journal = await run(
      'name: paused\nhypothesis: { recover_within: 1s, drain_within: 1s }\nfaults:\n  - { at: 0s, pause: { service: worker, for: 2s } }\n',
      (action) => {
        if (action === 'paused') door.answer = 503;
        if (action === 'continued') door.answer = 200;
      },
    );
    expect(journal.checks.filter((check) => !check.ok)).toEqual([]);
    expect(journal.verdict).toBe('hypothesis held');
  });

  it('poison that nothing parks (no consumer reads it): hypothesis disproved, however small the backlog bound', async () => {
    const journal = await run(
      'name: poison\nhypothesis: { recover_within: 1s, drain_within: 1s, backlog_at_most: 10 }\nfaults:\n  - { at: 0s, poison: { count: 2 } }\n',
    );
    expect(journal.verdict).toBe('hypothesis disproved');
    expect(journal.checks.filter((check) => !check.ok)).toEqual([
      {
        phase: 'after',
        name: 'dead letters: the poison and at most 0 more',
        ok: false,
        detail: '0 new dead letters besides the poison; poison parked 0 of 2',
      },
    ]);
  });

  it('poison that a consumer parks: hypothesis held, and the poison is purged from the dead letters at the end', async () => {
    // Drain what the previous test left, then play the parser: every poison message dead-lettered as it arrives.
    for (
      let batch = await messaging.queue(QUEUES.intake).receive(100, 10_000);
      batch.length > 0;
      batch = await messaging.queue(QUEUES.intake).receive(100, 10_000)
    ) {
      for (const delivery of batch) await delivery.ack();
    }
    const journal = await run(
      'name: poison\nhypothesis: { recover_within: 1s, drain_within: 5s }\nfaults:\n  - { at: 0s, poison: { count: 2 } }\n',
      async (action) => {
        if (action !== 'poison sent') return;
        for (const delivery of await messaging.queue(QUEUES.intake).receive(10, 10_000))
          await delivery.deadLetter('PermanentError: not a wish');
      },
    );
    expect(journal.checks.filter((check) => !check.ok)).toEqual([]);
    expect(journal.verdict).toBe('hypothesis held');
    expect(await messaging.queue(QUEUES.intake).deadLetters.list(10)).toEqual([]);
  });
});
