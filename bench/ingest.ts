import { setTimeout as sleep } from 'node:timers/promises';
import { openMessaging } from '../src/engines/index.js';
import { cycle, wishRequests, type LoadRequest, type RosterEntry } from '../src/ops/load/index.js';
import { QUEUES, type MessagingEngine } from '../src/ports/index.js';
import { generateRoster, restartedSince, servicePids, startSystem, type RunningSystem } from '../testkit/index.js';
import { cpuUsPer, CpuWindow, type CpuReport } from './cpu.js';
import { runClosed, runOpen, type PhaseResult } from './load-driver.js';
import { BARE_PROCESS, GENERATOR, removeTempDir, startBareServer, tempDir, type RunningProcess } from './processes.js';
import type { IngestPhase, IngestScenario } from './scenarios.js';

/**
 * Ingest: `POST /api/wishes` on exodus (frontend → durable intake queue → 202) against the bare
 * node:http server, under the same generator, one after the other in the same run. Both servers run
 * in their own process; exodus also runs its parser, workers and tally, which process what the
 * frontend accepts *while* it is being measured — on 2 cores they take CPU from the frontend, and
 * that is part of what is measured (the bare server has no such neighbours).
 */
export type ServerName = 'bare' | 'exodus';

export interface IngestRun {
  readonly phase: string;
  readonly server: ServerName;
  readonly result: PhaseResult;
  /** Over the whole phase, warm-up included. */
  readonly cpu: CpuReport;
  /**
   * CPU µs per answered request: of the server process (frontend-1 or bare-server), of the whole
   * exodus system (all its processes: the pipeline's cost per wish while it keeps up), and of the
   * load generator.
   */
  readonly cpuUsPerRequest: {
    readonly server: number | undefined;
    readonly system: number | undefined;
    readonly generator: number | undefined;
  };
  /** Exodus services that crashed and were restarted during the phase (their CPU is then missing). */
  readonly restarted: readonly string[];
  /** Exodus only: ms its pipeline took to go idle after the phase (undefined: not idle within the settle timeout). */
  readonly settleMs?: number | undefined;
}

export interface IngestReport {
  readonly runs: readonly IngestRun[];
  /** Closed model, exodus ÷ bare. */
  readonly throughputRatio: number;
  readonly minRatio: number;
  readonly pass: boolean;
}

const REQUEST_TIMEOUT_MS = 10_000;

