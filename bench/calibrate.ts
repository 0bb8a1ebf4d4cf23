import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/**
 * What the machine could do when the bench ran, so a result can be read against it: the rate of
 * durable small writes (the "fsync wall" every 202 and ack sits behind; NOTES.md measured ~11.7k/s
 * on a quiet machine) and the load average (other work sharing the 2 cores).
 */
export interface Environment {
  /** 4 KiB write + fdatasync per second, in the directory the systems under test write to. */
  readonly fdatasyncPerSec: number;
  /** 1-minute load average when the bench started and ended. */
  readonly loadAvgStart: number;
  readonly loadAvgEnd: number | undefined;
}

export function measureFsync(dir: string, durationMs = 1_000): number {
  const file = join(dir, `fsync-probe-${process.pid}.bin`);
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4096, 0x2a);
  let n = 0;
  const start = performance.now();
  try {
    // Rewrite a small ring of blocks, like a WAL being appended and checkpointed.
    while (performance.now() - start < durationMs) {
      writeSync(fd, block, 0, block.length, (n % 64) * block.length);
      fdatasyncSync(fd);
      n++;
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return Math.round((n * 1000) / (performance.now() - start));
}

export function loadAverage(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}
