import type { DrainReport } from './drain.js';
import { runOf } from './ingest.js';
import type { BenchResults } from './results.js';
import { DEFAULT_SCENARIO } from './scenarios.js';

/**
 * The performance targets as data: each names the figure of a bench run it
 * judges, so latest.md's table and history.ndjson read the same numbers. A target may bound several
 * figures (latency p99 and max); it passes when every one is within its bound.
 */
export type Figure = number | 'not measured' | 'timed out';

export type Unit = '×' | 'µs' | 'ms' | 's' | 'MB';

export interface Bound {
  /** The figure's name in history.ndjson, unit included. */
  readonly key: string;
  /** Names the figure when a target has more than one. */
  readonly label?: string;
  readonly max: number;
  readonly unit: Unit;
  readonly figure: (results: BenchResults) => Figure;
}

export interface Target {
  readonly what: string;
  readonly bounds: readonly Bound[];
}

export type Verdict = 'PASS' | 'FAIL' | 'not measured';

const { drain: embedded, distributed } = DEFAULT_SCENARIO;

export const TARGETS: readonly Target[] = [
  {
    what: 'frontend CPU per accepted wish ÷ the bare server’s CPU per request (ingest, saturation)',
    bounds: [{ key: 'frontendCpuRatio', max: 2.5, unit: '×', figure: frontendCpuRatio }],
  },
  {
    what: 'CPU per stored wish, all of exodus’s processes, embedded drain',
    bounds: [
      {
        key: 'embeddedCpuUsPerWish',
        max: 300,
        unit: 'µs',
        figure: (r) => r.drain?.cpuUsPerWish.system ?? 'not measured',
      },
    ],
  },
  {
    what: `${embedded.evacuees.toLocaleString('en-US')} wishes, first POST → all in the tally, embedded (SQLite)`,
    bounds: [
      { key: 'embeddedDrainSec', max: embedded.targetMs / 1000, unit: 's', figure: (r) => drainSeconds(r.drain) },
    ],
  },
  {
    what: 'the same on NATS JetStream + PostgreSQL',
    bounds: [
      {
        key: 'distributedDrainSec',
        max: distributed.targetMs / 1000,
        unit: 's',
        figure: (r) => drainSeconds(r.drainDistributed),
      },
    ],
  },
  {
    what: 'accepted POSTs, open model at half the measured maximum rate (ingest)',
    bounds: [
      {
        key: 'halfMaxP99Ms',
        label: 'p99',
        max: 25,
        unit: 'ms',
        figure: (r) => halfMaxLatency(r)?.p99Ms ?? 'not measured',
      },
      {
        key: 'halfMaxMaxMs',
        label: 'max',
        max: 250,
        unit: 'ms',
        figure: (r) => halfMaxLatency(r)?.maxMs ?? 'not measured',
      },
    ],
  },
  {
    what: 'RSS of all exodus processes, embedded drain',
    bounds: [
      {
        key: 'embeddedRssIdleMb',
        label: 'idle',
        max: 400,
        unit: 'MB',
        figure: (r) => r.drain?.memory.idleMb ?? 'not measured',
      },
      {
        key: 'embeddedRssPeakMb',
        label: 'peak',
        max: 600,
        unit: 'MB',
        figure: (r) => r.drain?.memory.peakMb ?? 'not measured',
      },
    ],
  },
];

/** A figure past its bound (or timed out) fails the target even if another was not measured. */
export function judge(
  target: Target,
  results: BenchResults,
): { readings: { bound: Bound; figure: Figure }[]; verdict: Verdict } {
  const readings = target.bounds.map((bound) => ({ bound, figure: bound.figure(results) }));
  const over = readings.some(
    ({ bound, figure }) => figure === 'timed out' || (typeof figure === 'number' && figure > bound.max),
  );
  const unmeasured = readings.some(({ figure }) => figure === 'not measured');
  return { readings, verdict: over ? 'FAIL' : unmeasured ? 'not measured' : 'PASS' };
}

/** First POST → all in the tally, in seconds. */
export function drainSeconds(drain: DrainReport | undefined): Figure {
  if (drain === undefined) return 'not measured';
  return drain.allTalliedMs === undefined ? 'timed out' : drain.allTalliedMs / 1000;
}

function frontendCpuRatio(results: BenchResults): Figure {
  const runs = results.ingest?.runs ?? [];
  const frontend = runOf(runs, 'exodus', 'closed')?.cpuUsPerRequest.server;
  const bare = runOf(runs, 'bare', 'closed')?.cpuUsPerRequest.server;
  return frontend === undefined || bare === undefined || bare <= 0
    ? 'not measured'
    : Math.round((frontend / bare) * 100) / 100;
}

function halfMaxLatency(results: BenchResults): { readonly p99Ms: number; readonly maxMs: number } | undefined {
  return runOf(results.ingest?.runs ?? [], 'exodus', 'open')?.result.latency;
}
