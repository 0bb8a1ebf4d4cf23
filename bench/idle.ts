import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSystem, type RunningSystem } from '../testkit/index.js';
import { cpuMsOf, CpuWindow, type CpuReport } from './cpu.js';
import { rssBytes } from './memory.js';
import { exodusProcesses } from './process-tree.js';
import { removeTempDir, tempDir } from './processes.js';
import type { IdleScenario } from './scenarios.js';

/**
 * Idle: what `exodus up` costs when nobody sends anything — all its processes together, as % of
 * one core, from /proc, over two windows: the first once start-up has settled (its tail included),
 * and one at rest, well after it. Measured as shipped (the console on, the synthetic canary handing
 * in a wish every 10 s) and again with `--no-canary`, so the canary's share is visible. The
 * processes are found as the supervisor's descendants (process-tree.ts), whatever their number.
 */
export interface IdleRun {
  readonly variant: string;
  readonly upArgs: readonly string[];
  /** From ready until the settle check passed (or gave up). */
  readonly settledAfterMs: number;
  /** All exodus processes over the first window, % of one core. */
  readonly totalPercent: number;
  /** RSS of all of them at the first window's end, MB (10^6 bytes). */
  readonly rssMb: number;
  readonly cpu: CpuReport;
  /** The window at rest (`restAfterMs` after ready). */
  readonly atRest: IdleWindow;
}

export interface IdleWindow {
  /** All exodus processes, % of one core. */
  readonly totalPercent: number;
  readonly cpu: CpuReport;
}

export interface IdleReport {
  readonly windowMs: number;
  readonly restAfterMs: number;
  readonly restWindowMs: number;
  readonly runs: readonly IdleRun[];
}

/** Start-up is over when a short window of all the processes is below this (% of one core). */
const SETTLED_PERCENT = 5;
const SETTLE_PROBE_MS = 2_000;

export async function runIdle(scenario: IdleScenario, log: (line: string) => void): Promise<IdleReport> {
  const runs: IdleRun[] = [];
  for (const variant of scenario.variants) runs.push(await measureOne(variant, scenario, log));
  return { windowMs: scenario.windowMs, restAfterMs: scenario.restAfterMs, restWindowMs: scenario.restWindowMs, runs };
}

async function measureOne(
  variant: IdleScenario['variants'][number],
  scenario: IdleScenario,
  log: (line: string) => void,
): Promise<IdleRun> {
  const dataDir = tempDir('exodus-bench-idle-');
  let exodus: RunningSystem | undefined;
  try {
    exodus = await startSystem({ dataDir, extraArgs: [...variant.upArgs] });
    const supervisorPid = exodus.process.pid ?? 0;
    const readyAt = Date.now();
    // Start-up (module loading, the first telemetry exports, SQLite's first checkpoints) is not idle:
    // wait at least `settleMs`, then until a short window is quiet, at most `settleTimeoutMs`.
    await sleep(scenario.settleMs);
    while (Date.now() - readyAt < scenario.settleTimeoutMs) {
      const probe = new CpuWindow(exodusProcesses(supervisorPid, dataDir));
      await sleep(SETTLE_PROBE_MS);
      if (sumPercent(probe.stop()) < SETTLED_PERCENT) break;
    }
    const settledAfterMs = Date.now() - readyAt;
    const processes = exodusProcesses(supervisorPid, dataDir);
    log(
      `idle (${variant.name}): ${processes.length} processes settled after ${(settledAfterMs / 1000).toFixed(1)} s; measuring ${scenario.windowMs / 1000} s`,
    );
    const first = await measureWindow(processes, scenario.windowMs);
    const rss = processes.reduce((sum, p) => sum + (rssBytes(p.pid) ?? 0), 0);
    log(`idle (${variant.name}): ${describe(first)}, RSS ${Math.round(rss / 1e5) / 10} MB`);
    await sleep(Math.max(0, readyAt + scenario.restAfterMs - Date.now()));
    const atRest = await measureWindow(processes, scenario.restWindowMs);
    log(`idle (${variant.name}) at rest, ${scenario.restAfterMs / 1000} s after ready: ${describe(atRest)}`);
    return {
      variant: variant.name,
      upArgs: variant.upArgs,
      settledAfterMs,
      ...first,
      rssMb: Math.round(rss / 1e5) / 10,
      atRest,
    };
  } finally {
    await exodus?.stop();
    removeTempDir(dataDir);
  }
}

/**
 * The processes' CPU over a window. The total is from the raw CPU times: the window's per-process
 * figures are rounded to 0.1 %, too coarse for a target of 1 % shared by several processes.
 */
async function measureWindow(processes: ReturnType<typeof exodusProcesses>, ms: number): Promise<IdleWindow> {
  const cpuMsAtStart = processes.map((p) => cpuMsOf(p.pid));
  const startedAt = performance.now();
  const window = new CpuWindow(processes);
  await sleep(ms);
  const cpu = window.stop();
  const windowMs = performance.now() - startedAt;
  const usedMs = processes.reduce((sum, p, i) => {
    const [before, after] = [cpuMsAtStart[i], cpuMsOf(p.pid)];
    return before === undefined || after === undefined ? sum : sum + after - before;
  }, 0);
  return { totalPercent: Math.round((usedMs / windowMs) * 10_000) / 100, cpu };
}

function describe(window: IdleWindow): string {
  return `${window.totalPercent} % of one core (${window.cpu.processes.map((p) => `${p.name} ${p.cpuPercent}`).join(', ')})`;
}

function sumPercent(report: CpuReport): number {
  return report.processes.reduce((sum, p) => sum + p.cpuPercent, 0);
}
