import type { ExportResult } from '@opentelemetry/core';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';

/** What the Prometheus reader collects (typed from it: the exporters pin their own copy of the metrics SDK). */
type Collected = Awaited<ReturnType<PrometheusExporter['collect']>>['resourceMetrics'];

/** Where and how often a process pushes its metrics by OTLP (see otlp-export.ts). */
export interface MetricPush {
  readonly exporter: {
    export(metrics: Collected, done: (result: ExportResult) => void): void;
    shutdown(): Promise<void>;
  };
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/**
 * Pushes what `reader` (the Prometheus scrape's reader) collects to `push.exporter` every interval.
 * One reader serves both outlets because each MetricReader makes the SDK record every measurement
 * once more: a second reader (the SDK's PeriodicExportingMetricReader) cost the frontend ~25 µs per
 * wish in attribute hashing alone, measured by CPU profile under the drain. The data is cumulative,
 * as the scrape's is. A round that finds the previous one still running is skipped; a failed export
 * is counted by the exporter's wrapper and dropped.
 */
export function pushMetrics(
  reader: PrometheusExporter,
  push: MetricPush,
): { pushNow(): Promise<void>; shutdown(): Promise<void> } {
  let running: Promise<void> | undefined;
  const once = (): Promise<void> => {
    running ??= (async () => {
      try {
        const { resourceMetrics } = await reader.collect({ timeoutMillis: push.timeoutMs });
        await new Promise<void>((resolve) => push.exporter.export(resourceMetrics, () => resolve()));
      } catch {
        // A collection that failed or timed out: this round is dropped, the next one carries the totals.
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void once(), push.intervalMs);
  timer.unref();
  return {
    pushNow: once,
    shutdown: async () => {
      clearInterval(timer);
      await running;
      await once(); // the last figures before the process goes
      await push.exporter.shutdown();
    },
  };
}