export async function runIngest(scenario: IngestScenario, log: (line: string) => void): Promise<IngestReport> {
  const dataDir = tempDir('exodus-bench-ingest-');
  let bare: RunningProcess | undefined;
  let exodus: RunningSystem | undefined;
  let messaging: MessagingEngine | undefined;
  try {
    log(`ingest: roster of ${scenario.rosterCount} in ${dataDir}`);
    const roster = await generateRoster(dataDir, scenario.rosterCount);
    const requests = wishRequests(roster);
    bare = await startBareServer();
    exodus = await startSystem({ dataDir });
    messaging = await openMessaging(`sqlite:${dataDir}`, { maxAttempts: 5 });
    const next = cycle(requests);
    const runs: IngestRun[] = [];
    let exodusClosedPerSec: number | undefined;
    for (const phase of scenario.phases) {
      for (const [server, origin] of [
        ['bare', bare.origin],
        ['exodus', exodus.url],
      ] as const) {
        const rate =
          phase.model.kind === 'open'
            ? Math.round(phase.model.fractionOfExodusClosed * (exodusClosedPerSec ?? 0))
            : undefined;
        log(`ingest: ${phase.name} (${describe(phase, rate)}) → ${server}`);
        // Taken per phase: a service the supervisor restarted has a new pid.
        const services = servicePids(dataDir);
        const cpu = new CpuWindow([
          { name: GENERATOR, pid: process.pid },
          { name: BARE_PROCESS, pid: bare.child.pid ?? 0 },
          ...services,
        ]);
        const result = await drive(origin, { roster, next }, phase, rate);
        const cpuReport = cpu.stop();
        const restarted = restartedSince(services, dataDir);
        if (restarted.length > 0) log(`  restarted during the phase: ${restarted.join(', ')}`);
        log(
          `  ${result.okPerSec} req/s ok, p50 ${result.latency.p50Ms} ms, p99 ${result.latency.p99Ms} ms, errors ${JSON.stringify(result.errors)}, skipped ${result.skipped}`,
        );
        let settleMs: number | undefined;
        if (server === 'exodus') {
          if (phase.model.kind === 'closed') exodusClosedPerSec = result.okPerSec;
          // Let the pipeline finish the backlog, so the next phase measures a quiet system.
          settleMs = await waitIdle(messaging, scenario.settleTimeoutMs);
          log(
            `  pipeline idle ${settleMs === undefined ? `NOT within ${scenario.settleTimeoutMs} ms` : `after ${settleMs} ms`}`,
          );
        }
        const serverProcess = server === 'bare' ? BARE_PROCESS : 'frontend-1';
        const exodusProcesses = new Set(services.map((p) => p.name));
        const cpuUsPerRequest = {
          server: cpuUsPer([cpuReport], result.answeredInPhase, (name) => name === serverProcess),
          system: cpuUsPer([cpuReport], result.answeredInPhase, (name) =>
            server === 'bare' ? name === serverProcess : exodusProcesses.has(name),
          ),
          generator: cpuUsPer([cpuReport], result.answeredInPhase, (name) => name === GENERATOR),
        };
        runs.push({
          phase: phase.name,
          server,
          result,
          cpu: cpuReport,
          cpuUsPerRequest,
          restarted,
          ...(server === 'exodus' ? { settleMs } : {}),
        });
      }
    }
    const closed = (server: ServerName): number => runOf(runs, server, 'closed')?.result.okPerSec ?? 0;
    const throughputRatio = closed('bare') > 0 ? Math.round((closed('exodus') / closed('bare')) * 1000) / 1000 : 0;
    return { runs, throughputRatio, minRatio: scenario.minRatio, pass: throughputRatio >= scenario.minRatio };
  } finally {
    await messaging?.close();
    await Promise.all([bare?.stop(), exodus?.stop()]);
    removeTempDir(dataDir);
  }
}

/** The first run of `server` under `model`: the closed one is the saturation phase, the open one the latency target's. */
export function runOf(
  runs: readonly IngestRun[],
  server: ServerName,
  model: PhaseResult['model'],
): IngestRun | undefined {
  return runs.find((r) => r.server === server && r.result.model === model);
}

function describe(phase: IngestPhase, rate: number | undefined): string {
  const load =
    phase.model.kind === 'closed'
      ? `closed, ${phase.model.connections} connections`
      : `open, ${rate} req/s over up to ${phase.model.connections} connections`;
  return `${load}, ${phase.warmupMs / 1000} s warm-up + ${phase.durationMs / 1000} s`;
}

/** One phase against `origin`; an open model needs its rate (`fractionOfExodusClosed` of a measured closed rate). */
export async function drive(
  origin: string,
  load: { roster: readonly RosterEntry[]; next: () => LoadRequest },
  phase: IngestPhase,
  rate: number | undefined,
): Promise<PhaseResult> {
  const common = { warmupMs: phase.warmupMs, durationMs: phase.durationMs, requestTimeoutMs: REQUEST_TIMEOUT_MS };
  if (phase.model.kind === 'closed')
    return runClosed(origin, load.next, { ...common, connections: phase.model.connections });
  if (rate === undefined || rate <= 0)
    throw new Error(`phase ${phase.name}: an open model needs the exodus closed-model rate first`);
  // Up to 2 s of due requests may wait; beyond that the server is clearly not keeping up.
  return runOpen(origin, load.roster, {
    ...common,
    connections: phase.model.connections,
    ratePerSec: rate,
    maxOutstanding: Math.max(1_000, rate * 2),
  });
}

/** Polls the queues until nothing is ready or leased; ms it took, or undefined after `timeoutMs`. */
async function waitIdle(messaging: MessagingEngine, timeoutMs: number): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    const stats = await Promise.all(Object.values(QUEUES).map((name) => messaging.queue(name).stats()));
    if (stats.every((s) => s.ready === 0 && s.inFlight === 0)) return Date.now() - start;
    await sleep(250);
  }
  return undefined;
}
