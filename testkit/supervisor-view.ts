import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastSupervisorState, logFilesOf, processName, type ProcessState } from '../src/runtime/index.js';
import { sleep } from './pacing.js';

/**
 * An `exodus up` seen from outside, as an operator's tools see it: the processes its supervisor
 * wrote down (supervisor.json, read by the runtime's own reader: it is written by rename, so it is
 * never read half-written), and each process's log.
 */

/** A process of `exodus up` as its supervisor last wrote it down (supervisor.json). */
export type ChildState = ProcessState;

/** Every process of the `exodus up` on `dataDir`, as its supervisor last wrote them; none before it wrote any. */
export function readChildren(dataDir: string): readonly ChildState[] {
  return lastSupervisorState(dataDir)?.processes ?? [];
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
  /** The queue a consumer's line is about (a process may run several consumers' loops). */
  readonly queue?: string;
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

export interface ServicePid {
  readonly name: string;
  readonly pid: number;
}

/**
 * The processes of an `exodus up`, from its supervisor's state file: `supervisor`, `frontend-1`,
 * `worker-2`… Empty while the file is missing or some process has no pid yet (still launching).
 */
export function servicePids(dataDir: string): ServicePid[] {
  const state = lastSupervisorState(dataDir);
  if (state === undefined || state.processes.some((p) => p.pid === undefined)) return [];
  return [
    { name: 'supervisor', pid: state.supervisorPid },
    ...state.processes.map((p) => ({ name: processName(p), pid: p.pid ?? 0 })),
  ];
}

/** Services whose pid is no longer the one in `before`: they crashed and the supervisor restarted them. */
export function restartedSince(before: readonly ServicePid[], dataDir: string): string[] {
  const now = new Map(servicePids(dataDir).map((p) => [p.name, p.pid]));
  if (now.size === 0) return [];
  return before.filter((p) => now.get(p.name) !== p.pid).map((p) => p.name);
}
