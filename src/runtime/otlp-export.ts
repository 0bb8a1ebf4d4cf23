import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type * as LogsJson from '@opentelemetry/exporter-logs-otlp-http';
import type * as LogsProto from '@opentelemetry/exporter-logs-otlp-proto';
import type * as MetricsJson from '@opentelemetry/exporter-metrics-otlp-http';
import type * as MetricsProto from '@opentelemetry/exporter-metrics-otlp-proto';
import type * as TracesJson from '@opentelemetry/exporter-trace-otlp-http';
import type * as TracesProto from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchLogRecordProcessor, type LogRecordExporter, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createRequire } from 'node:module';
import { ConfigError } from './config.js';
import type { MetricPush } from './metric-push.js';
import { lazyInstruments } from './metrics.js';

/** The OTLP protocols this build speaks (`OTEL_EXPORTER_OTLP_PROTOCOL`); gRPC is left out to keep processes small. */
const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
type Protocol = (typeof PROTOCOLS)[number];
type Signal = 'TRACES' | 'METRICS' | 'LOGS';

/**
 * Each exporter is loaded when a signal asks for it, synchronously (providers are built at start):
 * a process loads the one protocol it speaks, and one that exports nothing loads none of them.
 */
const load = createRequire(import.meta.url);
const EXPORTERS = {
  TRACES: {
    'http/json': () => new (load('@opentelemetry/exporter-trace-otlp-http') as typeof TracesJson).OTLPTraceExporter(),
    'http/protobuf': () =>
      new (load('@opentelemetry/exporter-trace-otlp-proto') as typeof TracesProto).OTLPTraceExporter(),
  },
  METRICS: {
    'http/json': () =>
      new (load('@opentelemetry/exporter-metrics-otlp-http') as typeof MetricsJson).OTLPMetricExporter(),
    'http/protobuf': () =>
      new (load('@opentelemetry/exporter-metrics-otlp-proto') as typeof MetricsProto).OTLPMetricExporter(),
  },
  LOGS: {
    'http/json': () => new (load('@opentelemetry/exporter-logs-otlp-http') as typeof LogsJson).OTLPLogExporter(),
    'http/protobuf': () => new (load('@opentelemetry/exporter-logs-otlp-proto') as typeof LogsProto).OTLPLogExporter(),
  },
} as const;

/** What `otlpExport` adds to a process's providers; every list is empty (and no push) when OTLP is not configured. */
export interface OtlpExport {
  readonly spanProcessors: SpanProcessor[];
  /** Metrics go out through the process's one reader (see metric-push.ts). */
  readonly metricPush: MetricPush | undefined;
  readonly logRecordProcessors: LogRecordProcessor[];
}

/**
 * OTLP export of traces, metrics and logs, configured by the standard variables only, so one build
 * reports to a Collector, Grafana, Honeycomb or New Relic (`OTEL_EXPORTER_OTLP_HEADERS=api-key=…`):
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or the per-signal `…_TRACES_ENDPOINT`, `…_METRICS_ENDPOINT`,
 * `…_LOGS_ENDPOINT`) turns a signal on; `…_PROTOCOL`, `…_HEADERS` and `OTEL_BSP_*` are read by the
 * SDK, `OTEL_METRIC_EXPORT_INTERVAL`, `…_TIMEOUT` and `OTEL_BLRP_*` here, and Exodus's own
 * `EXODUS_METRIC_EXPORT_HEARTBEAT_MS` (unset: every collection is sent; see metric-push.ts). Spans and log records are
 * batched off the request's path in bounded queues (2,048 by default, batches of 512: well under New
 * Relic's 1 MB); when the backend is away or a queue is full, they are dropped, never waited for, and
 * exports that failed are counted in `exodus.telemetry.export.failures` by signal.
 */
