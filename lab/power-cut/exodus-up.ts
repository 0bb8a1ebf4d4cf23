import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, ONE_ADDRESS_LOAD_ENV, waitFor } from '../../testkit/index.js';

/**
 * `exodus up` on a given port, so that a restart answers where the load already sends (the test
 * kit's `startSystem` takes a fresh port each time). Console off: its telemetry database would be
 * one more writer on the lossy mount, measuring the console rather than the pipeline.
 */
export interface ExodusUp {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
}

export function spawnExodusUp(dataDir: string, port: number): ExodusUp {
  const child = spawn(
    process.execPath,
    [BIN, 'up', '--data', dataDir, '--port', String(port), '--no-console', '--no-demo'],
    {
      env: { ...process.env, ...ONE_ADDRESS_LOAD_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // Kept short: only its tail matters, when a start fails.
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, url: `http://127.0.0.1:${port}`, output: () => output };
}

/** Resolves once its frontend is ready; throws with its output if it exits or takes past `withinMs`. */
export async function untilReady(up: ExodusUp, withinMs: number): Promise<void> {
  await waitFor(
    async () => up.child.exitCode !== null || (await fetch(`${up.url}/readyz`).catch(() => undefined))?.ok === true,
    withinMs,
    `exodus up never became ready:\n${up.output()}`,
    25,
  );
  if (up.child.exitCode !== null) throw new Error(`exodus up exited ${up.child.exitCode}:\n${up.output()}`);
}
