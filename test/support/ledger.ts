import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isNewer } from '../../src/domain/index.js';
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
    const tally = { mars: 0, europa: 0 };
    for (const wish of this.newestPerEvacuee().values()) tally[wish.destination]++;
    return tally;
  }
}


/**
 * Runs `task(0..count-1)` with at most `concurrency` in flight, starting task i no earlier than
 * i / ratePerSec seconds in, so a load lasts long enough for faults to land while it flows.
 */
export async function runPaced(count: number, options: { concurrency: number; ratePerSec: number }, task: (index: number) => Promise<void>): Promise<void> {
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
export async function forEachLimit<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
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

/** SIGKILLs a running child (no drain, no settle: its leases are simply abandoned); returns its pid. */
export function sigkillChild(dataDir: string, service: string, replica: number): number {
  const { pid, status } = childOf(dataDir, service, replica);
  if (pid === undefined || status !== 'running') throw new Error(`${service}-${replica} is not running (${status})`);
  process.kill(pid, 'SIGKILL');
  return pid;
}

/** Resolves once the supervisor runs a new process for the child that had `killedPid`. */
export async function waitForRestart(dataDir: string, service: string, replica: number, killedPid: number, timeoutMs: number): Promise<number> {
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
export async function waitUntilConsuming(dataDir: string, service: string, replica: number, pid: number, timeoutMs: number): Promise<void> {
  const file = join(dataDir, 'logs', `${service}-${replica}.log`);
  const consuming = (line: string): boolean => {
    if (!line.startsWith('{')) return false;
    try {
      const entry = JSON.parse(line) as { pid?: unknown; msg?: unknown };
      return entry.pid === pid && entry.msg === `${service} consuming`;
    } catch {
      return false; // a line still being written
    }
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(file) && readFileSync(file, 'utf8').split('\n').some(consuming)) return;
    await sleep(25);
  }
  throw new Error(`${service}-${replica} (pid ${pid}) did not log "${service} consuming" within ${timeoutMs} ms; see ${file}`);
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
