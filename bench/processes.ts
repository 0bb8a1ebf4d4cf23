import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { killAllSystems, tempDir as kitTempDir } from '../testkit/index.js';

/**
 * What the bench starts besides the test kit's `exodus up` (testkit/systems.ts): the bare
 * server. Every child and temp dir is tracked, so the watchdog and Ctrl-C can clean up (`killAll`):
 * a benchmark must never leave servers or data behind.
 */
const BARE_SERVER_SCRIPT = resolve(import.meta.dirname, 'bare-server.js');

/** This process, as CPU reports name it: the load generator runs here. */
export const GENERATOR = 'bench (load generator)';

/** The bare server's process, as CPU reports name it. */
export const BARE_PROCESS = 'bare-server';

const children = new Set<ChildProcess>();
/** Data dirs made by `tempDir` and not yet removed. */
const dirs = new Set<string>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function tempDir(prefix: string): string {
  const dir = kitTempDir(prefix);
  dirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

export interface RunningProcess {
  readonly origin: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** The bare server (bare-server.ts) as its own process; resolves with its origin. */
export async function startBareServer(): Promise<RunningProcess> {
  const child = track(fork(BARE_SERVER_SCRIPT, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
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

/** A script of the bench's as its own process (e.g. a peer service), tracked for `killAll`. */
export function forkTracked(
  script: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): ChildProcess {
  return track(
    fork(script, [...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } }),
  );
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

/** Last resort (watchdog, Ctrl-C): SIGKILL every child and every exodus up still running, remove the temp dirs. */
export function killAll(): void {
  killAllSystems();
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) removeTempDir(dir);
}

/**
 * Whatever hangs, a bench run ends and leaves nothing behind: past `budgetMs`, or on Ctrl-C or
 * SIGTERM, every child is killed and every temp dir removed. Returns the disarm for a run that ended in time.
 */
export function armWatchdog(what: string, budgetMs: number): () => void {
  const watchdog = setTimeout(() => {
    console.error(`${what}: over its ${budgetMs / 1000} s budget; killing everything`);
    killAll();
    process.exit(1);
  }, budgetMs);
  watchdog.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
  return () => clearTimeout(watchdog);
}

/** Exits with `main`'s code; a throw, or an event loop emptied before `main` settled, is printed, cleaned up after (`killAll`) and exits 1. */
export function exitWhenDone(main: Promise<number>): void {
  // A promise no handle keeps alive (a client that never answers, e.g. pg refusing a login without
  // a user) empties the event loop, and Node would exit 0 in silence: that is a failure.
  process.once('beforeExit', () => {
    console.error('the run stopped waiting on something that can no longer happen; nothing was reported');
    killAll();
    process.exit(1);
  });
  main.then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      killAll();
      process.exit(1);
    },
  );
}
