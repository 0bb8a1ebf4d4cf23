import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CRASH_LOOP_EXITS,
  DataDirBusyError,
  lastSupervisorState,
  lockDataDir,
  Supervisor,
  type Backlog,
  type ProcessSpec,
  type StopRole,
  type SupervisorEvent,
} from '../../../src/runtime/index.js';
import { tempDir, waitFor } from '../../../testkit/index.js';

/**
 * The supervisor with real child processes (small node scripts), in this process: the guarantees a
 * user of `exodus up` relies on — crash loops back off, a stop is SIGTERM in one order, a process
 * that will not stop is killed — and the data dir's lock.
 */

/**
 * A child that records when it got SIGTERM (in `<dir>/<name>.term`) and exits 0 then (`serve`) or
 * stays (`ignore-term`), writing `<dir>/<name>.ready` once its handler is in place; or one that exits
 * at once with code 3 (`crash`).
 */
function child(
  dir: string,
  name: string,
  role: StopRole,
  behaviour: 'serve' | 'crash' | 'ignore-term' = 'serve',
): ProcessSpec {
  const mark = (what: string): string =>
    `require('fs').writeFileSync(${JSON.stringify(join(dir, `${name}.${what}`))}, String(Date.now()))`;
  const script = {
    serve: `process.on('SIGTERM', () => { ${mark('term')}; process.exit(0); }); ${mark('ready')}; setInterval(() => {}, 1000);`,
    crash: 'process.exit(3);',
    'ignore-term': `process.on('SIGTERM', () => { ${mark('term')}; }); ${mark('ready')}; setInterval(() => {}, 1000);`,
  }[behaviour];
  return { service: name, replica: 1, command: process.execPath, args: ['-e', script], role };
}

/** Every named child has its SIGTERM handler in place. */
const ready = (dir: string, names: readonly string[]): Promise<void> =>
  waitFor(
    () => names.every((name) => existsSync(join(dir, `${name}.ready`))),
    20_000,
    `children never ready: ${names.join(', ')}`,
  );

const termedAt = (dir: string, name: string): number => Number(readFileSync(join(dir, `${name}.term`), 'utf8'));

const running: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop({ drainTimeoutMs: 0 })));
});

function supervise(
  dir: string,
  specs: ProcessSpec[],
  options: { killAfterMs?: number; stableAfterMs?: number } = {},
): { supervisor: Supervisor; events: SupervisorEvent[] } {
  const events: SupervisorEvent[] = [];
  const supervisor = new Supervisor(specs, {
    dataDir: dir,
    endpoints: {},
    onEvent: (event) => events.push({ ...event, state: { ...event.state } }),
    ...options,
  });
  running.push(supervisor);
  supervisor.start();
  return { supervisor, events };
}

