import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OTHERS, type CpuReport } from './cpu.js';
import type { DrainReport } from './drain.js';
import { runOf, type IngestReport, type IngestRun } from './ingest.js';
import { table } from './markdown.js';
import type { NatsShutdownReport } from './nats-shutdown.js';
import { BARE_PROCESS, GENERATOR } from './processes.js';
import type { QueueEnginesReport } from './queue-engines.js';
import { idleSection, overloadSection, peerSection } from './report-proof.js';
import type { BenchResults } from './results.js';
import type { BenchScenario } from './scenarios.js';
import { judge, TARGETS, type Bound, type Figure } from './targets.js';

/** Written to `.tmp` and renamed, so a reader (or a killed run) never sees half a file. */
export function writeResults(dir: string, results: BenchResults, markdown: string): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'latest.json');
  const md = join(dir, 'latest.md');
  writeFileSync(`${json}.tmp`, JSON.stringify(results, null, 2) + '\n');
  renameSync(`${json}.tmp`, json);
  writeFileSync(`${md}.tmp`, markdown);
  renameSync(`${md}.tmp`, md);
  return { json, md };
}

export function renderMarkdown(results: BenchResults): string {
  const { machine } = results;
  const lines = [
    `# Exodus benchmark — ${results.startedAt}`,
    '',
    `${machine.cores} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node} (${machine.platform})` +
      `${results.git ? `, commit ${results.git.commit.slice(0, 10)}${results.git.dirty ? ` + uncommitted src/ changes (diff ${results.git.srcDiffSha256 ?? '?'})` : ''}` : ''}; run took ${results.elapsedSec} s.`,
    `Durable writes: ${results.environment.fdatasyncPerSec.toLocaleString('en-US')} fdatasync/s (NOTES.md: ~11.7k/s on a quiet machine); ` +
      `load average ${results.environment.loadAvgStart} at start, ${results.environment.loadAvgEnd ?? '?'} at end.`,
    'The load generator runs in the bench process and shares the cores with the servers under test, and so do all of',
    `exodus's processes (${exodusProcesses(results)}); the bare server runs alone.`,
    '"other processes" in the CPU table is load the bench did not start: where it is high, the machine was shared and',
    'every number above is pessimistic.',
    '',
    ...targetsSection(results),
  ];
  const references: References = {
    barePerSec:
      results.ingest === undefined ? undefined : runOf(results.ingest.runs, 'bare', 'closed')?.result.okPerSec,
    fdatasyncPerSec: results.environment.fdatasyncPerSec,
  };
  if (results.ingest) lines.push(...ingestSection(results.ingest));
  if (results.drain) lines.push(...drainSection(results.drain, 'SQLite (embedded)', references));
  if (results.drainDistributed)
    lines.push(...drainSection(results.drainDistributed, 'NATS JetStream + PostgreSQL', references));
  if (results.peer) lines.push(...peerSection(results.peer, results.drain, results.drainDistributed));
  if (results.idle) lines.push(...idleSection(results.idle));
  if (results.overload) lines.push(...overloadSection(results.overload));
  if (results.telemetry) lines.push(...telemetrySection(results.telemetry));
  if (results.queueEngines) lines.push(...queueEnginesSection(results.queueEngines, results.scenario));
  if (results.natsShutdown) lines.push(...natsShutdownSection(results.natsShutdown, results.scenario));
  lines.push(...cpuSection(results));
  if (results.failures.length > 0) lines.push('## Failures', '', ...results.failures.map((f) => `- ${f}`), '');
  return lines.join('\n');
}

/** Exodus's processes as this run found them (the supervisor's state), so the header stays true when the defaults change. */
function exodusProcesses(results: BenchResults): string {
  const reports = [
    results.drain?.cpu.ingesting,
    ...(results.ingest?.runs.filter((run) => run.server === 'exodus').map((run) => run.cpu) ?? []),
  ];
  const names = reports
    .find((report) => report !== undefined)
    ?.processes.map((p) => p.name)
    .filter((name) => name !== GENERATOR && name !== BARE_PROCESS);
  return names === undefined ? 'its supervisor, frontend, parser, workers and tally' : names.join(', ');
}

