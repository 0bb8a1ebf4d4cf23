import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { ONE_ADDRESS_LOAD_ENV, freePort } from '../src/ops/index.js';
import { readRosterFile, type RosterEntry } from '../src/ops/load/index.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The processes the bench starts: the exodus CLI (`up`, `roster generate`) and the bare server.
 * Every child and temp dir is tracked, so the watchdog and Ctrl-C can clean up (`killAll`): a
 * benchmark must never leave servers or data behind.
 */
const BIN = resolve(import.meta.dirname, '../../bin/exodus.js');
const BARE_SERVER = resolve(import.meta.dirname, 'bare-server.js');

/** This process, as CPU reports name it: the load generator runs here. */
export const GENERATOR = 'bench (load generator)';

const children = new Set<ChildProcess>();
/** Data dirs of running `exodus up`s: their service pids are in the supervisor's state file. */
const systems = new Set<string>();
/** Data dirs made by `tempDir` and not yet removed. */
const dirs = new Set<string>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** `exodus roster generate` into `dataDir` (its passes are signed by that data dir's secret). */
export async function generateRoster(dataDir: string, count: number, engineArgs: readonly string[] = []): Promise<RosterEntry[]> {
  const out = join(dataDir, 'roster.csv');
  const child = track(
    spawn(process.execPath, [BIN, 'roster', 'generate', '--data', dataDir, '--count', String(count), '--out', out, ...engineArgs], { stdio: ['ignore', 'ignore', 'pipe'] }),
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`roster generate exited ${String(code)}: ${stderr}`);
  return readRosterFile(out);
}

export interface RunningProcess {
  readonly origin: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}


/** `exodus up` on `dataDir` and a free 127.0.0.1 port, resolved once `/readyz` answers 200. */
export async function startExodus(dataDir: string, engineArgs: readonly string[] = []): Promise<RunningProcess> {
  const [port, consolePort] = [await freePort(), await freePort()];
  // The console's port is chosen too (default 3001 may be taken), unless the arguments turn it off.
  const consoleArgs = engineArgs.includes('--no-console') ? [] : ['--console-port', String(consolePort)];
  const child = track(
    spawn(process.execPath, [BIN, 'up', '--data', dataDir, '--port', String(port), '--host', '127.0.0.1', ...consoleArgs, ...engineArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...ONE_ADDRESS_LOAD_ENV },
    }),
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exodus up exited ${child.exitCode}:\n${output}`);
    if ((await fetch(`${origin}/readyz`).catch(() => undefined))?.ok === true) break;
    if (Date.now() > deadline) {
      await stopChild(child, 5_000);
      throw new Error(`exodus up was not ready after 30 s:\n${output}`);
    }
    await sleep(100);
  }
  // The frontend is up, but the consumers may still be starting: wait until every one has a pid.
  while (servicePids(dataDir).length === 0 && Date.now() < deadline) await sleep(50);
  systems.add(dataDir);
  return {
    origin,
    child,
    stop: async () => {
      await stopChild(child, 40_000);
      systems.delete(dataDir);
    },
  };
}

/** The bare server (bare-server.ts) as its own process; resolves with its origin. */
export async function startBareServer(): Promise<RunningProcess> {
  const child = track(fork(BARE_SERVER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(() => fail(new Error('bare server did not report its port within 10 s')), 10_000);
    child.once('message', (message: unknown) => {
      clearTimeout(timer);
      const port = (message as { port?: unknown } | null)?.port;
      if (typeof port === 'number' && port > 0) done(port);
      else fail(new Error(`bare server sent ${JSON.stringify(message)}`));
    });
    child.once('exit', (code) => fail(new Error(`bare server exited ${String(code)} before listening`)));
  });
  return { origin: `http://127.0.0.1:${port}`, child, stop: () => stopChild(child, 5_000) };
}

/** SIGTERM (exodus drains on it), then SIGKILL if it is still there after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Last resort (watchdog, Ctrl-C): SIGKILL every child still running, and the exodus services by
 * their pids, since a killed supervisor cannot stop its own children.
 */
export function killAll(): void {
  for (const dataDir of systems) {
    for (const { pid } of servicePids(dataDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) removeTempDir(dir);
}

export interface ServicePid {
  readonly name: string;
  readonly pid: number;
}

/**
 * The exodus processes, from the supervisor's state file: `supervisor`, `frontend-1`, `worker-2`…
 * Empty while the file is missing or some process has no pid yet (the supervisor is still launching).
 */
export function servicePids(dataDir: string): ServicePid[] {
  const file = join(dataDir, 'supervisor.json');
  if (!existsSync(file)) return [];
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as { supervisorPid: number; processes: { service: string; replica: number; pid?: number }[] };
    if (state.processes.some((p) => typeof p.pid !== 'number')) return [];
    return [{ name: 'supervisor', pid: state.supervisorPid }, ...state.processes.map((p) => ({ name: `${p.service}-${p.replica}`, pid: p.pid ?? 0 }))];
  } catch {
    return []; // being rewritten; the caller retries
  }
}

/** Services whose pid is no longer the one in `before`: they crashed and the supervisor restarted them. */
export function restartedSince(before: readonly ServicePid[], dataDir: string): string[] {
  const now = new Map(servicePids(dataDir).map((p) => [p.name, p.pid]));
  if (now.size === 0) return [];
  return before.filter((p) => now.get(p.name) !== p.pid).map((p) => p.name);
}