describe('Supervisor', () => {
  it('restarts a crash loop with a doubling backoff, not every 250 ms forever', async () => {
    const dir = tempDir();
    const { events } = supervise(dir, [child(dir, 'worker', 'consumer', 'crash')]);
    await waitFor(
      () => events.filter((e) => e.kind === 'exited').length >= 4,
      20_000,
      'the crashing child was not restarted four times',
    );
    const delays = events.flatMap((e) => (e.kind === 'exited' ? [e.restartInMs] : []));
    expect(delays.slice(0, 4)).toEqual([500, 1000, 2000, 4000]);
    const exit = events.find((e) => e.kind === 'exited');
    expect(exit?.kind === 'exited' ? exit.code : undefined).toBe(3);
  });

  it('names a crash loop once, after three exits in a row each soon after its start, with the next try; the state file says it too', async () => {
    const dir = tempDir();
    const { supervisor, events } = supervise(dir, [child(dir, 'worker', 'consumer', 'crash')]);
    await waitFor(
      () => events.filter((e) => e.kind === 'exited').length >= 4,
      20_000,
      'the crashing child was not restarted four times',
    );
    const loops = events.filter((e) => e.kind === 'crash-loop');
    expect(loops).toHaveLength(1);
    expect(loops[0]).toMatchObject({ exits: CRASH_LOOP_EXITS, restartInMs: 250 * 2 ** CRASH_LOOP_EXITS });
    // The loop began at the third exit in a row, not before.
    const exitsBefore = events.indexOf(loops[0] as SupervisorEvent);
    expect(events.slice(0, exitsBefore).filter((e) => e.kind === 'exited')).toHaveLength(CRASH_LOOP_EXITS);
    const state = supervisor.processes()[0];
    expect(state?.crashLoop?.exits).toBeGreaterThanOrEqual(CRASH_LOOP_EXITS);
    const saved = lastSupervisorState(dir)?.processes[0];
    expect(saved?.crashLoop?.exits).toBeGreaterThanOrEqual(CRASH_LOOP_EXITS);
    if (saved?.status === 'restarting') expect(Date.parse(saved.nextStartAt ?? '')).toBeGreaterThan(Date.now() - 5000);
  });

  it('ends a crash loop once the process stays up; a planned stop is an event of its own, not an exit', async () => {
    const dir = tempDir();
    // Crashes its first three starts (counted in a file), then stays up.
    const count = join(dir, 'starts');
    const script = `const fs = require('fs'); const n = fs.existsSync(${JSON.stringify(count)}) ? Number(fs.readFileSync(${JSON.stringify(count)}, 'utf8')) : 0; fs.writeFileSync(${JSON.stringify(count)}, String(n + 1)); if (n < 3) process.exit(3); process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);`;
    const { supervisor, events } = supervise(
      dir,
      [{ service: 'worker', replica: 1, command: process.execPath, args: ['-e', script], role: 'consumer' }],
      { stableAfterMs: 1000 },
    );
    await waitFor(() => events.some((e) => e.kind === 'crash-loop-ended'), 30_000, 'the crash loop never ended');
    expect(events.filter((e) => e.kind === 'crash-loop')).toHaveLength(1);
    expect(supervisor.processes()[0]?.crashLoop).toBeUndefined();
    await supervisor.stop({ drainTimeoutMs: 0 });
    expect(events.at(-1)).toMatchObject({ kind: 'stopped', signal: null, code: 0 });
    expect(events.filter((e) => e.kind === 'exited')).toHaveLength(3);
  });

  it('stops in one order: the door, then the consumers once the backlog is empty, the observers last; SIGTERM, never SIGKILL', async () => {
    const dir = tempDir();
    const specs = [
      child(dir, 'console', 'observer'),
      child(dir, 'frontend', 'door'),
      child(dir, 'parser', 'consumer'),
      child(dir, 'worker', 'consumer'),
    ];
    const { supervisor } = supervise(dir, specs);
    await ready(dir, ['console', 'frontend', 'parser', 'worker']);
    // The backlog drains over three reads; the consumers must still run while it does.
    const backlogs: Backlog[] = [
      { intake: 2, store: 1 },
      { intake: 0, store: 1 },
      { intake: 0, store: 0 },
    ];
    let drainedAt = 0;
    const outcome = await supervisor.stop({
      drainTimeoutMs: 10_000,
      backlog: async () => {
        const next = backlogs.shift() ?? { intake: 0, store: 0 };
        if (Object.values(next).every((n) => n === 0) && drainedAt === 0) drainedAt = Date.now();
        return next;
      },
      beforeObservers: async () => {
        expect(existsSync(join(dir, 'console.term'))).toBe(false);
      },
    });
    expect(outcome).toEqual({ backlog: { intake: 0, store: 0 }, timedOut: false });
    const [frontend, parser, worker, console] = ['frontend', 'parser', 'worker', 'console'].map((name) =>
      termedAt(dir, name),
    );
    expect(parser).toBeGreaterThanOrEqual(drainedAt);
    expect(worker).toBeGreaterThanOrEqual(drainedAt);
    expect(drainedAt).toBeGreaterThanOrEqual(frontend ?? Infinity);
    expect(console).toBeGreaterThanOrEqual(Math.max(parser ?? Infinity, worker ?? Infinity));
    for (const process of supervisor.processes()) {
      expect(process.status).toBe('stopped');
      expect(process.lastExit, `${process.service} was not stopped by SIGTERM`).toMatch(/ code 0$/);
    }
  });

  it('says what is still queued when the drain time runs out, and stops the consumers anyway', async () => {
    const dir = tempDir();
    const { supervisor } = supervise(dir, [child(dir, 'worker', 'consumer')]);
    await ready(dir, ['worker']);
    const outcome = await supervisor.stop({ drainTimeoutMs: 300, backlog: async () => ({ intake: 0, store: 7 }) });
    expect(outcome).toEqual({ backlog: { intake: 0, store: 7 }, timedOut: true });
    expect(supervisor.processes()[0]?.status).toBe('stopped');
  });

  it('kills a process that does not exit after SIGTERM, once its time is up', async () => {
    const dir = tempDir();
    const { supervisor } = supervise(dir, [child(dir, 'tally', 'consumer', 'ignore-term')], { killAfterMs: 500 });
    await ready(dir, ['tally']);
    await supervisor.stop({ drainTimeoutMs: 0 });
    expect(existsSync(join(dir, 'tally.term'))).toBe(true);
    expect(supervisor.processes()[0]?.lastExit).toMatch(/ SIGKILL$/);
  });

  it('restarts a consumer that crashes while the backlog drains: the drain needs it', async () => {
    const dir = tempDir();
    const { supervisor, events } = supervise(dir, [child(dir, 'worker', 'consumer', 'crash')]);
    let reads = 0;
    await supervisor.stop({
      drainTimeoutMs: 10_000,
      backlog: async () => {
        reads++;
        const restarted = events.some((e) => e.kind === 'started' && e.state.restarts > 0);
        return { store: restarted ? 0 : 1 };
      },
    });
    expect(reads).toBeGreaterThan(1);
    expect(events.some((e) => e.kind === 'started' && e.state.restarts > 0)).toBe(true);
  });
});

