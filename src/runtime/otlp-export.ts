import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { PeriodicExportingMetricReader, type MetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ConfigError } from './config.js';
import { lazyInstruments } from './metrics.js';

/** The OTLP protocols this build speaks (`OTEL_EXPORTER_OTLP_PROTOCOL`); gRPC is left out to keep processes small. */
const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
type Protocol = (typeof PROTOCOLS)[number];

/**
 * OTLP export of traces and metrics, configured by the standard variables only, so one build
 * reports to a Collector, Grafana, Honeycomb or New Relic (`OTEL_EXPORTER_OTLP_HEADERS=api-key=…`):
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or the per-signal `…_TRACES_ENDPOINT`, `…_METRICS_ENDPOINT`) turns
 * a signal on; `…_PROTOCOL`, `…_HEADERS` and `OTEL_BSP_*` are read by the SDK,
 * `OTEL_METRIC_EXPORT_INTERVAL` and `…_TIMEOUT` here. Spans are batched off the request's path in a
 * bounded queue (2,048 by default, batches of 512 spans: well under New Relic's 1 MB); when the backend is away or the queue is full, spans are
 * dropped, never waited for, and exports that failed are counted in `exodus.telemetry.export.failures`.
 */
export function otlpExport(env: NodeJS.ProcessEnv = process.env): { spanProcessors: SpanProcessor[]; metricReaders: MetricReader[] } {
  const endpoint = (signal: 'TRACES' | 'METRICS'): boolean => Boolean(env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`] ?? env['OTEL_EXPORTER_OTLP_ENDPOINT']);
  const protocol = (signal: 'TRACES' | 'METRICS'): Protocol => {
    const variable = env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] === undefined ? 'OTEL_EXPORTER_OTLP_PROTOCOL' : `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`;
    const value = env[variable] ?? 'http/protobuf';
    if (!(PROTOCOLS as readonly string[]).includes(value)) throw new ConfigError(`${variable} must be one of ${PROTOCOLS.join(', ')}, got "${value}"`);
    return value as Protocol;
  };
  const spanProcessors: SpanProcessor[] = [];
  if (endpoint('TRACES')) {
    const exporter = protocol('TRACES') === 'http/json' ? new OTLPTraceExporterJson() : new OTLPTraceExporterProto();
    spanProcessors.push(new BatchSpanProcessor(countingFailures(exporter, 'traces')));
  }
  const metricReaders: MetricReader[] = [];
  if (endpoint('METRICS')) {
    const exporter = protocol('METRICS') === 'http/json' ? new OTLPMetricExporterJson() : new OTLPMetricExporterProto();
    // The reader itself does not read these two (the SDK's NodeSDK would): interval 60 s, timeout 30 s.
    const intervalMs = positiveInt(env, 'OTEL_METRIC_EXPORT_INTERVAL', 60_000);
    const timeoutMs = Math.min(intervalMs, positiveInt(env, 'OTEL_METRIC_EXPORT_TIMEOUT', 30_000));
    metricReaders.push(new PeriodicExportingMetricReader({ exporter: countingFailures(exporter, 'metrics'), exportIntervalMillis: intervalMs, exportTimeoutMillis: timeoutMs }));
  }
  return { spanProcessors, metricReaders };
}

function positiveInt(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const value = env[variable];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${variable} must be a positive integer (ms), got "${value}"`);
  return n;
}

const exportFailures = lazyInstruments((exodus) =>
  exodus.createCounter('exodus.telemetry.export.failures', { description: 'OTLP exports that failed (their data is dropped)', unit: '{export}' }),
);

/** `exporter`, with each failed export counted (the SDK drops what it could not send). */
function countingFailures<E extends SpanExporter | PushMetricExporter>(exporter: E, signal: 'traces' | 'metrics'): E {
  const original = exporter.export.bind(exporter) as (items: unknown, done: (result: ExportResult) => void) => void;
  (exporter as { export: typeof original }).export = (items, done) =>
    original(items, (result) => {
      if (result.code === ExportResultCode.FAILED) exportFailures().add(1, { 'exodus.telemetry.signal': signal });
      done(result);
    });
  return exporter;
}
