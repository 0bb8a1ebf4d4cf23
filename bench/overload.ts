import { LoadRun } from '../src/ops/load/index.js';
import { generateRoster, startSystem, type RunningSystem } from '../testkit/index.js';
import { CpuWindow, type CpuReport } from './cpu.js';
import { exodusProcesses } from './process-tree.js';
import { GENERATOR, removeTempDir, tempDir } from './processes.js';
import type { OverloadScenario } from './scenarios.js';

/**
 * Overload: an open model far above what the front door can take, over 3,000 connections, against
 * `exodus up` as shipped (on this machine's 2 cores, the load generator included). A front door that
 * holds its ground answers what it cannot take with 503 and a Retry-After, quickly, so that no
 * client is left waiting until it gives up: the target is 503s > 0 and client timeouts = 0. The load
 * is the product's own generator (`exodus load`'s LoadRun), with no retries: each arrival is one POST.
 */
export interface OverloadReport {
  readonly connections: number;
  readonly offeredPerSec: number;
  readonly durationMs: number;
  readonly requestTimeoutMs: number;
  /** Arrivals due, and those not sent because all the connections were waiting for an answer. */
  readonly arrivals: number;
  readonly skipped: number;
  readonly accepted: number;
  /** 503 answers, and those of them without a usable Retry-After. */
  readonly shed503: number;
  readonly shedWithoutRetryAfter: number;
  /** No header or body byte within `requestTimeoutMs` (undici's headers/body/connect timeouts). */
  readonly timeouts: number;
  /** Every answer and transport error, by status or error code. */
  readonly answers: Readonly<Record<string, number>>;
  /** Of the 202s, from when each was due. */
  readonly acceptedP99Ms: number;
  readonly cpu: CpuReport;
}

export async function runOverload(scenario: OverloadScenario, log: (line: string) => void): Promise<OverloadReport> {
  const dataDir = tempDir('exodus-bench-overload-');
  let exodus: RunningSystem | undefined;
  try {
    const roster = await generateRoster(dataDir, scenario.rosterCount);
    exodus = await startSystem({ dataDir });
    const processes = [{ name: GENERATOR, pid: process.pid }, ...exodusProcesses(exodus.process.pid ?? 0, dataDir)];
    log(
      `overload: ${scenario.ratePerSec} POST/s for ${scenario.durationMs / 1000} s over up to ${scenario.connections} connections (client timeout ${scenario.requestTimeoutMs / 1000} s)`,
    );
    const cpu = new CpuWindow(processes);
    const result = await new LoadRun({
      target: exodus.url,
      roster,
      segments: [
        {
          name: 'overload',
          kind: 'constant',
          startMs: 0,
          durationMs: scenario.durationMs,
          from: scenario.ratePerSec,
          to: scenario.ratePerSec,
        },
      ],
      mix: { post: 1, status: 0, wall: 0, tally: 0 },
      retries: 0,
      connections: scenario.connections,
      // One request per connection at most: an arrival finding them all busy is skipped, not queued
      // in the client, where its wait would be the generator's doing rather than the server's.
      maxOutstanding: scenario.connections,
      timeoutMs: scenario.requestTimeoutMs,
    }).run();
    const cpuReport = cpu.stop();
    const answers = result.byAction.post.answers;
    const timeouts = Object.entries(answers)
      .filter(([key]) => /TIMEOUT/i.test(key))
      .reduce((sum, [, n]) => sum + n, 0);
    const report: OverloadReport = {
      connections: scenario.connections,
      offeredPerSec: scenario.ratePerSec,
      durationMs: scenario.durationMs,
      requestTimeoutMs: scenario.requestTimeoutMs,
      arrivals: result.arrivals,
      skipped: result.skipped,
      accepted: result.accepted,
      shed503: answers['503'] ?? 0,
      shedWithoutRetryAfter: result.shedWithoutRetryAfter,
      timeouts,
      answers,
      acceptedP99Ms: result.byAction.post.latency.p99Ms,
      cpu: cpuReport,
    };
    log(
      `overload: ${report.accepted} accepted, ${report.shed503} × 503 (${report.shedWithoutRetryAfter} without Retry-After), ${timeouts} timeouts, ${report.skipped} skipped; answers ${JSON.stringify(answers)}`,
    );
    return report;
  } finally {
    await exodus?.stop();
    removeTempDir(dataDir);
  }
}