export function otlpExport(env: NodeJS.ProcessEnv = process.env): OtlpExport {
  const endpoint = (signal: Signal): boolean =>
    Boolean(env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`] ?? env['OTEL_EXPORTER_OTLP_ENDPOINT']);
  const protocol = (signal: Signal): Protocol => {
    const variable =
      env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] === undefined
        ? 'OTEL_EXPORTER_OTLP_PROTOCOL'
        : `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`;
    const value = env[variable] ?? 'http/protobuf';
    if (!(PROTOCOLS as readonly string[]).includes(value))
      throw new ConfigError(`${variable} must be one of ${PROTOCOLS.join(', ')}, got "${value}"`);
    return value as Protocol;
  };
  const spanProcessors: SpanProcessor[] = [];
  if (endpoint('TRACES')) {
    const exporter = EXPORTERS.TRACES[protocol('TRACES')]();
    spanProcessors.push(new BatchSpanProcessor(countingFailures(exporter, 'traces')));
  }
  let metricPush: MetricPush | undefined;
  if (endpoint('METRICS')) {
    const exporter = EXPORTERS.METRICS[protocol('METRICS')]();
    // As the specification says (the SDK's NodeSDK would read them): interval 60 s, timeout 30 s.
    const intervalMs = positiveInt(env, 'OTEL_METRIC_EXPORT_INTERVAL', 60_000);
    const timeoutMs = Math.min(intervalMs, positiveInt(env, 'OTEL_METRIC_EXPORT_TIMEOUT', 30_000));
    const heartbeatMs = positiveInt(env, 'EXODUS_METRIC_EXPORT_HEARTBEAT_MS', undefined);
    metricPush = { exporter: countingFailures(exporter, 'metrics'), intervalMs, timeoutMs, heartbeatMs };
  }
  const logRecordProcessors: LogRecordProcessor[] = [];
  if (endpoint('LOGS')) {
    const exporter = EXPORTERS.LOGS[protocol('LOGS')]();
    // The logs SDK reads none of the OTEL_BLRP_* variables itself; the defaults are the specification's.
    const scheduledDelayMillis = positiveInt(env, 'OTEL_BLRP_SCHEDULE_DELAY', 1000);
    const exportTimeoutMillis = positiveInt(env, 'OTEL_BLRP_EXPORT_TIMEOUT', 30_000);
    const maxQueueSize = positiveInt(env, 'OTEL_BLRP_MAX_QUEUE_SIZE', 2048);
    const maxExportBatchSize = Math.min(maxQueueSize, positiveInt(env, 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE', 512));
    logRecordProcessors.push(
      new BatchLogRecordProcessor({
        exporter: countingFailures(exporter, 'logs'),
        scheduledDelayMillis,
        exportTimeoutMillis,
        maxQueueSize,
        maxExportBatchSize,
      }),
    );
  }
  return { spanProcessors, metricPush, logRecordProcessors };
}

function positiveInt<Fallback extends number | undefined>(
  env: NodeJS.ProcessEnv,
  variable: string,
  fallback: Fallback,
): number | Fallback {
  const value = env[variable];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${variable} must be a positive integer, got "${value}"`);
  return n;
}

const exportFailures = lazyInstruments((exodus) =>
  exodus.createCounter('exodus.telemetry.export.failures', {
    description: 'OTLP exports that failed (their data is dropped)',
    unit: '{export}',
  }),
);

/** `exporter`, with each failed export counted (the SDK drops what it could not send). */
function countingFailures<E extends SpanExporter | MetricPush['exporter'] | LogRecordExporter>(
  exporter: E,
  signal: 'traces' | 'metrics' | 'logs',
): E {
  const original = exporter.export.bind(exporter) as (items: unknown, done: (result: ExportResult) => void) => void;
  (exporter as { export: typeof original }).export = (items, done) =>
    original(items, (result) => {
      if (result.code === ExportResultCode.FAILED) exportFailures().add(1, { 'exodus.telemetry.signal': signal });
      done(result);
    });
  return exporter;
}
