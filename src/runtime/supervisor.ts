import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isAlive } from './data-dir-lock.js';
import { openProcessLog, type ProcessLog } from './log-files.js';

/** One process the supervisor keeps running. */
export interface ProcessSpec {
  readonly service: string;
  readonly replica: number;
  readonly command: string;
  readonly args: readonly string[];
  /** Where the process answers Prometheus scrapes (`…/metrics`), listed by `exodus status`. */
  readonly metricsUrl?: string;
  /** Set in the process's environment on top of the supervisor's own (so secrets stay out of argv). */
  readonly env?: Readonly<Record<string, string>>;
  /** When it stops in `Supervisor.stop` (see `StopRole`). */
  readonly role: StopRole;
}

/**
 * The stop order. `door`: stopped first, so nothing new comes in (the frontend). `consumer`: left
 * running until the queues are drained (or the drain time is up), then stopped. `observer`:
 * stopped last, once every other process has exited (the console, so it hears their last telemetry).
 */
export type StopRole = 'door' | 'consumer' | 'observer';

/** How a process is named in logs, events and resource attributes: `worker-2`. */
export const processName = (spec: { readonly service: string; readonly replica: number }): string =>
  `${spec.service}-${spec.replica}`;

export interface ProcessState {
  readonly service: string;
  readonly replica: number;
  pid: number | undefined;
  status: 'starting' | 'running' | 'restarting' | 'stopped';
  restarts: number;
  startedAt: string | undefined;
  lastExit: string | undefined;
  /** Set while it is in a crash loop (see `CRASH_LOOP_EXITS`): since when, exits so far, when it is tried next. */
  crashLoop: CrashLoop | undefined;
  /** While it waits to be restarted: when (ISO 8601). */
  nextStartAt: string | undefined;
  readonly metricsUrl: string | undefined;
}

export interface CrashLoop {
  readonly since: string;
  readonly exits: number;
}

/**
 * A crash loop: this many exits in a row, each before the process stayed up `stableAfterMs`. From
 * then on each restart waits longer (the backoff doubles), and the loop is told once, as one event,
 * rather than as a row per exit; it ends once the process stays up.
 */
export const CRASH_LOOP_EXITS = 3;

export interface SupervisorState {
  readonly supervisorPid: number;
  readonly startedAt: string;
  readonly endpoints: Readonly<Record<string, string>>;
  readonly processes: readonly ProcessState[];
}

export type SupervisorEvent =
  | { kind: 'started'; state: ProcessState }
  | {
      kind: 'exited';
      state: ProcessState;
      code: number | null;
      signal: string | null;
      restartInMs: number | undefined;
    }
  /** It began a crash loop: told once, with the exits so far and the wait before the next try. */
  | { kind: 'crash-loop'; state: ProcessState; exits: number; restartInMs: number }
  /** It stayed up after a crash loop. */
  | { kind: 'crash-loop-ended'; state: ProcessState }
  /** It exited because it was told to (a stop): never taken for a crash. */
  | { kind: 'stopped'; state: ProcessState; code: number | null; signal: string | null };

export interface SupervisorOptions {
  /** Where `supervisor.json` (read by `exodus status`) and the per-process logs go. */
  readonly dataDir: string;
  readonly endpoints: Readonly<Record<string, string>>;
  readonly onEvent: (event: SupervisorEvent) => void;
  /** After this long up, a process counts as healthy again and its restart backoff resets. */
  readonly stableAfterMs?: number;
  /** How long a process may take to exit after SIGTERM before it gets SIGKILL, in ms; default 30 s. */
  readonly killAfterMs?: number;
}

/** Messages still queued (ready, in flight or delayed), by queue, read upstream first. */
export type Backlog = Readonly<Record<string, number>>;

export interface StopPlan {
  /** How long the consumers may work on the backlog once the door is closed, in ms. */
  readonly drainTimeoutMs: number;
  /**
   * The backlog now. It must read the queues in pipeline order (intake before the queues fed from
   * it): a message moves downstream before it leaves its queue, so an upstream-first read can never
   * miss one in transit. Undefined: nothing to wait for.
   */
  readonly backlog?: () => Promise<Backlog>;
  /** Called while the backlog drains (about every 2 s), for progress. */
  readonly onDraining?: (backlog: Backlog) => void;
  /** Runs before the observers stop: the supervisor's own last telemetry, while the console listens. */
  readonly beforeObservers?: () => Promise<void>;
}

export interface StopOutcome {
  /** What is still queued after every process stopped (safe in the queues, delivered on the next start); undefined when unknown. */
  readonly backlog: Backlog | undefined;
  /** The drain ran out of time with work still queued. */
  readonly timedOut: boolean;
}

