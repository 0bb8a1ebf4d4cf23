import { metrics, type Meter, type MeterProvider } from '@opentelemetry/api';

/**
 * The meter every Exodus instrument is made from. The OpenTelemetry metrics API has no proxy: an
 * instrument made before a MeterProvider is registered stays a no-op, so services make theirs when
 * they are built, after `startTelemetry` registered the provider.
 */
export function meter(): Meter {
  return metrics.getMeter('exodus');
}

/**
 * Instruments shared by code that has no start-up of its own (produce, the consume loop): made on
 * first use, and made again if the registered MeterProvider changed, so none made too early stays
 * a no-op.
 */
export function lazyInstruments<T>(make: (meter: Meter) => T): () => T {
  let made: { provider: MeterProvider; instruments: T } | undefined;
  return () => {
    const provider = metrics.getMeterProvider();
    if (made?.provider !== provider) made = { provider, instruments: make(meter()) };
    return made.instruments;
  };
}
