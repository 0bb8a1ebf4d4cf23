import type { LoadResult } from './run.js';
import { AUDIT_METRICS, THRESHOLD_METRICS, type Threshold, type ThresholdMetric } from './scenario.js';

/** What the audit after a load found, for the thresholds that need it. */
export interface AuditFigures {
  readonly lost: number;
  /** Seconds after the load until every accepted wish was found; undefined: not within the wait. */
  readonly waitS: number | undefined;
}

export interface Verdict {
  readonly metric: ThresholdMetric;
  readonly meaning: string;
  readonly bound: string;
  /** undefined: could not be measured (an audit metric without engines): a failure, never a pass. */
  readonly value: number | undefined;
  readonly pass: boolean;
}

/** Each threshold against the run (and the audit, when there was one); unmeasurable counts as failed. */
export function judge(
  thresholds: readonly Threshold[],
  result: LoadResult,
  audit: AuditFigures | undefined,
): Verdict[] {
  return thresholds.map((threshold) => {
    const value = measure(threshold.metric, result, audit);
    const pass =
      value !== undefined &&
      (threshold.max === undefined || value <= threshold.max) &&
      (threshold.min === undefined || value >= threshold.min);
    const bound = [
      threshold.min === undefined ? '' : `≥ ${threshold.min}`,
      threshold.max === undefined ? '' : `≤ ${threshold.max}`,
    ]
      .filter((b) => b !== '')
      .join(' and ');
    return { metric: threshold.metric, meaning: THRESHOLD_METRICS[threshold.metric], bound, value, pass };
  });
}

/** True when some threshold can only be measured by an audit of the engines. */
export function needsAudit(thresholds: readonly Threshold[]): boolean {
  return thresholds.some((threshold) => AUDIT_METRICS.includes(threshold.metric));
}

function measure(metric: ThresholdMetric, result: LoadResult, audit: AuditFigures | undefined): number | undefined {
  const post = result.byAction.post.latency;
  switch (metric) {
    case 'post.accepted.p50_ms':
      return post.p50Ms;
    case 'post.accepted.p99_ms':
      return post.p99Ms;
    case 'post.accepted.max_ms':
      return post.maxMs;
    case 'reads.p99_ms':
      return result.readLatency.p99Ms;
    case 'accepted':
      return result.accepted;
    case 'errors':
      return result.errors;
    case 'error_ratio':
      return result.answered === 0 ? 0 : result.errors / result.answered;
    case 'unexpected_5xx':
      return result.unexpected5xx;
    case 'shed_ratio':
      return result.answered === 0 ? 0 : result.shed / result.answered;
    case 'shed_without_retry_after':
      return result.shedWithoutRetryAfter;
    case 'skipped':
      return result.skipped;
    case 'gave_up':
      return result.gaveUp;
    case 'lost':
      return audit?.lost;
    case 'audit_wait_s':
      return audit?.waitS;
  }
}
