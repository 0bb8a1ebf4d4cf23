import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../src/ops/index.js';
import { packageRoot } from '../src/runtime/index.js';
import { ONE_ADDRESS_LOAD_ENV } from './one-address-load.js';
import { servicePids } from './supervisor-view.js';
import { tempDir } from './temp-dir.js';

/**
 * The test kit's launchers (tests and the bench use these, nothing ships them): the CLI run to its
 * end, `exodus up` on a temp data dir and free ports, and what its supervisor says about its processes.
 */
export { freePort };

/** The CLI, found from the package root so it resolves from source (tests) and from dist/ (the bench). */
export const BIN = join(packageRoot(), 'bin', 'exodus.js');

/** Every `exodus up` started here and not yet stopped, for `killAllSystems` (a watchdog's last resort). */
const running = new Set<RunningSystem>();

/** Runs the CLI to completion; resolves with its output, rejects on a non-zero exit. */
export async function exodus(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => done({ stdout, stderr, code: code ?? -1 }));
  });
}

export interface RosterEntry {
  readonly evacueeId: string;
  readonly name: string;
  readonly pass: string;
}

export async function generateRoster(
  dataDir: string,
  count: number,
  extraArgs: readonly string[] = [],
): Promise<RosterEntry[]> {
  const out = join(dataDir, 'roster.csv');
  const result = await exodus([
    'roster',
    'generate',
    '--data',
    dataDir,
    '--count',
    String(count),
    '--out',
    out,
    ...extraArgs,
  ]);
  if (result.code !== 0) throw new Error(`roster generate failed: ${result.stderr}`);
  return readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [evacueeId = '', name = '', pass = ''] = line.split(',');
      return { evacueeId, name, pass };
    });
}

/** `exodus up` on a temp data dir and free ports (the frontend's, the console's), ready to take requests. */
export interface RunningSystem {
  readonly url: string;
  /** Where its ops console listens (a free port, so systems of parallel tests never meet); undefined with `console: false`. */
  readonly consoleUrl: string | undefined;
  readonly dataDir: string;
  readonly process: ChildProcess;
  output(): string;
  /** SIGTERM (drain) and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Ctrl-C at its terminal: SIGINT to its whole process group; resolves with the exit code. */
  interrupt(): Promise<number | null>;
}

export interface SystemOptions {
  readonly dataDir?: string;
  readonly replicas?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly extraArgs?: string[];
  /** Run the ops console (default true); false: `--no-console`. */
  readonly console?: boolean;
}

/**
 * `exodus up`, resolved once the frontend is ready and every service has a pid. Its per-address
 * limits are lifted for load from this one machine (one-address-load.ts).
 */
export async function startSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const dataDir = options.dataDir ?? tempDir();
  const port = await freePort();
  const extraArgs = options.extraArgs ?? [];
  const given = extraArgs.indexOf('--console-port');
  const noConsole = options.console === false || extraArgs.includes('--no-console');
  const consolePort = noConsole ? undefined : given >= 0 ? Number(extraArgs[given + 1]) : await freePort();
  const args = [
    BIN,
    'up',
    '--data',
    dataDir,
    '--port',
    String(port),
    ...(consolePort === undefined
      ? extraArgs.includes('--no-console')
        ? []
        : ['--no-console']
      : given >= 0
        ? []
        : ['--console-port', String(consolePort)]),
    ...(options.replicas ? ['--replicas', options.replicas] : []),
    ...extraArgs,
  ];
  // A process group of its own, as a shell gives a foreground job: `interrupt` signals all of it, as a terminal's Ctrl-C does.
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...ONE_ADDRESS_LOAD_ENV, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const system: RunningSystem = {
    url,
    consoleUrl: consolePort === undefined ? undefined : `http://127.0.0.1:${consolePort}`,
    dataDir,
    process: child,
    output: () => output,
    stop: () => signalled(() => child.kill('SIGTERM')),
    interrupt: () => signalled(() => process.kill(-(child.pid ?? 0), 'SIGINT')),
  };
  function signalled(send: () => void): Promise<number | null> {
    return new Promise((done) => {
      running.delete(system);
      if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
      child.once('exit', (code) => done(code));
      send();
    });
  }
  running.add(system);
  try {
    await waitFor(
      async () => child.exitCode !== null || (await fetch(`${url}/readyz`).catch(() => undefined))?.ok === true,
      30_000,
      `exodus up never became ready:\n${output}`,
    );
    if (child.exitCode !== null) throw new Error(`exodus up exited ${child.exitCode}:\n${output}`);
    // The frontend answers, but consumers may still be starting: wait until every process has a pid.
    await waitFor(() => servicePids(dataDir).length > 0, 30_000, `exodus up's processes never all started:\n${output}`);
  } catch (error) {
    await system.stop();
    throw error;
  }
  return system;
}

/** Last resort (a watchdog, Ctrl-C): SIGKILL every system started here, its services by their pids (a killed supervisor cannot stop them). */
export function killAllSystems(): void {
  for (const system of running) {
    for (const { pid } of servicePids(system.dataDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    system.process.kill('SIGKILL');
  }
  running.clear();
}

/** Resolves once `check` holds, looking every `intervalMs`; throws `message` after `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  message: string,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((done) => setTimeout(done, intervalMs));
  }
  throw new Error(message);
}

export function postWish(
  url: string,
  pass: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${url}/api/wishes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${pass}`, ...headers },
    body: JSON.stringify(body),
  });
}

/**
 * `POST /api/wishes` as a well-behaved client sends it: a 503 or 429 (the front door shedding load,
 * which a busy test machine can provoke right after a start) is sent again after its Retry-After, up
 * to `attempts` times; the last answer is returned whatever it is.
 */
export async function submitWish(url: string, pass: string, body: unknown, attempts = 10): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const response = await postWish(url, pass, body);
    if ((response.status !== 503 && response.status !== 429) || attempt >= attempts) return response;
    await response.arrayBuffer();
    await new Promise((done) => setTimeout(done, Number(response.headers.get('retry-after') ?? 1) * 1000));
  }
}

/**
 * `GET /api/wishes/{id}` as a well-behaved client reads it: a 503 or 429 (the front door shedding
 * load, which a busy test machine can provoke) is asked again after its Retry-After; any other
 * non-200 is an error.
 */
export async function wishStatus<T = { status: string }>(url: string, id: string, attempts = 10): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${url}/api/wishes/${id}`);
    if (response.status === 200) return (await response.json()) as T;
    const text = await response.text();
    if ((response.status !== 503 && response.status !== 429) || attempt >= attempts)
      throw new Error(`GET /api/wishes/${id} answered ${response.status}: ${text}`);
    await new Promise((done) => setTimeout(done, Number(response.headers.get('retry-after') ?? 1) * 1000));
  }
}
