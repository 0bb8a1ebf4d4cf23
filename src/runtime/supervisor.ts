import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

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
  /** Stopped only once every other process has exited: the console, so it receives their last telemetry. */
  readonly stopsLast?: boolean;
}

/** How a process is named in logs, events and resource attributes: `worker-2`. */
export const processName = (spec: { readonly service: string; readonly replica: number }): string => `${spec.service}-${spec.replica}`;

export interface ProcessState {
  readonly service: string;
  readonly replica: number;
  pid: number | undefined;
  status: 'starting' | 'running' | 'restarting' | 'stopped';
  restarts: number;
  startedAt: string | undefined;
  lastExit: string | undefined;
  readonly metricsUrl: string | undefined;
}

export interface SupervisorState {
  readonly supervisorPid: number;
  readonly startedAt: string;
  readonly endpoints: Readonly<Record<string, string>>;
  readonly processes: readonly ProcessState[];
}

export type SupervisorEvent =
  | { kind: 'started'; state: ProcessState }
  | { kind: 'exited'; state: ProcessState; code: number | null; signal: string | null; restartInMs: number | undefined };

export interface SupervisorOptions {
  /** Where `supervisor.json` (read by `exodus status`) and the per-process logs go. */
  readonly dataDir: string;
  readonly endpoints: Readonly<Record<string, string>>;
  readonly onEvent: (event: SupervisorEvent) => void;
  /** After this long up, a process counts as healthy again and its restart backoff resets. */
  readonly stableAfterMs?: number;
  readonly drainTimeoutMs?: number;
}

const STATE_FILE = 'supervisor.json';
export const supervisorStateFile = (dataDir: string): string => join(dataDir, STATE_FILE);

/** The state of the `exodus up` running on `dataDir`; undefined when none runs there (no file, or its supervisor is gone). */
export function runningSupervisorState(dataDir: string): SupervisorState | undefined {
  const file = supervisorStateFile(dataDir);
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, 'utf8')) as SupervisorState;
  return isAlive(state.supervisorPid) ? state : undefined;
}

/** True while a process of that id exists (one of another user's counts: signalling it is refused, not failed). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Auto-healing: runs each service as its own OS process, restarts one that dies with exponential
 * backoff (250 ms doubling to 30 s; reset once it has stayed up), and on `stop()` sends SIGTERM to
 * all and waits for them to drain before SIGKILL. Each process logs to `<dataDir>/logs/`.
 */
export class Supervisor {
  private readonly children = new Map<ProcessState, ChildProcess>();
  private readonly states: ProcessState[];
  private readonly startedAt = new Date().toISOString();
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

  async stop(): Promise<void> {
    this.stopping = true;
    const last = new Set(this.states.filter((_, i) => this.specs[i]?.stopsLast === true));
    const children = [...this.children.entries()];
    await Promise.all(children.filter(([state]) => !last.has(state)).map(([state, child]) => this.drain(state, child)));
    await Promise.all(children.filter(([state]) => last.has(state)).map(([state, child]) => this.drain(state, child)));
    for (const state of this.states) state.status = 'stopped';
    this.save();
  }

  /** SIGTERM, then SIGKILL if it has not exited within the drain timeout. */
  private drain(state: ProcessState, child: ChildProcess): Promise<void> {
    return new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const force = setTimeout(() => child.kill('SIGKILL'), this.options.drainTimeoutMs ?? 30_000);
      child.once('exit', () => {
        clearTimeout(force);
        state.status = 'stopped';
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  private launch(spec: ProcessSpec, state: ProcessState, failures: number): void {
    const log = createWriteStream(join(this.options.dataDir, 'logs', `${processName(spec)}.log`), { flags: 'a' });
    const child = spawn(spec.command, spec.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...spec.env } });
    pipeTo(child, log);
    const launchedAt = Date.now();
    state.pid = child.pid;
    state.status = 'running';
    state.startedAt = new Date(launchedAt).toISOString();
    this.children.set(state, child);
    this.save();
    this.options.onEvent({ kind: 'started', state });
    child.once('exit', (code, signal) => {
      this.children.delete(state);
      state.pid = undefined;
      state.lastExit = `${new Date().toISOString()} ${signal ?? `code ${String(code)}`}`;
      if (this.stopping) {
        state.status = 'stopped';
        this.save();
        return;
      }
      const stable = Date.now() - launchedAt >= (this.options.stableAfterMs ?? 10_000);
      const nextFailures = stable ? 0 : failures + 1;
      const restartInMs = Math.min(30_000, 250 * 2 ** nextFailures);
      state.status = 'restarting';
      state.restarts++;
      this.save();
      this.options.onEvent({ kind: 'exited', state, code, signal, restartInMs });
      setTimeout(() => {
        if (!this.stopping) this.launch(spec, state, nextFailures);
      }, restartInMs);
    });
  }

  /** Written atomically (rename), so `exodus status` never reads half a file. */
  private save(): void {
    const state: SupervisorState = { supervisorPid: process.pid, startedAt: this.startedAt, endpoints: this.options.endpoints, processes: this.states };
    const file = supervisorStateFile(this.options.dataDir);
    writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
    renameSync(`${file}.tmp`, file);
  }
}

function pipeTo(child: ChildProcess, log: WriteStream): void {
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  child.once('close', () => log.end());
}