function targetsSection(results: BenchResults): string[] {
  const rows = TARGETS.map((target) => {
    const { readings, verdict } = judge(target, results);
    const figures = readings.every(({ figure }) => figure === 'not measured')
      ? ['not measured']
      : readings.map(
          ({ bound, figure }) => `${bound.label === undefined ? '' : `${bound.label} `}${figureText(bound, figure)}`,
        );
    const limits = target.bounds.map(
      (bound) => `${bound.label === undefined ? '' : `${bound.label} `}${bound.must} ${withUnit(bound.value, bound)}`,
    );
    return [
      target.what,
      figures.join(' / '),
      limits.join(', '),
      verdict === 'not measured' ? verdict : `**${verdict}**`,
    ];
  });
  return [
    '## Targets (issue 25)',
    '',
    table(['target', 'this run', 'limit', 'verdict'], rows),
    '',
    '"not measured": the part that measures it did not run (`--only`) or failed (see Failures). The sections below give the detail.',
    '',
  ];
}

function figureText(bound: Bound, figure: Figure): string {
  if (figure === 'timed out') return 'not within the timeout';
  return figure === 'not measured' ? figure : withUnit(figure, bound);
}

function withUnit(value: number, { unit }: Bound): string {
  const number = value.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return unit === '×' || unit === '' ? `${number}${unit}` : `${number} ${unit}`;
}

function queueEnginesSection(report: QueueEnginesReport, scenario: BenchScenario): string[] {
  const { messages, batch, consumers } = scenario.queueEngines;
  return [
    '## Queue engines: send → receive → ack, against BullMQ',
    '',
    `${messages.toLocaleString('en-US')} messages of ${report.messageBytes} bytes per engine, sent in batches of ${batch} while ${consumers} consumers`,
    `receive batches of ${batch} and ack each message (BullMQ: one worker at concurrency ${consumers * batch}), all in the bench process.`,
    '',
    '| engine | msg/s | ÷ BullMQ | seconds | a send resolves when the message is |',
    '| --- | --- | --- | --- | --- |',
    ...report.runs.map(
      (r) =>
        `| ${r.engine} | ${r.perSec.toLocaleString('en-US')} | ${r.ratioToBullmq === undefined ? '–' : `${r.ratioToBullmq}×`} | ${r.seconds} | ${r.durability} |`,
    ),
    ...report.unavailable.map(
      (u) => `| ${u.split(':')[0] ?? u} | – | – | – | not run: ${u.slice(u.indexOf(':') + 1).trim()} |`,
    ),
    '',
  ];
}

function natsShutdownSection(report: NatsShutdownReport, scenario: BenchScenario): string[] {
  const { publishers, flowBeforeStopMs } = scenario.natsShutdown;
  const rows = report.runs.map((r) => [r.retention, r.stop, r.acked, r.lost]);
  return [
    `## NATS ${report.server}: acked publishes kept across a restart`,
    '',
    `A private nats-server, one stream with two durable consumers acking everything, ${publishers} publishers at full speed;`,
    `after ${flowBeforeStopMs} ms the server is stopped (SIGTERM, or lame-duck mode via SIGUSR2) and started again. "lost": acked`,
    'publishes a consumer never received after the restart. This is why the topic stream is not Interest-retained and',
    'why NATS is restarted in lame-duck mode (README, "Restarting NATS").',
    '',
    ...(report.unavailable === undefined
      ? [table(['retention', 'stop', 'acked', 'lost'], rows)]
      : [`Not run: ${report.unavailable}.`]),
    '',
  ];
}

function ingestSection(ingest: IngestReport): string[] {
  const rows = ingest.runs.map((run) => {
    const r = run.result;
    const load = r.model === 'closed' ? `closed, ${r.connections} conns` : `open, ${r.offeredPerSec} req/s`;
    const errors =
      (Object.entries(r.errors)
        .map(([k, n]) => `${k}×${n}`)
        .join(' ') || '0') + (run.restarted.length > 0 ? `; restarted ${run.restarted.join(', ')}` : '');
    const settle =
      run.settleMs === undefined
        ? run.server === 'exodus'
          ? 'not idle'
          : ''
        : `${(run.settleMs / 1000).toFixed(1)} s`;
    const cpu = run.cpuUsPerRequest;
    return [
      run.phase,
      server(run),
      load,
      r.okPerSec,
      r.latency.p50Ms,
      r.latency.p99Ms,
      r.latency.p999Ms,
      r.latency.maxMs,
      errors + (r.skipped > 0 ? `, ${r.skipped} skipped` : ''),
      us(cpu.server),
      us(cpu.system),
      settle,
    ];
  });
  return [
    '## Ingest: `POST /api/wishes` vs a bare `node:http` JSON server',
    '',
    table(
      [
        'phase',
        'server',
        'load',
        'ok req/s',
        'p50 ms',
        'p99 ms',
        'p99.9 ms',
        'max ms',
        'errors',
        'server CPU µs/req',
        'all-process CPU µs/req',
        'backlog settled',
      ],
      rows,
    ),
    '',
    `**Throughput ratio (closed model, exodus ÷ bare): ${ingest.throughputRatio}× — target ≥ ${ingest.minRatio}× — ${ingest.pass ? 'PASS' : 'FAIL'}**`,
    '',
    'Closed-model latencies are service times at saturation (coordinated omission hides stalls); the open-model',
    "rows are measured from each request's intended send time at a rate both servers can sustain. CPU µs/req is",
    "the server process's (frontend-1 or bare-server) and all of exodus's processes' CPU time per answered request:",
    'it moves little when the machine is shared, so compare it across runs.',
    '',
  ];
}

