import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAverage, measureFsync } from './calibrate.js';
import { runDrain, type DrainReport } from './drain.js';
import { appendHistory, historyEntry } from './history.js';
import { runIdle, type IdleReport } from './idle.js';
import { runIngest, type IngestReport } from './ingest.js';
import { runNatsShutdown, type NatsShutdownReport } from './nats-shutdown.js';
import { runOverload, type OverloadReport } from './overload.js';
import { runPeerDrain, type PeerReport } from './peer/drain.js';
import { armWatchdog, exitWhenDone } from './processes.js';
import { gitState, machine } from './provenance.js';
import { runQueueEngines, type QueueEnginesReport } from './queue-engines.js';
import { renderMarkdown, writeResults } from './report.js';
import type { BenchResults } from './results.js';
import { DEFAULT_SCENARIO, type BenchScenario } from './scenarios.js';

/**
 * `npm run bench`: ingest (exodus vs bare node:http), drain (65,000 wishes to `stored` and into the tally,
 * embedded and on NATS + PostgreSQL), the peer-style baseline's same drain (Fastify + BullMQ + PostgreSQL),
 * `exodus up` idle, overload (3,000 connections far above capacity), telemetry's cost, queue engines
 * (ours vs BullMQ), what NATS keeps of the publishes it acks while shutting down, then
 * bench/results/latest.{json,md} (issue 25's targets first) and the table on stdout.
 * `--only ingest|drain|peer|idle|overload|telemetry|queues|nats-shutdown` runs one part;
 * `--quick` shortens the ingest, idle and overload phases for a smoke run (the drains keep their
 * 65,000: that is the target).
 * A full run (neither option) also appends its headline figures to bench/results/history.ndjson.
 * Exits 1 if a part failed to run — missing a performance target is a result, not a failure.
 */
