import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { workFingerprint } from './metric-fingerprint.js';

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
  /**
   * Set: a collection that tells nothing new since the last one sent (see metric-fingerprint.ts) is
   * not sent, but for the first of each `heartbeatMs` of wall time (counted from the epoch, as the
   * console's chart steps are), so a process at rest is still heard from once a step. Unset: every
   * collection is sent, as the specification's periodic reader does.
   */
  readonly heartbeatMs?: number | undefined;
}

/**
 * Pushes what `reader` (the Prometheus scrape's reader) collects to `push.exporter` every interval.
 * One reader serves both outlets because each MetricReader makes the SDK record every measurement
 * once more: a second reader (the SDK's PeriodicExportingMetricReader) cost the frontend ~25 µs per
 * wish in attribute hashing alone, measured by CPU profile under the drain. The data is cumulative,
 * as the scrape's is, so a round left out loses nothing: the next one sent carries the totals. A
 * round that finds the previous one still running is skipped; a failed export is counted by the
 * exporter's wrapper and dropped, and the next round is sent whatever it holds.
 */
export function pushMetrics(
  reader: PrometheusExporter,
  push: MetricPush,
): { pushNow(): Promise<void>; shutdown(): Promise<void> } {
  const { heartbeatMs } = push;
  /** What the last export that succeeded told, and in which heartbeat step it left. */
  let sent: { fingerprint: string; step: number } | undefined;
  let running: Promise<void> | undefined;
  const round = async (always: boolean): Promise<void> => {
    try {
      const { resourceMetrics } = await reader.collect({ timeoutMillis: push.timeoutMs });
      const step = heartbeatMs === undefined ? 0 : Math.floor(Date.now() / heartbeatMs);
      const fingerprint = heartbeatMs === undefined ? '' : workFingerprint(resourceMetrics);
      const quiet = heartbeatMs !== undefined && sent?.fingerprint === fingerprint && sent.step === step;
      if (quiet && !always) return;
      const result = await new Promise<ExportResult>((resolve) => push.exporter.export(resourceMetrics, resolve));
      sent = result.code === ExportResultCode.SUCCESS ? { fingerprint, step } : undefined;
    } catch {
      // A collection that failed or timed out: this round is dropped, the next one carries the totals.
    }
  };
  const once = (always: boolean): Promise<void> => {
    running ??= round(always).finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => void once(false), push.intervalMs);
  timer.unref();
  /** Sent now whatever it holds (a round under way may have found nothing new, so one more follows it). */
  const sendNow = async (): Promise<void> => {
    await running;
    await once(true);
  };
  return {
    pushNow: sendNow,
    shutdown: async () => {
      clearInterval(timer);
      await sendNow(); // the last figures before the process goes
      await push.exporter.shutdown();
    },
  };
}
