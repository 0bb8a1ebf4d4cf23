import { isAlive, runningSupervisorState, type SupervisorState } from '../../runtime/index.js';

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

/** The running processes of `service` (e.g. `worker`), from the supervisor's state. */
export function processesOf(dataDir: string, service: string): ServiceProcess[] {
  const state = readSupervisorState(dataDir);
  const known = [...new Set(state.processes.map((p) => p.service))];
  if (!known.includes(service))
    throw new Error(`no service "${service}" in this exodus up (it runs: ${known.join(', ')})`);
  return state.processes
    .filter((p) => p.service === service && p.status === 'running' && p.pid !== undefined && isAlive(p.pid))
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
