import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';

/**
 * Per-process CPU over a window, from /proc (Linux): what `top` would show, averaged over a phase.
 * It answers "which process is the bottleneck" — on 2 cores the load generator, the frontend and
 * the consumers all compete, and a process near 100% (one core) is the one to look at.
 * Elsewhere the numbers are simply absent.
 */
export interface ProcessCpu {
  readonly name: string;
  readonly pid: number;
  /** Share of one core over the window: 100 = one core fully busy. */
  readonly cpuPercent: number;
}

export interface CpuReport {
  readonly windowMs: number;
  readonly cores: number;
  /** Busy share of the whole machine (all cores), 0–100; undefined without /proc/stat. */
  readonly machineBusyPercent: number | undefined;
  /**
   * CPU used by processes the bench did not start, in % of one core (machine busy × cores − ours):
   * anything well above 0 means the numbers of this window were taken on a shared, noisy machine.
   */
  readonly othersPercent: number | undefined;
  readonly processes: readonly ProcessCpu[];
}

export interface Named {
  readonly name: string;
  readonly pid: number;
}

const TICKS_PER_SEC = clockTicks();

function clockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100; // the Linux default
  }
}

/** utime + stime of a process in clock ticks; undefined if it is gone or /proc is absent. */
function processTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // fields 14 (utime) and 15 (stime)
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used since it started, in ms; undefined if it is gone. */
export function cpuMsOf(pid: number): number | undefined {
  const ticks = processTicks(pid);
  return ticks === undefined ? undefined : (ticks * 1000) / TICKS_PER_SEC;
}

/** [busy, total] ticks of all cores since boot. */
function machineTicks(): [number, number] | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = values.reduce((a, b) => a + b, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle + iowait
    return [total - idle, total];
  } catch {
    return undefined;
  }
}

export class CpuWindow {
  private readonly startedAt = performance.now();
  private readonly machineAtStart = machineTicks();
  private readonly atStart: ReadonlyMap<number, number | undefined>;

  constructor(private readonly processes: readonly Named[]) {
    this.atStart = new Map(processes.map((p) => [p.pid, processTicks(p.pid)]));
  }

  stop(): CpuReport {
    const windowMs = performance.now() - this.startedAt;
    const machine = machineTicks();
    const [busy0, total0] = this.machineAtStart ?? [0, 0];
    const machineBusyPercent =
      machine && this.machineAtStart && machine[1] > total0
        ? round1((100 * (machine[0] - busy0)) / (machine[1] - total0))
        : undefined;
    const processes = this.processes.flatMap((p) => {
      const before = this.atStart.get(p.pid);
      const after = processTicks(p.pid);
      if (before === undefined || after === undefined) return [];
      return [
        { name: p.name, pid: p.pid, cpuPercent: round1((100 * (after - before) * 1000) / TICKS_PER_SEC / windowMs) },
      ];
    });
    const cores = cpus().length;
    const ours = processes.reduce((sum, p) => sum + p.cpuPercent, 0);
    const othersPercent =
      machineBusyPercent === undefined ? undefined : Math.max(0, round1(machineBusyPercent * cores - ours));
    return { windowMs: Math.round(windowMs), cores, machineBusyPercent, othersPercent, processes };
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * CPU time (µs) the matching processes spent per unit of work over a window: unlike req/s, it
 * barely moves when the machine is shared, so it is the number to compare across runs and commits.
 */
export function cpuUsPer(
  reports: readonly CpuReport[],
  units: number,
  match: (name: string) => boolean,
): number | undefined {
  return usPer(reports, units, (report) =>
    report.processes.filter((p) => match(p.name)).reduce((sum, p) => sum + p.cpuPercent, 0),
  );
}

/** In `cpuUsPerByProcess`: processes the bench did not start (`othersPercent`), e.g. nats-server and postgres. */
export const OTHERS = 'others';

/**
 * `cpuUsPer` for each process of the reports, and for `OTHERS` when the machine's total was readable:
 * where the cost of a unit of work goes.
 */
export function cpuUsPerByProcess(reports: readonly CpuReport[], units: number): Record<string, number> {
  const byProcess: Record<string, number> = {};
  for (const name of new Set(reports.flatMap((r) => r.processes.map((p) => p.name)))) {
    const us = cpuUsPer(reports, units, (n) => n === name);
    if (us !== undefined) byProcess[name] = us;
  }
  const others = reports.every((r) => r.othersPercent !== undefined)
    ? usPer(reports, units, (r) => r.othersPercent ?? 0)
    : undefined;
  if (others !== undefined) byProcess[OTHERS] = others;
  return byProcess;
}

/** µs per unit, from a % of one core per window (`percentOf`) weighted by each window's length. */
function usPer(
  reports: readonly CpuReport[],
  units: number,
  percentOf: (report: CpuReport) => number,
): number | undefined {
  if (units <= 0) return undefined;
  const cpuMs = reports.reduce((sum, r) => sum + (percentOf(r) / 100) * r.windowMs, 0);
  return Math.round((cpuMs * 1000) / units);
}
