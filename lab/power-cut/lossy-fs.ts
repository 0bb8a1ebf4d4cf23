import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../../src/runtime/index.js';

/**
 * A lossy FUSE mount (lossyfs.py, beside this file): `backingDir` seen at `mountPoint`, holding
 * every write in memory until its file is fsynced. `cut()` is the power cut: every unsynced byte
 * dropped and every later operation on the mount failing with EIO.
 */

/** What a cut dropped: the bytes written and never fsynced (those of SQLite's -shm files apart). */
export interface CutReport {
  readonly droppedBytes: number;
  readonly droppedFiles: number;
  readonly droppedShmBytes: number;
}

export interface LossyFs {
  readonly mountPoint: string;
  /** Drops every unsynced write and stops serving; resolves once the layer says it is done. */
  cut(): Promise<CutReport>;
  /** Unmounts (lazily if still busy) and ends the layer's process; unsynced writes are not written. Idempotent. */
  unmount(): Promise<void>;
}

const SCRIPT = join(packageRoot(), 'lab', 'power-cut', 'lossyfs.py');
/** Debian's interpreter first: python3-pyfuse3 is installed for it, not for a python3 earlier on PATH. */
const PYTHONS = ['/usr/bin/python3', 'python3'];
const READY_MS = 15_000;
const EXIT_MS = 10_000;

/** The interpreter with pyfuse3 and trio, or why the layer cannot run here. */
export function lossyFsSupport(): { readonly python: string } | { readonly missing: string } {
  if (!existsSync('/dev/fuse')) return { missing: '/dev/fuse is absent' };
  if (spawnSync('fusermount3', ['--version']).error !== undefined) return { missing: 'fusermount3 (fuse3) is absent' };
  const python = PYTHONS.find((candidate) => spawnSync(candidate, ['-c', 'import pyfuse3, trio']).status === 0);
  return python === undefined ? { missing: 'no python3 with pyfuse3 and trio (python3-pyfuse3)' } : { python };
}

/** Mounts the layer; resolves once the mount serves. Its process and mount go when this process exits, however. */
export async function mountLossyFs(backingDir: string, mountPoint: string): Promise<LossyFs> {
  const support = lossyFsSupport();
  if ('missing' in support) throw new Error(`cannot mount lossyfs: ${support.missing}`);
  const madeMountPoint = !existsSync(mountPoint);
  mkdirSync(mountPoint, { recursive: true });
  // stdin stays open as a lifeline: the layer unmounts itself when it closes (this process killed).
  const child = spawn(support.python, [SCRIPT, backingDir, mountPoint], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = lineWaiter(child);
  const lastResort = (): void => {
    spawnSync('umount', ['-l', mountPoint]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', lastResort);
  let unmounted: Promise<void> | undefined;
  const unmount = (): Promise<void> =>
    (unmounted ??= (async () => {
      if (spawnSync('fusermount3', ['-u', '-q', mountPoint]).status !== 0) spawnSync('umount', ['-l', mountPoint]);
      if (!(await exited(child, EXIT_MS))) {
        child.kill('SIGKILL');
        await exited(child, EXIT_MS);
        spawnSync('umount', ['-l', mountPoint]);
      }
      process.removeListener('exit', lastResort);
      if (madeMountPoint) rmdirSync(mountPoint);
    })());
  try {
    await lines.next('ready', READY_MS);
  } catch (error) {
    await unmount();
    throw new Error(`lossyfs never mounted ${mountPoint}: ${(error as Error).message}\n${stderr}`);
  }
  return {
    mountPoint,
    cut: async () => {
      const done = lines.next('cut', READY_MS);
      child.kill('SIGUSR1');
      return JSON.parse(await done) as CutReport;
    },
    unmount,
  };
}

/** Waits for the layer's next stdout line starting with a word; resolves with the rest of it. */
function lineWaiter(child: ChildProcess): { next(word: string, withinMs: number): Promise<string> } {
  const waiting = new Map<string, (rest: string) => void>();
  if (child.stdout !== null)
    createInterface({ input: child.stdout }).on('line', (line) => {
      const space = line.indexOf(' ');
      const word = space < 0 ? line : line.slice(0, space);
      waiting.get(word)?.(space < 0 ? '' : line.slice(space + 1));
      waiting.delete(word);
    });
  return {
    next: (word, withinMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${word}" from lossyfs within ${withinMs} ms`)), withinMs);
        const gone = (): void => reject(new Error(`lossyfs exited before "${word}"`));
        child.once('exit', gone);
        waiting.set(word, (rest) => {
          clearTimeout(timer);
          child.removeListener('exit', gone);
          resolve(rest);
        });
      }),
  };
}

/** True once the process has exited (at once if it had), false after `withinMs`. */
function exited(child: ChildProcess, withinMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), withinMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
