import { performance } from 'node:perf_hooks';
import {
  LatencyRecorder,
  LoadRun,
  openPool,
  send,
  type Answer,
  type LatencySummary,
  type LoadRequest,
  type RosterEntry,
} from '../src/ops/load/index.js';

export interface PhaseResult {
  readonly model: 'closed' | 'open';
  readonly connections: number;
  /** Open model only: requests due per second. */
  readonly offeredPerSec: number | undefined;
  readonly measuredMs: number;
  /** Answers with the expected status per second of the measured window. */
  readonly okPerSec: number;
  readonly ok: number;
  /** Non-expected answers and transport errors (closed: in the measured window; open: the whole phase), by status or error code. */
  readonly errors: Readonly<Record<string, number>>;
  /** Open model only: due requests never sent because `maxOutstanding` were already waiting. */
  readonly skipped: number;
  /** Of the expected answers whose request was due (open) or sent (closed) in the measured window. */
  readonly latency: LatencySummary;
  /** Every answer of the phase, warm-up included: divides the phase's CPU time into a cost per request. */
  readonly answeredInPhase: number;
}

export interface DriverOptions {
  readonly connections: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Per request: no header or body byte for this long is an error, so a phase always ends. */
  readonly requestTimeoutMs: number;
}

/** Both servers answer an accepted POST with 202. */
const EXPECTED = 202;

/** Counts for the closed model's measured window. */
class WindowCounts {
  readonly latency = new LatencyRecorder();
  readonly errors: Record<string, number> = {};
  ok = 0;
  skipped = 0;
  answeredInPhase = 0;

  add(answer: Answer, latencyMs: number): void {
    if (answer.status === EXPECTED) {
      this.ok++;
      this.latency.record(latencyMs);
    } else {
      this.errors[answer.key] = (this.errors[answer.key] ?? 0) + 1;
    }
  }
}

/**
 * Closed model (see `LoadModel` in scenarios.ts for what its latencies do and do not mean): each of
 * `connections` senders loops send → wait for the answer → send. Requests *sent* in the measured
 * window are recorded; throughput counts answers *received* in it, so the tail of the warm-up and
 * the requests still in flight at the end neither inflate nor deflate it.
 */
export async function runClosed(origin: string, next: () => LoadRequest, options: DriverOptions): Promise<PhaseResult> {
  const pool = openPool(origin, options.connections);
  const start = performance.now();
  const measureFrom = start + options.warmupMs;
  const end = measureFrom + options.durationMs;
  const counts = new WindowCounts();
  let answeredInWindow = 0;
  const sender = async (): Promise<void> => {
    while (performance.now() < end) {
      const sentAt = performance.now();
      const answer = await send(pool, next(), { timeoutMs: options.requestTimeoutMs });
      const doneAt = performance.now();
      counts.answeredInPhase++;
      if (answer.status === EXPECTED && doneAt >= measureFrom && doneAt <= end) answeredInWindow++;
      if (sentAt >= measureFrom) counts.add(answer, doneAt - sentAt);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.connections }, sender));
  } finally {
    await pool.close();
  }
  return {
    model: 'closed',
    connections: options.connections,
    offeredPerSec: undefined,
    measuredMs: options.durationMs,
    okPerSec: Math.round((answeredInWindow * 1000) / options.durationMs),
    ok: counts.ok,
    errors: counts.errors,
    skipped: 0,
    latency: counts.latency.summary(),
    answeredInPhase: counts.answeredInPhase,
  };
}

export interface OpenOptions extends DriverOptions {
  readonly ratePerSec: number;
  /** Requests allowed to wait (in undici's queue or on the wire) before new ones are skipped, bounding memory. */
  readonly maxOutstanding: number;
}

/**
 * Open model, by the product's load generator (`exodus load`'s engine): one constant phase of POSTs,
 * latency from each request's intended time, the warm-up's arrivals left out of the percentiles.
 */
export async function runOpen(
  origin: string,
  roster: readonly RosterEntry[],
  options: OpenOptions,
): Promise<PhaseResult> {
  const run = new LoadRun({
    target: origin,
    roster,
    segments: [
      {
        name: 'open',
        kind: 'constant',
        startMs: 0,
        durationMs: options.warmupMs + options.durationMs,
        from: options.ratePerSec,
        to: options.ratePerSec,
      },
    ],
    mix: { post: 1, status: 0, wall: 0, tally: 0 },
    retries: 0,
    connections: options.connections,
    maxOutstanding: options.maxOutstanding,
    timeoutMs: options.requestTimeoutMs,
    measureFromMs: options.warmupMs,
  });
  const result = await run.run();
  const post = result.byAction.post;
  return {
    model: 'open',
    connections: options.connections,
    offeredPerSec: options.ratePerSec,
    measuredMs: options.durationMs,
    okPerSec: Math.round((post.latency.count * 1000) / options.durationMs),
    ok: post.latency.count,
    errors: Object.fromEntries(Object.entries(post.answers).filter(([key]) => key !== String(EXPECTED))),
    skipped: result.skipped,
    latency: post.latency,
    answeredInPhase: result.answered,
  };
}
