import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ConfigError } from './config.js';
import { serviceNameOf } from './telemetry.js';

/**
 * The wish-acceptance objective's answers as slo/wish-acceptance-availability.yaml counts them (a
 * unit test holds these against the file's queries): of POST /api/wishes, 202 and the deliberate
 * refusals (429, and 503 with Retry-After: a shed) are good; the client's own mistakes are left out
 * of the total; anything else spends the budget.
 */
export const WISH_ACCEPTANCE = {
  good: [202, 429, 503],
  notCounted: [400, 401, 413, 415, 422],
} as const;

/** The metric names, in the namespace given; the CDK stack's burn-rate alarms read the same names. */
export const WISH_ACCEPTANCE_METRICS = { good: 'WishAnswersGood', total: 'WishAnswersTotal' } as const;

/** The service dimension Powertools adds: the alarms must name it to find the metrics. */
export const WISH_ACCEPTANCE_SERVICE = serviceNameOf('frontend');

/** How often the counts are written: CloudWatch's finest standard resolution, one line per task per minute. */
export const FLUSH_INTERVAL_MS = 60_000;

export type WishAnswerKind = 'good' | 'bad' | 'not-counted';

export function classifyWishAnswer(status: number, hasRetryAfter: boolean): WishAnswerKind {
  if ((WISH_ACCEPTANCE.notCounted as readonly number[]).includes(status)) return 'not-counted';
  // A 503 without Retry-After is not a shed: nothing told the client when to come back.
  if (status === 503 && !hasRetryAfter) return 'bad';
  return (WISH_ACCEPTANCE.good as readonly number[]).includes(status) ? 'good' : 'bad';
}

/**
 * Counts answers and writes them as one CloudWatch Embedded Metric Format line per interval (stdout:
 * on ECS the awslogs driver carries it to CloudWatch Logs, which turns it into the two metrics). One
 * line a minute, not one per request: a burst of thousands of wishes a second stays one log event a
 * minute per task. Nothing is written for a minute without answers (the alarms read missing as 0).
 */
export class WishAcceptanceEmf {
  private good = 0;
  private total = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly metrics: Metrics,
    intervalMs = FLUSH_INTERVAL_MS,
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    // A pending flush never keeps the process alive; shutdown calls stop(), which flushes.
    this.timer.unref();
  }

  record(status: number, hasRetryAfter: boolean): void {
    const kind = classifyWishAnswer(status, hasRetryAfter);
    if (kind === 'not-counted') return;
    this.total += 1;
    if (kind === 'good') this.good += 1;
  }

  flush(): void {
    if (this.total === 0) return;
    this.metrics.addMetric(WISH_ACCEPTANCE_METRICS.good, MetricUnit.Count, this.good);
    this.metrics.addMetric(WISH_ACCEPTANCE_METRICS.total, MetricUnit.Count, this.total);
    this.good = 0;
    this.total = 0;
    this.metrics.publishStoredMetrics();
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }
}

/**
 * From `EXODUS_EMF_NAMESPACE`: the counts in that CloudWatch namespace, or undefined (not set: nothing
 * written, as off AWS). A namespace CloudWatch would refuse fails the start with one line.
 */
export function wishAcceptanceEmfFrom(env: NodeJS.ProcessEnv): WishAcceptanceEmf | undefined {
  const namespace = env['EXODUS_EMF_NAMESPACE'];
  if (namespace === undefined || namespace === '') return undefined;
  // CloudWatch: 1–255 characters of letters, digits and . - _ / # : (no leading colon; "AWS/" is Amazon's).
  if (!/^[A-Za-z0-9.\-_/#][A-Za-z0-9.\-_/#:]{0,254}$/.test(namespace) || namespace.startsWith('AWS/')) {
    throw new ConfigError(`EXODUS_EMF_NAMESPACE is not a CloudWatch namespace: "${namespace}"`);
  }
  return new WishAcceptanceEmf(new Metrics({ namespace, serviceName: WISH_ACCEPTANCE_SERVICE }));
}