/** How often the backlog is read while draining, and progress reported, in ms. */
const BACKLOG_POLL_MS = 250;
const PROGRESS_EVERY_MS = 2000;

const STATE_FILE = 'supervisor.json';
export const supervisorStateFile = (dataDir: string): string => join(dataDir, STATE_FILE);

/** The state last written on `dataDir`, whether or not its supervisor still runs; undefined without one. */
export function lastSupervisorState(dataDir: string): SupervisorState | undefined {
  const file = supervisorStateFile(dataDir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as SupervisorState;
}

/** The state of the `exodus up` running on `dataDir`; undefined when none runs there (no file, or its supervisor is gone). */
export function runningSupervisorState(dataDir: string): SupervisorState | undefined {
  const state = lastSupervisorState(dataDir);
  return state !== undefined && isAlive(state.supervisorPid) ? state : undefined;
}

/**
 * Auto-healing: runs each service as its own OS process, restarts one that dies with exponential
 * backoff (250 ms doubling to 30 s; reset once it has stayed up), and stops them in order (`stop`).
 * Each process logs to `<dataDir>/logs/<service>-<replica>.log`, rotated at 10 MiB, 5 files at most.
 *
 * The children run in process groups of their own, so a terminal's Ctrl-C (sent to the foreground
 * group) reaches only the supervisor, which then stops them in order; each child also has an IPC
 * channel to the supervisor, whose closing (the supervisor killed) makes it stop by itself
 * (runtime/shutdown.ts).
 */
export class Supervisor {
  private readonly children = new Map<ProcessState, ChildProcess>();
  private readonly states: ProcessState[];
  private readonly startedAt = new Date().toISOString();
  /** Processes told to stop: their exit is not a crash, and they are not restarted. */
  private readonly stopRequested = new Set<ProcessState>();
  private stopping = false;

  constructor(
    private readonly specs: readonly ProcessSpec[],
    private readonly options: SupervisorOptions,
  ) {
    this.states = specs.map((spec) => ({
      service: spec.service,
      replica: spec.replica,
      pid: undefined,
      status: 'starting',
      restarts: 0,
      startedAt: undefined,
      lastExit: undefined,
      crashLoop: undefined,
      nextStartAt: undefined,
      metricsUrl: spec.metricsUrl,
    }));
    mkdirSync(join(options.dataDir, 'logs'), { recursive: true });
  }

  start(): void {
    this.specs.forEach((spec, i) => this.launch(spec, this.states[i] as ProcessState, 0));
  }

  /** Every process it keeps (one per spec, wanted running), as it stands now. */
  processes(): readonly ProcessState[] {
    return this.states;
  }

  /**
   * Stops everything in one order, whatever the signal: the door first (nothing new is accepted),
   * then the consumers once the backlog is drained or `drainTimeoutMs` has passed (a crashed
   * consumer is still restarted meanwhile: the drain needs it), then the observers. Resolves with
   * what is still queued at the end. A second call is ignored (resolves at once).
   */
  async stop(plan: StopPlan): Promise<StopOutcome> {
    if (this.stopping) return { backlog: undefined, timedOut: false };
    this.stopping = true;
    await this.stopRole('door');
    const consumers = this.specs.some((spec) => spec.role === 'consumer');
    const timedOut = consumers && plan.backlog !== undefined ? !(await this.drainBacklog(plan.backlog, plan)) : false;
    await this.stopRole('consumer');
    const backlog = plan.backlog === undefined ? undefined : await plan.backlog().catch(() => undefined);
    await plan.beforeObservers?.();
    await this.stopRole('observer');
    this.save();
    return { backlog, timedOut };
  }

  /** True once the backlog is empty; false when the drain time ran out first (or the queues cannot be read). */
  private async drainBacklog(read: () => Promise<Backlog>, plan: StopPlan): Promise<boolean> {
    const deadline = Date.now() + plan.drainTimeoutMs;
    let reportAt = Date.now() + PROGRESS_EVERY_MS;
    for (;;) {
      const backlog = await read().catch(() => undefined);
      if (backlog === undefined) return false;
      if (backlogTotal(backlog) === 0) return true;
      if (Date.now() >= deadline) return false;
      if (Date.now() >= reportAt) {
        plan.onDraining?.(backlog);
        reportAt = Date.now() + PROGRESS_EVERY_MS;
      }
      await delay(BACKLOG_POLL_MS);
    }
  }

  private async stopRole(role: StopRole): Promise<void> {
    const states = this.states.filter((_, i) => this.specs[i]?.role === role);
    for (const state of states) this.stopRequested.add(state);
    const exits: Promise<void>[] = [];
    for (const state of states) {
      const child = this.children.get(state);
      if (child !== undefined) exits.push(this.terminate(child));
      else state.status = 'stopped'; // was waiting to be restarted: it stays down
    }
    await Promise.all(exits);
    this.save();
  }

  /** SIGTERM, then SIGKILL if it has not exited in time. */
  private terminate(child: ChildProcess): Promise<void> {
    return new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const force = setTimeout(() => child.kill('SIGKILL'), this.options.killAfterMs ?? 30_000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  private launch(spec: ProcessSpec, state: ProcessState, failures: number): void {
    // Rotated by size with a cap per process (log-files.ts): a flood of log lines cannot fill the disk.
    const log = openProcessLog(join(this.options.dataDir, 'logs', `${processName(spec)}.log`));
    const child = spawn(spec.command, spec.args, {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
      env: { ...process.env, ...spec.env },
    });
    pipeTo(child, log);
    const launchedAt = Date.now();
    const stableAfterMs = this.options.stableAfterMs ?? 10_000;
    state.pid = child.pid;
    state.status = 'running';
    state.startedAt = new Date(launchedAt).toISOString();
    state.nextStartAt = undefined;
    this.children.set(state, child);
    this.save();
    this.options.onEvent({ kind: 'started', state });
    // Up long enough: whatever loop it was in is over.
    const stable = setTimeout(() => {
      if (state.crashLoop === undefined || this.children.get(state) !== child) return;
      state.crashLoop = undefined;
      this.save();
      this.options.onEvent({ kind: 'crash-loop-ended', state });
    }, stableAfterMs).unref();
    child.once('exit', (code, signal) => {
      clearTimeout(stable);
      this.children.delete(state);
      state.pid = undefined;
      state.lastExit = `${new Date().toISOString()} ${signal ?? `code ${String(code)}`}`;
      if (this.stopRequested.has(state)) {
        state.status = 'stopped';
        state.crashLoop = undefined;
        this.save();
        this.options.onEvent({ kind: 'stopped', state, code, signal });
        return;
      }
      const nextFailures = Date.now() - launchedAt >= stableAfterMs ? 0 : failures + 1;
      const restartInMs = Math.min(30_000, 250 * 2 ** nextFailures);
      state.status = 'restarting';
      state.restarts++;
      state.nextStartAt = new Date(Date.now() + restartInMs).toISOString();
      const loopBegins = nextFailures >= CRASH_LOOP_EXITS && state.crashLoop === undefined;
      if (nextFailures >= CRASH_LOOP_EXITS)
        state.crashLoop = { since: state.crashLoop?.since ?? new Date().toISOString(), exits: nextFailures };
      this.save();
      this.options.onEvent({ kind: 'exited', state, code, signal, restartInMs });
      if (loopBegins) this.options.onEvent({ kind: 'crash-loop', state, exits: nextFailures, restartInMs });
      setTimeout(() => {
        if (!this.stopRequested.has(state)) this.launch(spec, state, nextFailures);
      }, restartInMs);
    });
  }

  /** Written atomically (rename), so `exodus status` never reads half a file. */
  private save(): void {
    const state: SupervisorState = {
      supervisorPid: process.pid,
      startedAt: this.startedAt,
      endpoints: this.options.endpoints,
      processes: this.states,
    };
    const file = supervisorStateFile(this.options.dataDir);
    writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
    renameSync(`${file}.tmp`, file);
  }
}

/** Every message a backlog counts. */
export function backlogTotal(backlog: Backlog): number {
  return Object.values(backlog).reduce((sum, n) => sum + n, 0);
}

/** Each stream its own input, so a line of stdout never lands inside a line of stderr. */
function pipeTo(child: ChildProcess, log: ProcessLog): void {
  child.stdout?.pipe(log.input());
  child.stderr?.pipe(log.input());
  child.once('close', () => void log.end());
}

/**
 * The processes a killed supervisor left behind (from its last `supervisor.json`): they stop by
 * themselves when their supervisor's channel closes, draining first; this waits for them, and
 * SIGKILLs the ones still there after `timeoutMs`. Only a pid that still runs `exodus serve` is
 * waited for or killed (after a crash, a pid may have been given to an unrelated process).
 */
export async function stopLeftovers(state: SupervisorState, timeoutMs: number): Promise<number> {
  const left = state.processes.flatMap((p) => (p.pid !== undefined && isExodusService(p.pid) ? [p.pid] : []));
  const deadline = Date.now() + timeoutMs;
  while (left.some(isExodusService) && Date.now() < deadline) await delay(100);
  for (const pid of left.filter(isExodusService)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return left.length;
}

/** True while `pid` runs `exodus serve …` (read from /proc; false where there is none). */
function isExodusService(pid: number): boolean {
  try {
    return isAlive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('serve');
  } catch {
    return false;
  }
}
