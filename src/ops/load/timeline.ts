import { LatencyRecorder } from './latency.js';
import type { RateProfile } from './profile.js';

/** A run second by second, for the report's charts and the live progress line. Index i is [i s, i+1 s). */
export interface TimelineData {
  readonly seconds: number;
  /** Arrivals due in each second (the rate asked). */
  readonly asked: readonly number[];
  readonly sent: readonly number[];
  readonly skipped: readonly number[];
  /** Answers in each second by status or error code. */
  readonly statuses: Readonly<Record<string, readonly number[]>>;
  /** Of the POSTs answered 202 in each second, from when each was due; null where none. */
  readonly acceptedP50Ms: readonly (number | null)[];
  readonly acceptedP99Ms: readonly (number | null)[];
  /** The backlog sampled at the end of each second; null where unknown. */
  readonly queueDepth: readonly (number | null)[];
  /** Phase boundaries, ms from the start. */
  readonly phases: readonly { readonly name: string; readonly startMs: number; readonly durationMs: number }[];
}

export interface ClosedSecond {
  readonly asked: number;
  readonly sent: number;
  readonly acceptedP50Ms: number;
  readonly acceptedP99Ms: number;
  readonly statuses: Readonly<Record<string, number>>;
}

export class Timeline {
  private readonly asked: number[] = [];
  private readonly sentCounts: number[] = [];
  private readonly skippedCounts: number[] = [];
  private readonly statuses = new Map<string, number[]>();
  private readonly p50: (number | null)[] = [];
  private readonly p99: (number | null)[] = [];
  private readonly depth: (number | null)[] = [];
  /** Latencies of the seconds not yet closed. */
  private readonly open = new Map<number, LatencyRecorder>();
  private closedUpTo = 0;

  constructor(private readonly profile: RateProfile) {}

  arrived(dueAtMs: number): void {
    bump(this.asked, dueAtMs);
  }

  skipped(dueAtMs: number): void {
    bump(this.skippedCounts, dueAtMs);
  }

  sent(atMs: number): void {
    bump(this.sentCounts, atMs);
  }

  answered(atMs: number, key: string): void {
    let counts = this.statuses.get(key);
    if (counts === undefined) this.statuses.set(key, (counts = []));
    bump(counts, atMs);
  }

  accepted(atMs: number, latencyMs: number): void {
    const second = Math.floor(atMs / 1000);
    let recorder = this.open.get(second);
    if (recorder === undefined) this.open.set(second, (recorder = new LatencyRecorder()));
    recorder.record(latencyMs);
  }

  /** Closes every second that ended by `elapsedMs`, giving the last the queue depth; returns the last closed. */
  closeSecond(elapsedMs: number, queueDepth: number | undefined): ClosedSecond {
    const upTo = Math.floor(elapsedMs / 1000);
    for (let second = this.closedUpTo; second < upTo; second++) {
      const summary = this.open.get(second)?.summary();
      this.open.delete(second);
      this.p50[second] = summary === undefined || summary.count === 0 ? null : summary.p50Ms;
      this.p99[second] = summary === undefined || summary.count === 0 ? null : summary.p99Ms;
      this.depth[second] = second === upTo - 1 && queueDepth !== undefined ? queueDepth : null;
    }
    this.closedUpTo = Math.max(this.closedUpTo, upTo);
    const last = Math.max(0, upTo - 1);
    return {
      asked: this.asked[last] ?? 0,
      sent: this.sentCounts[last] ?? 0,
      acceptedP50Ms: this.p50[last] ?? 0,
      acceptedP99Ms: this.p99[last] ?? 0,
      statuses: Object.fromEntries(
        [...this.statuses].flatMap(([key, counts]): [string, number][] =>
          (counts[last] ?? 0) === 0 ? [] : [[key, counts[last] ?? 0]],
        ),
      ),
    };
  }

  data(): TimelineData {
    const seconds = Math.max(
      this.closedUpTo,
      this.asked.length,
      this.sentCounts.length,
      ...[...this.statuses.values()].map((c) => c.length),
    );
    this.closeSecond(seconds * 1000, undefined);
    const full = <T>(values: readonly (T | undefined)[], fill: T): T[] =>
      Array.from({ length: seconds }, (_, i) => values[i] ?? fill);
    return {
      seconds,
      asked: full(this.asked, 0),
      sent: full(this.sentCounts, 0),
      skipped: full(this.skippedCounts, 0),
      statuses: Object.fromEntries(
        [...this.statuses].sort(([a], [b]) => a.localeCompare(b)).map(([key, counts]) => [key, full(counts, 0)]),
      ),
      acceptedP50Ms: full(this.p50, null),
      acceptedP99Ms: full(this.p99, null),
      queueDepth: full(this.depth, null),
      phases: this.profile.segments.map(({ name, startMs, durationMs }) => ({ name, startMs, durationMs })),
    };
  }
}

function bump(counts: number[], atMs: number): void {
  const second = Math.max(0, Math.floor(atMs / 1000));
  while (counts.length <= second) counts.push(0);
  counts[second] = (counts[second] ?? 0) + 1;
}
