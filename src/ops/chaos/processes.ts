import { isAlive, runningSupervisorState, type SupervisorState } from '../../runtime/index.js';
import { CONSUMER_NAMES, CONSUMERS_TOGETHER } from '../../services/names.js';

/** The state `exodus up` keeps of its processes, or a clear error when nothing runs on this data dir. */
export function readSupervisorState(dataDir: string): SupervisorState {
  const state = runningSupervisorState(dataDir);
  if (state === undefined) throw new Error(`no exodus up runs on ${dataDir}`);
  return state;
}

export interface ServiceProcess {
  /** `worker-2`. */
  readonly name: string;
  readonly pid: number;
}

/**
 * The service whose processes run `service` in an `exodus up` running `known`: itself, or, for a
 * consumer run as a loop in the `consumers` process (`exodus up` without `--replicas`), that process:
 * killing "the worker" kills the process holding the worker's leases, with the parser's and the
 * tally's. Undefined when nothing runs it.
 */
export function hostOf(known: readonly string[], service: string): string | undefined {
  if (known.includes(service)) return service;
  const hosted = known.includes(CONSUMERS_TOGETHER) && (CONSUMER_NAMES as readonly string[]).includes(service);
  return hosted ? CONSUMERS_TOGETHER : undefined;
}

/** What an `exodus up` runs, for a message: `frontend, consumers (parser, worker, tally)`. */
export function describeServices(known: readonly string[]): string {
  return known
    .map((name) => (name === CONSUMERS_TOGETHER ? `${name} (${CONSUMER_NAMES.join(', ')})` : name))
    .join(', ');
}

/** The running processes of `service` (e.g. `worker`; see `hostOf`), from the supervisor's state. */
export function processesOf(dataDir: string, service: string): ServiceProcess[] {
  const state = readSupervisorState(dataDir);
  const known = [...new Set(state.processes.map((p) => p.service))];
  const host = hostOf(known, service);
  if (host === undefined)
    throw new Error(`no service "${service}" in this exodus up (it runs: ${describeServices(known)})`);
  return state.processes
    .filter((p) => p.service === host && p.status === 'running' && p.pid !== undefined && isAlive(p.pid))
    .map((p) => ({ name: `${p.service}-${p.replica}`, pid: p.pid ?? 0 }));
}

/**
 * `kill -9` of one running process of `service`, the one `pick` chooses among them (default: the
 * first): what `exodus chaos kill` does to its victim, and how tests kill a service. The supervisor
 * restarts it. Returns the process killed; undefined when `pick` found none (all restarting).
 */
export function killProcess(
  dataDir: string,
  service: string,
  pick: (running: readonly ServiceProcess[]) => ServiceProcess | undefined = (running) => running[0],
): ServiceProcess | undefined {
  const victim = pick(processesOf(dataDir, service));
  if (victim !== undefined) process.kill(victim.pid, 'SIGKILL');
  return victim;
}

/** Every process the supervisor wants, and how many of them run now. */
export function runningCount(dataDir: string): { wanted: number; running: number } {
  const state = readSupervisorState(dataDir);
  return {
    wanted: state.processes.length,
    running: state.processes.filter((p) => p.status === 'running' && p.pid !== undefined && isAlive(p.pid)).length,
  };
}
