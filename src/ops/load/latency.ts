import { build, type Histogram } from 'hdr-histogram-js';

/** Latency percentiles in milliseconds (recorded in µs, so sub-millisecond answers keep 3 digits). */
export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** An HDR histogram of microseconds: 1 µs to 120 s at 3 significant digits, constant memory. */
export class LatencyRecorder {
  private readonly histogram: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });

  record(ms: number): void {
    // Clamp instead of throwing: a value past 120 s is a timeout anyway and must not crash the run.
    this.histogram.recordValue(Math.min(120_000_000, Math.max(1, Math.round(ms * 1000))));
  }

  summary(): LatencySummary {
    const h = this.histogram;
    const ms = (us: number): number => Math.round(us) / 1000;
    return {
      count: h.totalCount,
      p50Ms: Math.min(ms(h.getValueAtPercentile(50)), ms(h.maxValue)),
      p90Ms: Math.min(ms(h.getValueAtPercentile(90)), ms(h.maxValue)),
      p99Ms: Math.min(ms(h.getValueAtPercentile(99)), ms(h.maxValue)),
      p999Ms: Math.min(ms(h.getValueAtPercentile(99.9)), ms(h.maxValue)),
      maxMs: ms(h.maxValue),
      meanMs: Math.round(h.mean) / 1000,
    };
  }
}