function us(value: number | undefined): string {
  return value === undefined ? '–' : String(value);
}

function server(run: IngestRun): string {
  return run.server === 'bare' ? 'bare node:http' : 'exodus';
}

/** The physical references a drain is read against, from the same run. */
interface References {
  /** The bare server's closed-model req/s; undefined when the ingest part did not run. */
  readonly barePerSec: number | undefined;
  readonly fdatasyncPerSec: number;
}

function drainSection(drain: DrainReport, engines: string, references: References): string[] {
  const s = (ms: number | undefined): string =>
    ms === undefined ? 'not within the timeout' : `${(ms / 1000).toFixed(2)} s`;
  const rate = (n: number | undefined): string => (n === undefined ? '–' : `${n.toLocaleString('en-US')} wishes/s`);
  const failed =
    Object.entries(drain.failedAttempts)
      .map(([k, n]) => `${k}×${n}`)
      .join(' ') || 'none';
  const { p50Ms, p99Ms, p999Ms, maxMs } = drain.latency;
  return [
    `## Drain on ${engines}: ${drain.evacuees.toLocaleString('en-US')} wishes, first POST → all \`stored\` and in the tally`,
    '',
    table(
      ['metric', 'value'],
      [
        ['all stored (store.countCurrent)', s(drain.allStoredMs)],
        [
          'all in the tally (read model)',
          `**${s(drain.allTalliedMs)}** — target ≤ ${drain.targetMs / 1000} s — ${drain.pass ? 'PASS' : 'FAIL'}`,
        ],
        ['ingest: first POST → last 202', `${s(drain.lastAcceptedMs)}, ${rate(drain.ingestPerSec)}`],
        ['drain rate, first POST → all stored', rate(drain.drainPerSec)],
        [
          'stored when the last 202 came back',
          `${drain.storedAtLastAccepted.toLocaleString('en-US')} of ${drain.evacuees.toLocaleString('en-US')}`,
        ],
        ['backlog after the last 202', backlog(drain)],
        ['POST latency p50 / p99 / p99.9 / max (closed model)', `${p50Ms} / ${p99Ms} / ${p999Ms} / ${maxMs} ms`],
        ['failed attempts (retried) / given up', `${failed} / ${drain.gaveUp}`],
        ['services restarted during the drain', drain.restarted.join(', ') || 'none'],
        ['one poll of store + tally counts (in the bench process)', `${drain.pollMeanMs} ms`],
        [
          'CPU per wish: all exodus processes / load generator',
          `${us(drain.cpuUsPerWish.system)} µs / ${us(drain.cpuUsPerWish.generator)} µs`,
        ],
        [
          `CPU µs per wish, by process ("${OTHERS}": not started by the bench)`,
          Object.entries(drain.cpuUsPerWishByProcess)
            .map(([name, n]) => `${name} ${n}`)
            .join(', '),
        ],
        [
          'RSS of exodus’s processes, idle (before the first POST) / peak',
          `${drain.memory.idleMb} MB / ${drain.memory.peakMb} MB`,
        ],
        [
          'RSS by process, idle / peak MB',
          Object.entries(drain.memory.byProcess)
            .map(([name, m]) => `${name} ${m.idleMb} / ${m.peakMb}`)
            .join(', '),
        ],
        ['ingest rate ÷ bare node:http (closed model, ingest part)', ratio(drain.ingestPerSec, references.barePerSec)],
        ['wishes stored per second ÷ fdatasync per second', ratio(drain.drainPerSec, references.fdatasyncPerSec)],
      ],
    ),
    '',
  ];
}

function ratio(value: number | undefined, reference: number | undefined): string {
  return value === undefined || reference === undefined || reference <= 0 ? '–' : `${(value / reference).toFixed(3)}×`;
}

