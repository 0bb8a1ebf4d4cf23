import type { DrainReport } from './drain.js';
import type { IdleRun } from './idle.js';
import { runOf } from './ingest.js';
import type { BenchResults } from './results.js';
import { DEFAULT_SCENARIO } from './scenarios.js';

/**
 * The performance targets (issue 25) as data: each names the figure of a bench run it
 * judges, so latest.md's table and history.ndjson read the same numbers. A target may bound several
 * figures (latency p99 and max); it passes when every one is within its bound.
 */
export type Figure = number | 'not measured' | 'timed out';

export type Unit = '×' | 'µs' | 'ms' | 's' | 'MB' | '%' | '';

/** How a figure must compare with the bound's value: "at most", "below", "above", "exactly". */
export type Comparison = '≤' | '<' | '>' | '=';

export interface Bound {
  /** The figure's name in history.ndjson, unit included. */
  readonly key: string;
  /** Names the figure when a target has more than one. */
  readonly label?: string;
  readonly must: Comparison;
  readonly value: number;
  readonly unit: Unit;
  readonly figure: (results: BenchResults) => Figure;
}

export interface Target {
  readonly what: string;
  readonly bounds: readonly Bound[];
}

export type Verdict = 'PASS' | 'FAIL' | 'not measured';

const { drain: embedded, distributed, overload } = DEFAULT_SCENARIO;

/** Issue 25's targets ("Proof"), in its table's order. */
export const TARGETS: readonly Target[] = [
  {
    what: `${embedded.evacuees.toLocaleString('en-US')} wishes, first POST → all in the tally, embedded (SQLite)`,
    bounds: [
      {
        key: 'embeddedDrainSec',
        must: '≤',
        value: embedded.targetMs / 1000,
        unit: 's',
        figure: (r) => drainSeconds(r.drain),
      },
    ],
  },
  {
    what: 'the same on NATS JetStream + PostgreSQL',
    bounds: [
      {
        key: 'distributedDrainSec',
        must: '≤',
        value: distributed.targetMs / 1000,
        unit: 's',
        figure: (r) => drainSeconds(r.drainDistributed),
      },
    ],
  },
  {
    what: 'CPU per stored wish, all of exodus’s processes, embedded drain',
    bounds: [
      {
        key: 'embeddedCpuUsPerWish',
        must: '≤',
        value: 230,
        unit: 'µs',
        figure: (r) => r.drain?.cpuUsPerWish.system ?? 'not measured',
      },
    ],
  },
  {
    what: 'frontend CPU per accepted wish ÷ the bare node:http server’s CPU per request (ingest, saturation)',
    bounds: [{ key: 'frontendCpuRatio', must: '≤', value: 3, unit: '×', figure: frontendCpuRatio }],
  },
  {
    what: '`exodus up` idle at rest (60 s from 90 s after ready), all its processes, % of one core (as shipped: the canary every 10 s; and --no-canary)',
    bounds: [
      {
        key: 'idleCpuPercent',
        label: 'as shipped',
        must: '<',
        value: 1,
        unit: '%',
        figure: (r) => idleRun(r, false)?.atRest.totalPercent ?? 'not measured',
      },
      {
        key: 'idleCpuPercentNoCanary',
        label: '--no-canary',
        must: '<',
        value: 1,
        unit: '%',
        figure: (r) => idleRun(r, true)?.atRest.totalPercent ?? 'not measured',
      },
    ],
  },
  {
    what: 'RSS of all exodus processes: idle (before the first POST) / peak, embedded drain',
    bounds: [
      {
        key: 'embeddedRssIdleMb',
        label: 'idle',
        must: '≤',
        value: 400,
        unit: 'MB',
        figure: (r) => r.drain?.memory.idleMb ?? 'not measured',
      },
      {
        key: 'embeddedRssPeakMb',
        label: 'peak',
        must: '≤',
        value: 600,
        unit: 'MB',
        figure: (r) => r.drain?.memory.peakMb ?? 'not measured',
      },
    ],
  },
  {
    what: `overload: ${overload.ratePerSec.toLocaleString('en-US')} POST/s over ${overload.connections.toLocaleString('en-US')} connections against \`exodus up\``,
    bounds: [
      {
        key: 'overload503s',
        label: '503s with Retry-After',
        must: '>',
        value: 0,
        unit: '',
        figure: (r) =>
          r.overload === undefined ? 'not measured' : r.overload.shed503 - r.overload.shedWithoutRetryAfter,
      },
      {
        key: 'overloadTimeouts',
        label: 'client timeouts',
        must: '=',
        value: 0,
        unit: '',
        figure: (r) => r.overload?.timeouts ?? 'not measured',
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
    ({ bound, figure }) => figure === 'timed out' || (typeof figure === 'number' && !holds(figure, bound)),
  );
  const unmeasured = readings.some(({ figure }) => figure === 'not measured');
  return { readings, verdict: over ? 'FAIL' : unmeasured ? 'not measured' : 'PASS' };
}

function holds(figure: number, { must, value }: Bound): boolean {
  switch (must) {
    case '≤':
      return figure <= value;
    case '<':
      return figure < value;
    case '>':
      return figure > value;
    case '=':
      return figure === value;
  }
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

/** The idle run as shipped (canary on) or with --no-canary. */
function idleRun(results: BenchResults, noCanary: boolean): IdleRun | undefined {
  return results.idle?.runs.find((run) => run.upArgs.includes('--no-canary') === noCanary);
}
