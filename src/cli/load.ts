import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openMessaging } from '../engines/index.js';
import { faultsBetween } from '../ops/chaos/index.js';
import type { LedgerEntry } from '../ops/index.js';
import {
  judge,
  LEDGER_FILE,
  LoadRun,
  loadScenario,
  needsAudit,
  readRosterFile,
  RosterFileError,
  ScenarioError,
  segmentsOf,
  writeReport,
  type AuditSummary,
  type LoadReport,
  type LoadResult,
  type Progress,
  type RosterEntry,
  type Scenario,
} from '../ops/load/index.js';
import { backlogTotal, packageRoot, parseDurationMs, type Config } from '../runtime/index.js';
import { CliError, requireString, type Flags, type VerbInput } from './args.js';
import { auditUntilComplete } from './audit.js';
import { backlogOf } from './backlog.js';
import { table } from './status.js';

/** Where the ready-made scenarios are. */
const SCENARIO_DIR = (): string => join(packageRoot(), 'scenarios', 'load');

/**
 * `exodus load --target URL --roster FILE --scenario NAME|FILE [--rate N] [--duration D] [--out DIR]`:
 * an open-model load in phases, then (given the engines: `--data`, or `--queue` and `--store`) the
 * audit of every 202. Writes `results.json`, `report.html` and `ledger.ndjson` into `--out`; exit 0
 * when every threshold holds, 1 when one does not.
 */
export async function loadCommand({ flags, config: settings }: VerbInput): Promise<void> {
  const config = settings();
  const target = requireString(flags, 'target').replace(/\/$/, '');
  if (!/^https?:\/\/[^/]+$/.test(target))
    throw new CliError(`--target takes an origin such as http://127.0.0.1:3000, got "${target}"`);
  const scenario = scenarioFrom(requireString(flags, 'scenario'));
  const roster = rosterFrom(requireString(flags, 'roster'));
  const rate = optionalNumber(flags['rate'], '--rate', 0.001);
  const durationMs = optionalDuration(flags['duration'], '--duration');
  const connections = optionalNumber(flags['connections'], '--connections', 1) ?? scenario.connections;
  const seed = optionalNumber(flags['seed'], '--seed', 0) ?? 1;
  const auditWaitMs = optionalDuration(flags['audit-wait'], '--audit-wait') ?? 120_000;
  const engines = enginesGiven(flags) ? config : undefined;
  if (engines === undefined && needsAudit(scenario.thresholds)) {
    throw new CliError(
      `scenario ${scenario.name} has thresholds only an audit can measure (lost, audit_wait_s): give the engines (--data DIR, or --queue URL and --store URL), or use a scenario file without them`,
    );
  }
  const out = resolve(
    typeof flags['out'] === 'string'
      ? flags['out']
      : join('load-results', `${scenario.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  );
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const { report, files } = await runLoad({
      target,
      scenario,
      roster,
      rate,
      durationMs,
      connections,
      seed,
      out,
      engines,
      auditWaitMs,
      signal: stop.signal,
      progress: process.stderr.isTTY,
    });
    console.log(summary(report));
    console.log(`\nreport: ${files.html}\nresults: ${files.results}\nledger: ${files.ledger}`);
    if (!report.pass) process.exitCode = 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
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

export function scenarioFrom(nameOrFile: string): Scenario {
  try {
    return loadScenario(nameOrFile, SCENARIO_DIR());
  } catch (error) {
    if (error instanceof ScenarioError) throw new CliError(error.message);
    throw error;
  }
}

export function rosterFrom(file: string): RosterEntry[] {
  try {
    return readRosterFile(file);
  } catch (error) {
    if (error instanceof RosterFileError) throw new CliError(error.message);
    throw error;
  }
}

/** True when the engines were named (flag or environment), rather than the default data dir guessed. */
function enginesGiven(flags: Flags): boolean {
  return (
    ['data', 'queue', 'store'].some((flag) => flags[flag] !== undefined) ||
    ['EXODUS_DATA', 'EXODUS_QUEUE', 'EXODUS_STORE'].some((name) => (process.env[name] ?? '') !== '')
  );
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

export function summary(report: LoadReport): string {
  const { result } = report;
  const post = result.byAction.post.latency;
  return [
    `${report.pass ? 'PASS' : 'FAIL'}: ${report.scenario.name}, ${result.accepted} wishes accepted, ${result.shed} shed (429/503), ${result.errors} errors, ${result.skipped} skipped`,
    '',
    table(
      ['POST 202 latency (ms)', 'p50', 'p99', 'p99.9', 'max'],
      [['from when due', post.p50Ms, post.p99Ms, post.p999Ms, post.maxMs]],
    ),
    '',
    table(
      ['threshold', 'bound', 'measured', 'verdict'],
      report.verdicts.map((v) => [
        v.metric,
        v.bound,
        v.value === undefined ? 'not measured' : Math.round(v.value * 1000) / 1000,
        v.pass ? 'pass' : 'FAIL',
      ]),
    ),
    ...(report.audit === undefined
      ? []
      : [
          '',
          `audit: ${report.audit.ok ? 'ok' : 'NOT OK'}, ${report.audit.accepted} accepted, ${report.audit.onTheirWay} on their way, ${report.audit.deadLettered} dead-lettered, ${report.audit.lost} lost${report.audit.waitS === undefined ? '' : `, complete ${report.audit.waitS} s after the load`}`,
        ]),
  ].join('\n');
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

function optionalNumber(value: string | boolean | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isFinite(n) || n < min)
    throw new CliError(`${flag} takes a number ≥ ${min}, got "${String(value)}"`);
  return n;
}

function optionalDuration(value: string | boolean | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' ? parseDurationMs(value) : undefined;
  if (ms === undefined || ms <= 0)
    throw new CliError(`${flag} takes a duration such as 30s or 10m, got "${String(value)}"`);
  return ms;
}