/** Telemetry's cost: the same drain with export off and with the console receiving, each the mean of its runs. */
function telemetrySection({ off, on }: NonNullable<BenchResults['telemetry']>): string[] {
  const mean = (runs: readonly DrainReport[], get: (d: DrainReport) => number | undefined): number | undefined => {
    const values = runs.map(get).filter((v): v is number => v !== undefined);
    return values.length === 0 || values.length < runs.length
      ? undefined
      : values.reduce((a, b) => a + b, 0) / values.length;
  };
  const change = (before: number | undefined, after: number | undefined): string =>
    before === undefined || after === undefined || before === 0
      ? '–'
      : `${after >= before ? '+' : ''}${(((after - before) / before) * 100).toFixed(1)} %`;
  const row = (what: string, get: (d: DrainReport) => number | undefined, show: (v: number | undefined) => string) => {
    const [a, b] = [mean(off, get), mean(on, get)];
    const each = (runs: readonly DrainReport[]): string => runs.map((run) => show(get(run))).join(', ');
    return [what, `${show(a)} (${each(off)})`, `${show(b)} (${each(on)})`, change(a, b)];
  };
  const seconds = (ms: number | undefined): string => (ms === undefined ? 'TIMEOUT' : `${(ms / 1000).toFixed(2)} s`);
  return [
    '## What telemetry costs: the embedded drain, export off vs the console receiving everything',
    '',
    "Runs in the order off, on, on, off; each cell is the mean, then each run's figure. Traces are rate-limited (`--traces-per-second`, default 20 per process).",
    '',
    table(
      ['measure', '--no-console', 'console receiving', 'change'],
      [
        row('all stored (first POST → last stored)', (d) => d.allStoredMs, seconds),
        row(
          'drain rate, wishes/s',
          (d) => d.drainPerSec,
          (v) => (v === undefined ? '–' : Math.round(v).toLocaleString('en-US')),
        ),
        row(
          'CPU µs per wish, all exodus processes (console included)',
          (d) => d.cpuUsPerWish.system,
          (v) => (v === undefined ? '–' : String(Math.round(v))),
        ),
        row(
          'POST p99 ms (closed model)',
          (d) => d.latency.p99Ms,
          (v) => (v === undefined ? '–' : v.toFixed(1)),
        ),
      ],
    ),
    '',
  ];
}

function backlog(drain: DrainReport): string {
  const left = drain.evacuees - drain.storedAtLastAccepted;
  if (drain.allStoredMs === undefined)
    return `${left.toLocaleString('en-US')} wishes, not all stored within the timeout`;
  const ms = drain.allStoredMs - drain.lastAcceptedMs;
  // A rate over a few hundred ms says little; the count and the time say what happened.
  return `${left.toLocaleString('en-US')} wishes in ${(ms / 1000).toFixed(2)} s${ms >= 1000 && drain.backlogDrainPerSec !== undefined ? ` (${drain.backlogDrainPerSec.toLocaleString('en-US')}/s)` : ''}`;
}

function cpuSection(results: BenchResults): string[] {
  const columns: [string, CpuReport][] = [
    ...(results.ingest?.runs.map((run): [string, CpuReport] => [`${run.phase} ${run.server}`, run.cpu]) ?? []),
    ...(results.drain ? ([['drain ingesting', results.drain.cpu.ingesting]] as [string, CpuReport][]) : []),
    // A backlog gone in a few hundred ms leaves too few clock ticks for meaningful percentages.
    ...(results.drain && results.drain.cpu.backlog.windowMs >= 1_000
      ? ([['drain backlog', results.drain.cpu.backlog]] as [string, CpuReport][])
      : []),
  ];
  if (columns.length === 0) return [];
  const names = [...new Set(columns.flatMap(([, report]) => report.processes.map((p) => p.name)))];
  const rows = names.map((name) => [
    name,
    ...columns.map(([, report]) => report.processes.find((p) => p.name === name)?.cpuPercent ?? ''),
  ]);
  rows.push(["other processes (not the bench's)", ...columns.map(([, report]) => report.othersPercent ?? '')]);
  rows.push([
    '**machine busy (all cores)**',
    ...columns.map(([, report]) => (report.machineBusyPercent === undefined ? '' : `${report.machineBusyPercent}%`)),
  ]);
  return [
    '## CPU per process (% of one core, averaged over each phase incl. warm-up; 100 = one core busy)',
    '',
    table(['process', ...columns.map(([label]) => label)], rows),
    '',
  ];
}
