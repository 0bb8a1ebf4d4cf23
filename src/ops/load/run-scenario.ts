import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openMessaging } from '../../engines/index.js';
import { backlogTotal, packageRoot, type Config } from '../../runtime/index.js';
import { auditUntilComplete } from '../audit-until-complete.js';
import type { LedgerEntry } from '../audit.js';
import { backlogOf } from '../backlog.js';
import { faultsBetween } from '../chaos/fault-log.js';
import type { AuditSummary, LoadReport } from './report-shape.js';
import { LEDGER_FILE, writeReport } from './report.js';
import type { RosterEntry } from './roster-file.js';
import { LoadRun, type LoadResult, type Progress } from './run.js';
import { loadScenario, segmentsOf, type Scenario } from './scenario.js';
import { judge } from './thresholds.js';

/** A ready-made scenario by name (baseline, overload, spike, soak, fault: `scenarios/load/`), or a scenario file. */
export function readScenario(nameOrFile: string): Scenario {
  return loadScenario(nameOrFile, join(packageRoot(), 'scenarios', 'load'));
}

export interface LoadRequestOptions {
  readonly target: string;
  readonly scenario: Scenario;
  readonly roster: readonly RosterEntry[];
  readonly rate: number | undefined;
  readonly durationMs: number | undefined;
  readonly connections: number;
  readonly seed: number;
  readonly out: string;
  /** Given: the backlog is sampled and the ledger audited after the run. */
  readonly engines: Config | undefined;
  readonly auditWaitMs: number;
  readonly signal: AbortSignal;
  /** Show a live line on stderr. */
  readonly progress: boolean;
  /** Called with the run before it starts (to put marks on its time axis). */
  readonly onRun?: (run: LoadRun) => void;
}

/** Runs a scenario to its report: the load, the ledger, the audit (given the engines), the verdicts, the files. */
export async function runLoad(
  options: LoadRequestOptions,
): Promise<{ report: LoadReport; files: { results: string; html: string; ledger: string } }> {
  const { target, scenario, roster, rate, durationMs, connections, seed, out, engines, signal } = options;
  const segments = segmentsOf(scenario, {
    ...(rate === undefined ? {} : { rate }),
    ...(durationMs === undefined ? {} : { durationMs }),
  });
  const messaging = engines === undefined ? undefined : await openMessaging(engines.queueUrl, engines);
  mkdirSync(out, { recursive: true });
  const ledgerFile = join(out, LEDGER_FILE);
  const ledger = createWriteStream(ledgerFile);
  // Kept for the audit after the run as well as written out (the file is for the user and a later `exodus audit`).
  const accepted: LedgerEntry[] = [];
  const progress = options.progress ? new ProgressLine() : undefined;
  const run = new LoadRun({
    target,
    roster,
    segments,
    mix: scenario.mix,
    retries: scenario.retries,
    connections,
    seed,
    signal,
    onAccepted: (entry) => {
      accepted.push(entry);
      ledger.write(JSON.stringify(entry) + '\n');
    },
    ...(progress === undefined ? {} : { onSecond: (p: Progress) => progress.show(p) }),
    ...(messaging === undefined ? {} : { queueDepth: async () => backlogTotal(await backlogOf(messaging)) }),
  });
  options.onRun?.(run);
  console.error(
    `exodus load: ${scenario.name} against ${target}, ${(segments.reduce((ms, s) => ms + s.durationMs, 0) / 1000).toFixed(0)} s, ${roster.length} evacuees; writing to ${out}`,
  );
  let report: LoadReport;
  try {
    const result = withFaultsFrom(engines?.dataDir, await run.run());
    progress?.clear();
    await new Promise<void>((done) => ledger.end(done));
    const audit = engines === undefined ? undefined : await auditAfterLoad(engines, accepted, options.auditWaitMs);
    const verdicts = judge(
      scenario.thresholds,
      result,
      audit === undefined ? undefined : { lost: audit.lost, waitS: audit.waitS },
    );
    report = {
      scenario: { name: scenario.name, description: scenario.description },
      parameters: {
        target,
        scenario: scenario.name,
        rate: rate ?? scenario.rate,
        duration: durationMs === undefined ? 'as written' : `${durationMs / 1000} s`,
        connections,
        seed,
        retries: scenario.retries,
        mix: scenario.mix,
        roster: roster.length,
        aborted: signal.aborted,
      },
      segments,
      result,
      verdicts,
      audit,
      pass: verdicts.every((v) => v.pass) && !signal.aborted,
    };
  } finally {
    await messaging?.close();
  }
  return { report, files: { ...writeReport(out, report), ledger: ledgerFile } };
}

/**
 * The run with the faults that `exodus chaos`, run beside it on the same system, logged in the data
 * dir (those it marked itself, in `chaos run`, are not repeated).
 */
function withFaultsFrom(dataDir: string | undefined, result: LoadResult): LoadResult {
  if (dataDir === undefined) return result;
  const startMs = Date.parse(result.startedAt);
  const logged = faultsBetween(dataDir, startMs, startMs + result.durationMs)
    .map((fault) => ({ atMs: fault.atMs - startMs, label: fault.label }))
    .filter(
      (fault) => !result.marks.some((mark) => mark.label === fault.label && Math.abs(mark.atMs - fault.atMs) < 2_000),
    );
  return logged.length === 0
    ? result
    : { ...result, marks: [...result.marks, ...logged].sort((a, b) => a.atMs - b.atMs) };
}

async function auditAfterLoad(config: Config, entries: readonly LedgerEntry[], waitMs: number): Promise<AuditSummary> {
  const { report, waitedMs } = await auditUntilComplete(config, entries, waitMs);
  return {
    ok: report.ok,
    accepted: report.wishes,
    stored: report.outcomes.stored,
    superseded: report.outcomes.superseded,
    rejected: report.outcomes.rejected,
    onTheirWay: report.onTheirWay.length,
    deadLettered: report.deadLettered.length,
    lost: report.lost.length,
    waitS: waitedMs === undefined ? undefined : Math.round(waitedMs / 100) / 10,
  };
}

/** One line on a terminal, rewritten every second. */
class ProgressLine {
  show(p: Progress): void {
    const statuses = Object.entries(p.statuses)
      .map(([k, n]) => `${k}:${n}`)
      .join(' ');
    const depth = p.queueDepth === undefined ? '' : `  queued ${p.queueDepth}`;
    const line = `${p.phase}  ${Math.round(p.elapsedMs / 1000)}/${Math.round(p.totalMs / 1000)} s  asked ${p.askedPerSec}/s sent ${p.sentPerSec}/s  p50 ${p.acceptedP50Ms} ms p99 ${p.acceptedP99Ms} ms  ${statuses}${depth}`;
    process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns || 120) - 1)}`);
  }

  clear(): void {
    process.stderr.write('\r\x1b[2K');
  }
}
