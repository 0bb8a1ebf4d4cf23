import { metrics, type Meter } from '@opentelemetry/api';

/**
 * The meter every Exodus instrument is made from. The OpenTelemetry metrics API has no proxy: an
 * instrument made before a MeterProvider is registered stays a no-op, so services make theirs when
 * they are built, after start-up registered the provider.
 */
export function meter(): Meter {
  return metrics.getMeter('exodus');
}
