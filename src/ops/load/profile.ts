/**
 * An arrival-rate profile: the phases of a scenario as straight-line segments of rate over time, and
 * the exact time each arrival is due. Open model: arrival i is due at `dueAtMs(i)` whatever happened to
 * the others, and its latency is measured from then, so a server (or generator) that falls behind
 * shows it in the percentiles instead of slowing the clock.
 */

/** A phase as the profile sees it: the rate (arrivals/s) goes linearly from `from` to `to` over `durationMs`. */
export interface Segment {
  readonly name: string;
  readonly kind: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly from: number;
  readonly to: number;
}

export class RateProfile {
  /** Arrivals due before each segment starts. */
  private readonly before: readonly number[];
  readonly totalMs: number;
  /** Every arrival of the whole profile. */
  readonly total: number;

  constructor(readonly segments: readonly Segment[]) {
    const before: number[] = [];
    let count = 0;
    for (const segment of segments) {
      before.push(count);
      count += arrivalsWithin(segment, segment.durationMs);
    }
    this.before = before;
    this.total = Math.floor(count);
    const last = segments.at(-1);
    this.totalMs = last === undefined ? 0 : last.startMs + last.durationMs;
  }

  /** Arrivals due by `ms` after the start (a real number; the ones issued are its floor + 1). */
  countAt(ms: number): number {
    const index = this.segmentIndexAt(ms);
    const segment = this.segments[index];
    if (segment === undefined) return this.total;
    return (this.before[index] ?? 0) + arrivalsWithin(segment, Math.min(segment.durationMs, ms - segment.startMs));
  }

  /** When arrival `i` (0-based) is due, ms after the start: the inverse of `countAt`. */
  dueAtMs(i: number): number {
    let index = 0;
    while (index + 1 < this.segments.length && (this.before[index + 1] ?? Infinity) <= i) index++;
    const segment = this.segments[index];
    if (segment === undefined) return 0;
    const k = i - (this.before[index] ?? 0);
    // Within a segment n(t) = from·t + (to − from)·t²/(2D), t in seconds: solve n(t) = k.
    const d = segment.durationMs / 1000;
    const a = (segment.to - segment.from) / (2 * d);
    const b = segment.from;
    const t = Math.abs(a) < 1e-12 ? (b === 0 ? 0 : k / b) : (-b + Math.sqrt(b * b + 4 * a * k)) / (2 * a);
    return segment.startMs + Math.min(segment.durationMs, t * 1000);
  }

  /** The segment running at `ms` (the last one past the end). */
  segmentAt(ms: number): Segment | undefined {
    return this.segments[Math.min(this.segmentIndexAt(ms), this.segments.length - 1)];
  }

  /** The rate asked at `ms`, arrivals/s. */
  rateAt(ms: number): number {
    const segment = this.segmentAt(ms);
    if (segment === undefined || ms > this.totalMs) return 0;
    const f = Math.min(1, Math.max(0, (ms - segment.startMs) / segment.durationMs));
    return segment.from + (segment.to - segment.from) * f;
  }

  private segmentIndexAt(ms: number): number {
    let index = 0;
    while (
      index < this.segments.length &&
      ms >= (this.segments[index]?.startMs ?? 0) + (this.segments[index]?.durationMs ?? 0)
    )
      index++;
    return index;
  }
}

function arrivalsWithin(segment: Segment, ms: number): number {
  const t = Math.max(0, ms) / 1000;
  const d = segment.durationMs / 1000;
  return segment.from * t + ((segment.to - segment.from) * t * t) / (2 * d);
}
