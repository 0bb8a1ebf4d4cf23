import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { LatencyRecorder, type LatencySummary } from './latency.js';

/** One POST as the generator sends it; built ahead of time so the timed path only writes bytes. */
export interface BenchRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What a request came to: `ok` if the expected status came back; `key` is the status or error code. */
export interface Outcome {
  readonly ok: boolean;
  readonly key: string;
}

export interface PhaseResult {
  readonly model: 'closed' | 'open';
  readonly connections: number;
  /** Open model only: requests due per second. */
  readonly offeredPerSec: number | undefined;
  readonly measuredMs: number;
  /** Answers with the expected status per second of the measured window. */
  readonly okPerSec: number;
  readonly ok: number;
  /** Non-expected answers and transport errors in the measured window, by status or error code. */
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
  readonly expectStatus: number;
}

/**
 * One keep-alive connection per virtual user, no pipelining: that is how browsers and most HTTP
 * clients talk to an API, and pipelining would flatter the server that answers in order fastest.
 */
export function openPool(origin: string, connections: number): Pool {
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
}

export async function sendOnce(pool: Pool, request: BenchRequest, options: Pick<DriverOptions, 'requestTimeoutMs' | 'expectStatus'>): Promise<Outcome> {
  try {
    const response = await pool.request({
      method: 'POST',
      path: request.path,
      headers: request.headers,
      body: request.body,
      headersTimeout: options.requestTimeoutMs,
      bodyTimeout: options.requestTimeoutMs,
    });
    // Read the whole answer: a server is done when its last byte is in, not its status line.
    await response.body.dump();
    return { ok: response.statusCode === options.expectStatus, key: String(response.statusCode) };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { ok: false, key: typeof code === 'string' ? code : error instanceof Error ? error.name : 'error' };
  }
}

/** Counts for the measured window, shared by both models. */
class WindowCounts {
  readonly latency = new LatencyRecorder();
  readonly errors: Record<string, number> = {};
  ok = 0;
  skipped = 0;
  answeredInPhase = 0;

  add(outcome: Outcome, latencyMs: number): void {
    if (outcome.ok) {
      this.ok++;
      this.latency.record(latencyMs);
    } else {
      this.errors[outcome.key] = (this.errors[outcome.key] ?? 0) + 1;
    }
  }
}

/**
 * Closed model (see `LoadModel` in scenarios.ts for what its latencies do and do not mean): each of
 * `connections` senders loops send → wait for the answer → send. Requests *sent* in the measured
 * window are recorded; throughput counts answers *received* in it, so the tail of the warm-up and
 * the requests still in flight at the end neither inflate nor deflate it.
 */
export async function runClosed(origin: string, next: () => BenchRequest, options: DriverOptions): Promise<PhaseResult> {
  const pool = openPool(origin, options.connections);
  const start = performance.now();
  const measureFrom = start + options.warmupMs;
  const end = measureFrom + options.durationMs;
  const counts = new WindowCounts();
  let answeredInWindow = 0;
  const sender = async (): Promise<void> => {
    while (performance.now() < end) {
      const sentAt = performance.now();
      const outcome = await sendOnce(pool, next(), options);
      const doneAt = performance.now();
      counts.answeredInPhase++;
      if (outcome.ok && doneAt >= measureFrom && doneAt <= end) answeredInWindow++;
      if (sentAt >= measureFrom) counts.add(outcome, doneAt - sentAt);
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
 * Open model: request i is due at start + i/rate whatever happened to the others, and its latency
 * is measured from that *intended* time, not from when it was actually written. A server (or a
 * generator) that falls behind therefore shows its queueing in the percentiles instead of hiding
 * it. The scheduler ticks on a ~1 ms timer and sends everything due; its own lateness is counted
 * too, which costs both servers the same.
 */
export async function runOpen(origin: string, next: () => BenchRequest, options: OpenOptions): Promise<PhaseResult> {
  const pool = openPool(origin, options.connections);
  const intervalMs = 1000 / options.ratePerSec;
  const total = Math.floor(((options.warmupMs + options.durationMs) * options.ratePerSec) / 1000);
  const start = performance.now();
  const measureFrom = start + options.warmupMs;
  const counts = new WindowCounts();
  let issued = 0;
  let outstanding = 0;
  try {
    while (issued < total) {
      const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
      for (; issued < due; issued++) {
        const intendedAt = start + issued * intervalMs;
        const measured = intendedAt >= measureFrom;
        if (outstanding >= options.maxOutstanding) {
          if (measured) counts.skipped++;
          continue;
        }
        outstanding++;
        void sendOnce(pool, next(), options).then((outcome) => {
          outstanding--;
          counts.answeredInPhase++;
          if (measured) counts.add(outcome, performance.now() - intendedAt);
        });
      }
      await sleep(1);
    }
    // Every request has its own timeout, so this wait is bounded by `requestTimeoutMs`.
    while (outstanding > 0) await sleep(5);
  } finally {
    await pool.close();
  }
  return {
    model: 'open',
    connections: options.connections,
    offeredPerSec: options.ratePerSec,
    measuredMs: options.durationMs,
    okPerSec: Math.round((counts.ok * 1000) / options.durationMs),
    ok: counts.ok,
    errors: counts.errors,
    skipped: counts.skipped,
    latency: counts.latency.summary(),
    answeredInPhase: counts.answeredInPhase,
  };
}
