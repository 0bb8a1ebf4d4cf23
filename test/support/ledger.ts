import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptyTally, isNewer } from '../../src/domain/index.js';
import type { Queue, QueueStats } from '../../src/ports/index.js';
import { logFilesOf } from '../../src/runtime/index.js';
import { exodus } from './system.js';

/**
 * The client's side of the bargain, for tests that must prove nothing was lost: every 202 the API
 * gave is written down here, and the expected end state (which wish of each evacuee is current, the
 * tally) is derived from it independently of the system under test.
 */
export type Destination = 'mars' | 'europa';

export interface AcceptedWish {
  readonly id: string;
  readonly evacueeId: string;
  readonly submittedAt: string;
  readonly destination: Destination;
}

export class Ledger {
  readonly accepted: AcceptedWish[] = [];

  record(wish: AcceptedWish): void {
    this.accepted.push(wish);
  }

  /** Last writer wins by `(submittedAt, id)`: the wish each evacuee must end with, by evacuee id. */
  newestPerEvacuee(): Map<string, AcceptedWish> {
    const newest = new Map<string, AcceptedWish>();
    for (const wish of this.accepted) {
      const current = newest.get(wish.evacueeId);
      if (isNewer(wish, current)) newest.set(wish.evacueeId, wish);
    }
    return newest;
  }

  /** Distinct evacuees with an accepted wish, by the destination of their newest one. */
  expectedTally(): Record<Destination, number> {
    const tally = emptyTally();
    for (const wish of this.newestPerEvacuee().values()) tally[wish.destination]++;
    return tally;
  }
}

/**
 * Runs `task(0..count-1)` with at most `concurrency` in flight, starting task i no earlier than
 * i / ratePerSec seconds in, so a load lasts long enough for faults to land while it flows.
 */
export async function runPaced(
  count: number,
  options: { concurrency: number; ratePerSec: number },
  task: (index: number) => Promise<void>,
): Promise<void> {
  const startedAt = Date.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      const due = startedAt + (index * 1000) / options.ratePerSec;
      if (due > Date.now()) await sleep(due - Date.now());
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, count) }, lane));
}

/** Runs `task` on every item with at most `concurrency` in flight. */
export async function forEachLimit<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export { seededRandom } from '../../src/ops/index.js';

// --- The supervisor, seen from outside: its state file and `exodus status --json` ---

export interface ChildState {
  readonly service: string;
  readonly replica: number;
  readonly pid?: number;
  readonly status: string;
  readonly restarts: number;
}

export function readChildren(dataDir: string): ChildState[] {
  const state = JSON.parse(readFileSync(join(dataDir, 'supervisor.json'), 'utf8')) as { processes: ChildState[] };
  return state.processes;
}

export function childOf(dataDir: string, service: string, replica: number): ChildState {
  const child = readChildren(dataDir).find((p) => p.service === service && p.replica === replica);
  if (child === undefined) throw new Error(`supervisor.json has no ${service}-${replica}`);
  return child;
}

/** Resolves once the supervisor runs a new process for the child that had `killedPid`. */
export async function waitForRestart(
  dataDir: string,
  service: string,
  replica: number,
  killedPid: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { pid, status } = childOf(dataDir, service, replica);
    if (pid !== undefined && pid !== killedPid && status === 'running') return pid;
    await sleep(25);
  }
  throw new Error(`${service}-${replica} was not restarted within ${timeoutMs} ms of kill -9 of pid ${killedPid}`);
}

/**
 * Resolves once the process `pid` logs `<service> consuming` (its consume loop is running): spawned
 * is not the same as back at work, and a Node process can take seconds to boot on a busy machine.
 */