describe('the data dir lock', () => {
  it('refuses a second holder, naming the first; is taken over from a holder that is gone; is released once', () => {
    const dir = tempDir();
    const lock = lockDataDir(dir);
    expect(lock.takenOverFrom).toBeUndefined();
    expect(() => lockDataDir(dir)).toThrow(DataDirBusyError);
    try {
      lockDataDir(dir);
    } catch (error) {
      expect((error as DataDirBusyError).holder.pid).toBe(process.pid);
      expect((error as Error).message).toContain(`kill -TERM ${process.pid}`);
    }
    lock.release();
    lock.release();
    expect(existsSync(join(dir, 'supervisor.lock'))).toBe(false);

    // A holder that exited (a kill -9 leaves its lock behind).
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)']).stdout.toString().trim();
    writeFileSync(
      join(dir, 'supervisor.lock'),
      JSON.stringify({ pid: Number(gone), processStart: 1, since: '2045-01-01T00:00:00.000Z' }),
    );
    const next = lockDataDir(dir);
    expect(next.takenOverFrom?.pid).toBe(Number(gone));
    next.release();

    // A half-written lock (a crash while writing it) is stale too.
    writeFileSync(join(dir, 'supervisor.lock'), '{"pid": 12');
    const after = lockDataDir(dir);
    expect(after.takenOverFrom).toBeUndefined();
    after.release();
  });

  it('does not take a pid reused by another process for the holder', () => {
    const dir = tempDir();
    // This process's pid, but another start time: the holder was a process before this one.
    writeFileSync(
      join(dir, 'supervisor.lock'),
      JSON.stringify({ pid: process.pid, processStart: 1, since: '2045-01-01T00:00:00.000Z' }),
    );
    const lock = lockDataDir(dir);
    expect(lock.takenOverFrom?.pid).toBe(process.pid);
    lock.release();
  });
});
