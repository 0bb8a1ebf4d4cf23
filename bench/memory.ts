import { readFileSync } from 'node:fs';
import type { Named } from './cpu.js';

/**
 * Resident memory of the system under test, from /proc (Linux): once when it is idle, then sampled
 * while it works, keeping each process's peak and the peak of their sum (the sum is what the machine
 * must hold at once; the per-process peaks rarely coincide). MB are 10^6 bytes, to one decimal.
 */
export interface MemoryReport {
  /** All watched processes together, just before the load started. */
  readonly idleMb: number;
  /** The highest sum of one sample (not the sum of the per-process peaks). */
  readonly peakMb: number;
  readonly byProcess: Readonly<Record<string, { readonly idleMb: number; readonly peakMb: number }>>;
}

/** Often enough to catch a peak that lasts a GC cycle, cheap enough not to weigh on the system (~0.1 ms a sample). */
const SAMPLE_EVERY_MS = 200;

/** VmRSS of a process in bytes; undefined if it is gone or /proc is absent. */
export function rssBytes(pid: number): number | undefined {
  try {
    const line = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return line?.[1] === undefined ? undefined : Number(line[1]) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` while sampling the RSS of `processes`: the first sample (taken now) is the idle figure.
 * A process that is gone (restarted: a new pid) simply stops counting.
 */
export async function watchingMemory<T>(
  processes: readonly Named[],
  work: () => Promise<T>,
): Promise<[T, MemoryReport]> {
  const peaks = new PeakRss();
  const idle = peaks.sample(processes);
  const timer = setInterval(() => peaks.sample(processes), SAMPLE_EVERY_MS);
  timer.unref();
  try {
    const result = await work();
    peaks.sample(processes);
    return [result, peaks.report(idle)];
  } finally {
    clearInterval(timer);
  }
}

class PeakRss {
  private readonly peakByName = new Map<string, number>();
  private peakSum = 0;

  /** Bytes per process name now, folded into the peaks. */
  sample(processes: readonly Named[]): ReadonlyMap<string, number> {
    const now = new Map<string, number>();
    for (const { name, pid } of processes) {
      const bytes = rssBytes(pid);
      if (bytes === undefined) continue;
      now.set(name, bytes);
      this.peakByName.set(name, Math.max(bytes, this.peakByName.get(name) ?? 0));
    }
    this.peakSum = Math.max(this.peakSum, sum(now.values()));
    return now;
  }

  report(idle: ReadonlyMap<string, number>): MemoryReport {
    const byProcess = Object.fromEntries(
      [...this.peakByName].map(([name, peak]) => [name, { idleMb: mb(idle.get(name) ?? 0), peakMb: mb(peak) }]),
    );
    return { idleMb: mb(sum(idle.values())), peakMb: mb(this.peakSum), byProcess };
  }
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

function mb(bytes: number): number {
  return Math.round(bytes / 1e5) / 10;
}