const RESULTS_DIR = resolve(import.meta.dirname, '../../bench/results');

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean' } }, strict: true });
  const only = values.only;
  const parts = ['ingest', 'drain', 'peer', 'idle', 'overload', 'telemetry', 'queues', 'nats-shutdown'];
  if (only !== undefined && !parts.includes(only)) throw new Error(`--only takes ${parts.join(', ')}`);
  const scenario = values.quick === true ? quick(DEFAULT_SCENARIO) : DEFAULT_SCENARIO;

  const disarm = armWatchdog('bench', scenario.budgetMs);

  const startedAt = new Date();
  const log = (line: string): void =>
    console.log(`[${((Date.now() - startedAt.getTime()) / 1000).toFixed(1).padStart(6)} s] ${line}`);
  const loadAvgStart = loadAverage();
  const fdatasyncPerSec = measureFsync(tmpdir());
  log(`environment: ${fdatasyncPerSec} fdatasync/s in ${tmpdir()}, load average ${loadAvgStart}`);
  const failures: string[] = [];
  const attempt = async <T>(name: string, part: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await part();
    } catch (error) {
      const message = `${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
      console.error(message);
      failures.push(message.split('\n')[0] ?? name);
      return undefined;
    }
  };

  const ingest: IngestReport | undefined =
    only === undefined || only === 'ingest'
      ? await attempt('ingest', () => runIngest(scenario.ingest, log))
      : undefined;
  const drain: DrainReport | undefined =
    only === undefined || only === 'drain' ? await attempt('drain', () => runDrain(scenario.drain, log)) : undefined;
  const run = Date.now().toString(36);
  const drainDistributed: DrainReport | undefined =
    only === undefined || only === 'drain'
      ? await attempt('drain on NATS + PostgreSQL', () =>
          runDrain(
            { ...scenario.drain, timeoutMs: scenario.distributed.timeoutMs, targetMs: scenario.distributed.targetMs },
            log,
            {
              name: 'NATS JetStream + PostgreSQL',
              queueUrl: `${scenario.distributed.natsUrl}?prefix=bench-${run}`,
              storeUrl: `${scenario.distributed.postgresUrl}?schema=bench_${run}`,
            },
          ),
        )
      : undefined;
  // The peer right after exodus's drains, so the three are measured on the machine in the same state.
  const peer: PeerReport | undefined =
    only === undefined || only === 'peer'
      ? await attempt('peer baseline', () => runPeerDrain(scenario.drain, scenario.peer, log))
      : undefined;
  const idle: IdleReport | undefined =
    only === undefined || only === 'idle' ? await attempt('idle', () => runIdle(scenario.idle, log)) : undefined;
  const overload: OverloadReport | undefined =
    only === undefined || only === 'overload'
      ? await attempt('overload', () => runOverload(scenario.overload, log))
      : undefined;
  // What telemetry costs: the embedded drain without the console (no export at all) and with it
  // receiving everything, in the order off, on, on, off, so a machine that slows or speeds up during
  // the run weighs on both sides alike.
  const telemetry =
    only === undefined || only === 'telemetry' ? await telemetryCost(scenario, log, attempt) : undefined;
  const queueEngines: QueueEnginesReport | undefined =
    only === undefined || only === 'queues'
      ? await attempt('queue engines', () => runQueueEngines(scenario.queueEngines, log))
      : undefined;
  const natsShutdown: NatsShutdownReport | undefined =
    only === undefined || only === 'nats-shutdown'
      ? await attempt('nats shutdown', () => runNatsShutdown(scenario.natsShutdown, log))
      : undefined;

  const results: BenchResults = {
    startedAt: startedAt.toISOString(),
    elapsedSec: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine: machine(),
    environment: { fdatasyncPerSec, loadAvgStart, loadAvgEnd: loadAverage() },
    git: gitState(),
    scenario,
    ingest,
    drain,
    drainDistributed,
    telemetry,
    queueEngines,
    natsShutdown,
    peer,
    idle,
    overload,
    failures,
  };
  const markdown = renderMarkdown(results);
  const files = writeResults(RESULTS_DIR, results, markdown);
  console.log(`\n${markdown}`);
  const history =
    only === undefined && values.quick !== true
      ? `, ${appendHistory(RESULTS_DIR, historyEntry(results))} (+1 line)`
      : '';
  console.log(`results: ${files.json}, ${files.md}${history}`);
  disarm();
  return failures.length > 0 ? 1 : 0;
}

async function telemetryCost(
  scenario: BenchScenario,
  log: (line: string) => void,
  attempt: <T>(name: string, part: () => Promise<T>) => Promise<T | undefined>,
): Promise<NonNullable<BenchResults['telemetry']>> {
  const off = () =>
    attempt('drain without telemetry export', () =>
      runDrain(scenario.drain, log, { name: 'SQLite, --no-console', upArgs: ['--no-console'] }),
    );
  const on = () =>
    attempt('drain with the console receiving', () =>
      runDrain(scenario.drain, log, { name: 'SQLite, console receiving' }),
    );
  const runs: { off: (DrainReport | undefined)[]; on: (DrainReport | undefined)[] } = { off: [], on: [] };
  runs.off.push(await off());
  runs.on.push(await on());
  runs.on.push(await on());
  runs.off.push(await off());
  const done = (list: (DrainReport | undefined)[]): DrainReport[] =>
    list.filter((run): run is DrainReport => run !== undefined);
  return { off: done(runs.off), on: done(runs.on) };
}

/** A smoke run: the same phases, shorter. */
function quick(scenario: BenchScenario): BenchScenario {
  return {
    ...scenario,
    idle: { ...scenario.idle, settleMs: 3_000, settleTimeoutMs: 10_000, windowMs: 5_000 },
    overload: { ...scenario.overload, durationMs: 4_000 },
    ingest: {
      ...scenario.ingest,
      phases: scenario.ingest.phases.map((phase) => ({ ...phase, warmupMs: 500, durationMs: 2_000 })),
    },
  };
}

exitWhenDone(main());
