import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStorage } from '../../src/engines/index.js';
import { isAlive, type SupervisorState } from '../../src/runtime/index.js';
import {
  exodus,
  flowWishes,
  freePort,
  generateRoster,
  queueStatus,
  servicePids,
  startSystem,
  tempDir,
  waitFor,
  type RunningSystem,
} from '../../testkit/index.js';

/**
 * The edges of a system's life: Ctrl-C stops everything in one order and loses nothing accepted;
 * one supervisor per data dir; a killed supervisor's processes stop by themselves and its lock is
 * taken over by the next `exodus up`.
 */
const systems: RunningSystem[] = [];
afterEach(async () => {
  await Promise.all(systems.splice(0).map((system) => system.stop()));
});

async function started(options: Parameters<typeof startSystem>[0] = {}): Promise<RunningSystem> {
  const system = await startSystem(options);
  systems.push(system);
  return system;
}

function stateOf(dataDir: string): SupervisorState {
  return JSON.parse(readFileSync(join(dataDir, 'supervisor.json'), 'utf8')) as SupervisorState;
}

/** When each process last exited, from `supervisor.json` (`lastExit` is "<ISO time> <signal or code>"). */
function exitTimes(dataDir: string): Map<string, number> {
  return new Map(
    stateOf(dataDir).processes.map((p) => [
      `${p.service}-${p.replica}`,
      Date.parse((p.lastExit ?? '').split(' ')[0] ?? ''),
    ]),
  );
}

describe('stopping and starting exodus up', () => {
  it('Ctrl-C mid-flow (SIGINT to the whole group): the door closes first, the consumers drain every accepted wish, the console stops last and is never restarted', async () => {
    const dataDir = tempDir();
    const roster = await generateRoster(dataDir, 1200);
    const system = await started({ dataDir, extraArgs: ['--no-demo'] });
    const flow = flowWishes(system.url, roster, { ratePerSec: 200, durationMs: 5000 });
    // Interrupted while wishes arrive, so some are queued at every stage when the stop begins.
    await new Promise((done) => setTimeout(done, 2000));
    const interruptedAt = Date.now();
    const code = await system.interrupt();
    const answers = await flow;
    const output = system.output();

    expect(code).toBe(0);
    expect(output).toMatch(/stopped; 0 queued/);
    const afterInterrupt = output.slice(output.indexOf('SIGINT: closing the door'));
    expect(afterInterrupt, 'a process exited and was restarted during the stop').not.toMatch(
      /restarting|process restarted/,
    );
    const exits = exitTimes(dataDir);
    const frontend = exits.get('frontend-1') ?? NaN;
    const console = exits.get('console-1') ?? NaN;
    for (const [name, at] of exits) {
      expect(at, `${name} exited before the stop`).toBeGreaterThanOrEqual(interruptedAt - 1000);
      if (name !== 'frontend-1') expect(at, `${name} stopped before the door`).toBeGreaterThanOrEqual(frontend);
      if (name !== 'console-1') expect(at, `${name} stopped after the console`).toBeLessThanOrEqual(console);
    }

    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status !== 202);
    expect(accepted.length).toBeGreaterThan(100);
    // Once the door closed: a 503 with Retry-After, or no connection at all (status 0); never a 5xx of another kind.
    expect(
      refused.every((a) => a.status === 503 || a.status === 0),
      JSON.stringify(refused.slice(0, 3)),
    ).toBe(true);
    const queues = await queueStatus(dataDir);
    for (const [name, counts] of Object.entries(queues))
      expect(counts, name).toMatchObject({ ready: 0, inFlight: 0, delayed: 0, dead: 0 });
    const storage = await openStorage(`sqlite:${dataDir}`);
    try {
      for (const { id } of accepted)
        expect((await storage.store.get(id ?? ''))?.status, id).toMatch(/^(stored|superseded)$/);
    } finally {
      await storage.close();
    }
  });

  it('a drain that runs out of time says how many wishes are still queued, and where', async () => {
    const dataDir = tempDir();
    const roster = await generateRoster(dataDir, 20);
    // No worker: the store queue cannot drain.
    const system = await started({
      dataDir,
      console: false,
      replicas: 'parser=1,worker=0,tally=1',
      extraArgs: ['--no-demo', '--drain-timeout', '1s'],
    });
    const answers = await flowWishes(system.url, roster, { ratePerSec: 100, durationMs: 100 });
    const accepted = answers.filter((a) => a.status === 202).length;
    await waitFor(
      async () => (await queueStatus(dataDir))['store']?.ready === accepted,
      30_000,
      'the wishes never reached the store queue',
    );
    expect(await system.interrupt()).toBe(0);
    expect(system.output()).toContain(
      `stopped; ${accepted} still queued (store ${accepted}), delivered on the next start (the drain timeout ran out)`,
    );

    // The audit tells them apart from lost ones: on their way, in the store queue.
    const ledger = join(dataDir, 'ledger.ndjson');
    const entries = answers
      .filter((a) => a.status === 202)
      .map((a) => ({
        id: a.id,
        evacueeId: a.evacueeId,
        destination: a.destination,
        submittedAt: new Date(a.at).toISOString(),
      }));
    writeFileSync(ledger, entries.map((e) => JSON.stringify(e)).join('\n'));
    const audit = await exodus(['audit', '--data', dataDir, '--ledger', ledger]);
    expect(audit.code).toBe(1);
    expect(audit.stdout).toMatch(
      new RegExp(`^NOT YET: ${accepted} accepted wishes still on their way \\(in the queues, safe\\); nothing lost`),
    );
    const json = JSON.parse((await exodus(['audit', '--data', dataDir, '--ledger', ledger, '--json'])).stdout) as {
      lost: string[];
      onTheirWay: { queue: string }[];
    };
    expect(json.lost).toEqual([]);
    expect(json.onTheirWay.map((w) => w.queue)).toEqual(entries.map(() => 'store'));
  });

  it('a second exodus up on the same data dir exits at once with one line naming the running one; the first keeps its state', async () => {
    const system = await started({ console: false, extraArgs: ['--no-demo'] });
    const before = stateOf(system.dataDir);
    const second = await exodus(['up', '--data', system.dataDir, '--port', String(await freePort()), '--no-console']);
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toContain(`another exodus up (pid ${before.supervisorPid}`);
    expect(second.stderr).toContain(`kill -TERM ${before.supervisorPid}`);
    expect(stateOf(system.dataDir)).toEqual(before);
    expect((await fetch(`${system.url}/readyz`)).status).toBe(200);
  });

  it('kill -9 of the supervisor: its processes drain and exit by themselves, and the next exodus up takes the data dir over', async () => {
    const first = await started({ console: false, extraArgs: ['--no-demo'] });
    const pids = servicePids(first.dataDir);
    const supervisor = pids.find((p) => p.name === 'supervisor')?.pid ?? 0;
    process.kill(supervisor, 'SIGKILL');
    await waitFor(
      () => pids.every((p) => !isAlive(p.pid)),
      30_000,
      `processes outlived their supervisor: ${JSON.stringify(pids.filter((p) => isAlive(p.pid)))}`,
    );
    const next = await started({ console: false, dataDir: first.dataDir });
    expect(stateOf(next.dataDir).supervisorPid).toBe(next.process.pid);
    expect((await fetch(`${next.url}/readyz`)).status).toBe(200);
    expect(await next.stop()).toBe(0);
  });
});