export async function waitUntilConsuming(
  dataDir: string,
  service: string,
  replica: number,
  pid: number,
  timeoutMs: number,
): Promise<void> {
  const name = `${service}-${replica}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (processLog(dataDir, name).some((entry) => entry.pid === pid && entry.msg === `${service} consuming`)) return;
    await sleep(25);
  }
  throw new Error(
    `${name} (pid ${pid}) did not log "${service} consuming" within ${timeoutMs} ms; see ${join(dataDir, 'logs', `${name}.log`)} and its rotations`,
  );
}

/** A process's JSON log line (pino), with the fields the tests read. */
export interface LogEntry {
  readonly msg?: string;
  readonly pid?: number;
  /** ISO 8601. */
  readonly time?: string;
}

/**
 * The JSON lines of a process's log (`<dataDir>/logs/<name>.log`, e.g. `worker-2`) across its
 * rotations (`.1` … `.4`, `logFilesOf`), oldest first; none before it logged. A line still being
 * written is left out, and so is a rotation deleted between the listing and the read.
 */
export function processLog(dataDir: string, name: string): LogEntry[] {
  return logFilesOf(join(dataDir, 'logs', `${name}.log`)).flatMap((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return text.split('\n').flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line) as LogEntry];
      } catch {
        return []; // a line still being written
      }
    });
  });
}

// --- kill -9 of consumers while they hold leased messages: a state made, not caught ---

/**
 * The longest a round of `killHoldingLeases` waits for a message or a lease before it thaws
 * everyone and starts again. A round can stall for good: on SQLite a process frozen inside a write
 * transaction keeps the queue's write lock, so nobody sends to or leases from it until it is thawed.
 * A round that is merely slow (no message for a second) just starts again: this bounds nothing else.
 */
const ROUND_MS = 1_000;

/** A consumer process of `exodus up`: `{ service: 'worker', replica: 2 }` is `worker-2`. */
export interface ConsumerProcess {
  readonly service: string;
  readonly replica: number;
}

export interface KillHoldingOptions {
  readonly dataDir: string;
  /** The queue the victims lease from, on the test's own connection (only `stats()` is read). */
  readonly queue: Pick<Queue, 'stats'>;
  readonly victims: readonly ConsumerProcess[];
  /**
   * The queue's other consumers, frozen holding nothing while the victims are caught and thawed
   * after, so that what the queue has in flight is the victims' alone. Default none: the victims are
   * all its consumers. Needs an engine whose receive does not wait at the server (SQLite; NATS pulls
   * with `no_wait`): an SQS long poll sent before the freeze can still be answered during it.
   */
  readonly bystanders?: readonly ConsumerProcess[];
  /**
   * Called when every consumer is frozen and the queue has nothing for the victims to lease: the
   * load must bring a message (a test that holds its load back lets one through).
   */
  readonly starving?: () => void;
  /** How long making that state may take; past it the kill is not made and this rejects. */
  readonly withinMs: number;
}

export interface HeldKill {
  /** The victims' pids, in `victims` order. */
  readonly pids: readonly number[];
  /** Messages in flight on the queue when the victims died, every one leased by a victim: all abandoned. */
  readonly held: number;
}

/**
 * `kill -9` of `victims` at a moment they certainly hold leased messages, made rather than caught: a
 * fast consumer settles a batch in milliseconds, so seeing messages in flight and then killing is a
 * race the consumer can win (and does, on a quiet machine). SIGSTOP freezes a process with whatever
 * it holds, a frozen process leases nothing more, and SIGKILL ends a frozen process as well. So:
 * 1. at an instant with nothing in flight on the queue (nobody holds anything, and no earlier
 *    victim's abandoned leases are still out), every consumer of the queue is frozen; read again,
 *    still nothing in flight, or they are thawed and it starts over (one leased in between);
 * 2. once messages are ready, the victims alone are thawed, and frozen again as soon as the queue
 *    shows messages in flight (or none left ready);
 * 3. with everyone frozen, whatever is in flight was leased by a victim since step 1 and is held for
 *    as long as it stays frozen: then SIGKILL, and the bystanders are thawed. If nothing is (the
 *    batch was settled before the freeze), back to 2.
 * Only step 2 races, and losing it costs a round, never the certainty. A round freezes the queue's
 * consumers for about one message's arrival (at most `ROUND_MS`); the victims die well inside their leases.
 */
export async function killHoldingLeases(options: KillHoldingOptions): Promise<HeldKill> {
  const { dataDir, queue, victims, bystanders = [], starving, withinMs } = options;
  const pidOf = ({ service, replica }: ConsumerProcess): number => {
    const { pid, status } = childOf(dataDir, service, replica);
    if (pid === undefined || status !== 'running') throw new Error(`${service}-${replica} is not running (${status})`);
    return pid;
  };
  const victimPids = victims.map(pidOf);
  const everyone = [...victimPids, ...bystanders.map(pidOf)];
  const frozen = new Set<number>();
  const freeze = (pids: readonly number[]): void => {
    for (const pid of pids) {
      process.kill(pid, 'SIGSTOP');
      frozen.add(pid);
    }
  };
  const thaw = (pids: readonly number[]): void => {
    for (const pid of pids) {
      frozen.delete(pid);
      try {
        process.kill(pid, 'SIGCONT');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error; // died meanwhile: nothing to thaw
      }
    }
  };
  const deadline = Date.now() + withinMs;
  /** Polls the queue until `reached`; undefined once `roundEnds` has passed; throws past the deadline. */
  const until = async (
    state: string,
    reached: (stats: QueueStats) => boolean,
    roundEnds = deadline,
  ): Promise<QueueStats | undefined> => {
    for (;;) {
      const stats = await queue.stats();
      if (reached(stats)) return stats;
      if (Date.now() > deadline) {
        const names = victims.map(({ service, replica }) => `${service}-${replica}`).join(' and ');
        throw new Error(
          `could not kill ${names} holding leased messages within ${withinMs} ms: never saw ${state} (last: ${JSON.stringify(stats)})`,
        );
      }
      if (Date.now() > roundEnds) return undefined;
      await sleep(1); // a turn of the event loop: the test's own load goes on meanwhile
    }
  };
  try {
    for (;;) {
      await until('nothing in flight', (s) => s.inFlight === 0);
      freeze(everyone);
      const roundEnds = Date.now() + ROUND_MS;
      let stats: QueueStats | undefined = await queue.stats();
      if (stats.inFlight > 0) stats = undefined; // leased between the reading and the freeze: by whom, cannot be told
      // Every consumer of the queue is frozen holding nothing.
      while (stats !== undefined && stats.inFlight === 0) {
        if (stats.ready === 0) {
          starving?.();
          stats = await until('a message ready', (s) => s.ready > 0 || s.inFlight > 0, roundEnds);
          continue;
        }
        thaw(victimPids);
        const leasing = await until('the victims leasing', (s) => s.inFlight > 0 || s.ready === 0, roundEnds);
        freeze(victimPids);
        stats = leasing === undefined ? undefined : await queue.stats();
      }
      if (stats === undefined) {
        thaw(everyone);
        continue;
      }
      for (const pid of victimPids) {
        process.kill(pid, 'SIGKILL');
        frozen.delete(pid);
      }
      return { pids: victimPids, held: stats.inFlight };
    }
  } finally {
    // The bystanders, and on a failure anyone still frozen, go back to work.
    thaw([...frozen]);
  }
}

export interface QueueCounts {
  readonly ready: number;
  readonly inFlight: number;
  readonly dead: number;
}

/** Queue depths as an operator sees them: `exodus status --data DIR --json`. */
export async function queueStatus(dataDir: string): Promise<Record<string, QueueCounts>> {
  const result = await exodus(['status', '--data', dataDir, '--json']);
  if (result.code !== 0) throw new Error(`exodus status failed (${result.code}): ${result.stderr}`);
  return (JSON.parse(result.stdout) as { queues: Record<string, QueueCounts> }).queues;
}
