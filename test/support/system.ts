import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { ONE_ADDRESS_LOAD_ENV, freePort, tempDir } from '../../src/ops/index.js';

export { freePort, tempDir };

export const BIN = resolve(import.meta.dirname, '../../bin/exodus.js');

/** Runs the CLI to completion; resolves with its output, rejects on a non-zero exit. */
export async function exodus(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string; code: number }> {
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

export async function generateRoster(dataDir: string, count: number, extraArgs: readonly string[] = []): Promise<RosterEntry[]> {
  const out = join(dataDir, 'roster.csv');
  const result = await exodus(['roster', 'generate', '--data', dataDir, '--count', String(count), '--out', out, ...extraArgs]);
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
}

export interface SystemOptions {
  readonly dataDir?: string;
  readonly replicas?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly extraArgs?: string[];
  /** Run the ops console (default true); false: `--no-console`. */
  readonly console?: boolean;
}

export async function startSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const dataDir = options.dataDir ?? tempDir();
  const port = await freePort();
  const extraArgs = options.extraArgs ?? [];
  const given = extraArgs.indexOf('--console-port');
  const consolePort = options.console === false ? undefined : given >= 0 ? Number(extraArgs[given + 1]) : await freePort();
  const args = [
    BIN,
    'up',
    '--data',
    dataDir,
    '--port',
    String(port),
    ...(consolePort === undefined ? ['--no-console'] : given >= 0 ? [] : ['--console-port', String(consolePort)]),
    ...(options.replicas ? ['--replicas', options.replicas] : []),
    ...extraArgs,
  ];
  const child = spawn(process.execPath, args, { env: { ...process.env, ...ONE_ADDRESS_LOAD_ENV, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.ok === true, 20_000, `exodus up never became ready:\n${output}`);
  return {
    url,
    consoleUrl: consolePort === undefined ? undefined : `http://127.0.0.1:${consolePort}`,
    dataDir,
    process: child,
    output: () => output,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done(child.exitCode);
        child.once('exit', (code) => done(code));
        child.kill('SIGTERM');
      }),
  };
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(message);
}

export function postWish(url: string, pass: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/api/wishes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${pass}`, ...headers },
    body: JSON.stringify(body),
  });
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
    if ((response.status !== 503 && response.status !== 429) || attempt >= attempts) throw new Error(`GET /api/wishes/${id} answered ${response.status}: ${text}`);
    await new Promise((done) => setTimeout(done, Number(response.headers.get('retry-after') ?? 1) * 1000));
  }
}
