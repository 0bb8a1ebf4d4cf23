import { context, metrics, propagation, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { AggregationType, MeterProvider, type MetricReader, type ViewOptions } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { DestinationStream } from 'pino';
import { stdoutAndRecords } from './log-records.js';
import { recordLoopDelay } from './loop-delay.js';
import { pushMetrics } from './metric-push.js';
import { otlpExport } from './otlp-export.js';
import { packageVersion } from './package-root.js';
import { exodusSampler } from './rate-limited-sampler.js';
import { ATTRIBUTE, METRIC } from './telemetry-names.js';

/** One process's telemetry: traces, metrics and logs, and what its HTTP server needs to be scraped. */
export interface Telemetry {
  /** Answers a Prometheus scrape (text exposition format) on a plain `node:http` response. */
  readonly serveMetrics: (request: IncomingMessage, response: ServerResponse) => void;
  /**
   * Where the process's logger writes (`createLogger(…, telemetry.logDestination)`): stdout and, with
   * OTLP logs configured, log records too; undefined when they are not, so pino writes to stdout as
   * it always does and nothing else is paid.
   */
  readonly logDestination: DestinationStream | undefined;
  /**
   * Sends what is buffered (spans, log records, metrics) now, and keeps going: for a process that is
   * frozen between pieces of work (a Lambda function after each invocation), where timers do not run.
   */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** How long a stopping process waits for its last telemetry to be sent, in ms. */
const SHUTDOWN_FLUSH_MS = 2000;

/**
 * The runtime instrumentation times the event loop with Node's monitor, a timer that wakes the
 * process every this many ms: the longest interval Node takes (about 24.8 days), so it never does.
 * Its delay gauges are dropped (RUNTIME_DELAY_DROPPED); loop-delay.ts records the same names, at
 * two wake-ups a second.
 */
const RUNTIME_DELAY_TIMER_OFF_MS = 2 ** 31 - 1;
const RUNTIME_DELAY_DROPPED: ViewOptions = {
  meterName: '@opentelemetry/instrumentation-runtime-node',
  instrumentName: 'nodejs.eventloop.delay.*',
  aggregation: { type: AggregationType.DROP },
};

/** The `service.name` of an Exodus process running `service` (`worker` → `exodus-worker`). */
export const serviceNameOf = (service: string): string => `exodus-${service}`;

/**
 * Tracing and metrics are on in every process from the start: real trace ids for logs and for the
 * `traceparent` that every message carries, and every instrument recorded from the first request.
 * Metrics are read by Prometheus scrapes of the process's `/metrics` (pulled, so nothing is sent
 * while nobody asks); with `OTEL_EXPORTER_OTLP_ENDPOINT` set, traces and metrics are also pushed by
 * OTLP, and log lines become log records (see otlp-export.ts). Every signal's resource says which
 * process it came from and what it runs: `service.name`, `process.pid`, `host.name`, `service.version`
 * (the package's), and whatever `OTEL_RESOURCE_ATTRIBUTES` adds or overrides: `service.instance.id`
 * (`exodus up` gives it), on Kubernetes `k8s.pod.name` and `k8s.node.name` (from the downward API),
 * and a `service.version` of its own (a canary run as another version). Tests add their own span processors and
 * metric readers. The Node runtime (event-loop delay, heap, GC) is measured by OpenTelemetry's own
 * instrumentation; resident memory and CPU time (OpenTelemetry's `process.*` names) here.
 */
export function startTelemetry(
  serviceName: string,
  options: {
    spanProcessors?: SpanProcessor[];
    metricReaders?: MetricReader[];
    tracesPerSecond?: number;
    otlp?: boolean;
    /** Where log lines go besides the records; default stdout (a command with its own output gives a file). */
    logLines?: DestinationStream;
  } = {},
): Telemetry {
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over what is given here, as the spec says.
  const resource = resourceFromAttributes({
    'service.name': serviceName,
    ...versionOfThisPackage(),
    'host.name': hostname(),
    'process.pid': process.pid,
  }).merge(detectResources({ detectors: [envDetector] }));
  // `otlp: false`: a process that must not export (the console, which would send to itself) still serves /metrics.
  const otlp = otlpExport(options.otlp === false ? {} : process.env);
  // OTEL_TRACES_SAMPLER, when set, chooses as the specification says (the SDK reads it); otherwise new traces are rate-limited.
  const limit = options.tracesPerSecond ?? 0;
  const sampler =
    (process.env['OTEL_TRACES_SAMPLER'] ?? '') === '' && limit > 0 ? { sampler: exodusSampler(limit) } : {};
  const tracerProvider = new NodeTracerProvider({
    resource,
    ...sampler,
    spanProcessors: [...(options.spanProcessors ?? []), ...otlp.spanProcessors],
  });
  tracerProvider.register({ propagator: new W3CTraceContextPropagator() });

  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({
    resource,
    readers: [prometheus, ...(options.metricReaders ?? [])],
    views: [RUNTIME_DELAY_DROPPED],
  });
  const metricPush = otlp.metricPush === undefined ? undefined : pushMetrics(prometheus, otlp.metricPush);
  metrics.setGlobalMeterProvider(meterProvider);
  const runtime = new RuntimeNodeInstrumentation({ monitoringPrecision: RUNTIME_DELAY_TIMER_OFF_MS });
  runtime.setMeterProvider(meterProvider);
  const meter = meterProvider.getMeter('exodus');
  const stopLoopDelay = recordLoopDelay(meter);
  meter
    .createObservableGauge(METRIC.memory, { description: 'Resident set size of the process', unit: 'By' })
    .addCallback((result) => result.observe(process.memoryUsage.rss()));
  // What right-sizing reads: cores used = this counter's growth per second of wall time.
  meter
    .createObservableCounter(METRIC.cpuTime, { description: 'CPU time the process has used, by mode', unit: 's' })
    .addCallback((result) => {
      const { user, system } = process.cpuUsage();
      result.observe(user / 1e6, { 'cpu.mode': 'user' });
      result.observe(system / 1e6, { 'cpu.mode': 'system' });
    });

  // Only with OTLP logs on: otherwise pino writes to stdout alone, as it always did.
  const loggerProvider =
    otlp.logRecordProcessors.length === 0
      ? undefined
      : new LoggerProvider({ resource, processors: otlp.logRecordProcessors });

  return {
    serveMetrics: (request, response) => prometheus.getMetricsRequestHandler(request, response),
    logDestination:
      loggerProvider === undefined
        ? options.logLines
        : stdoutAndRecords(loggerProvider.getLogger('exodus'), options.logLines),
    flush: async () => {
      const flushed = Promise.all([tracerProvider.forceFlush(), loggerProvider?.forceFlush(), metricPush?.pushNow()]);
      await Promise.race([flushed, delay(SHUTDOWN_FLUSH_MS, undefined, { ref: false })]);
    },
    shutdown: async () => {
      runtime.disable();
      stopLoopDelay();
      // The last metrics are pushed before the reader they come from is shut down.
      const metricsDown = async (): Promise<void> => {
        await metricPush?.shutdown();
        await meterProvider.shutdown();
      };
      const flushed = Promise.all([tracerProvider.shutdown(), metricsDown(), loggerProvider?.shutdown()]);
      // A backend that is down would hold the exit through the exporters' retries: what is not sent by then is dropped.
      await Promise.race([flushed, delay(SHUTDOWN_FLUSH_MS, undefined, { ref: false })]);
    },
  };
}

/**
 * Marks a span (default: the active one) as a wish's, so the wish's journey is found by its id or
 * its evacuee's in any trace backend. Ids only: a wish's text never goes on a span.
 */
export function tagWishSpan(
  wish: { readonly id: string; readonly evacueeId: string },
  span: Span | undefined = trace.getActiveSpan(),
): void {
  span?.setAttributes({ [ATTRIBUTE.wishId]: wish.id, [ATTRIBUTE.evacueeId]: wish.evacueeId });
}

export function tracer(): Tracer {
  return trace.getTracer('exodus');
}

/** The W3C trace context of the active span, for an outgoing message. */
export function currentTraceContext(): { traceparent: string; tracestate?: string } {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return {
    traceparent: carrier['traceparent'] ?? '',
    ...(carrier['tracestate'] === undefined ? {} : { tracestate: carrier['tracestate'] }),
  };
}

/** The context a message was produced in, so its processing continues the producer's trace. */
export function contextFrom(carrier: { traceparent?: string; tracestate?: string }): Context {
  const headers: Record<string, string> = {};
  if (carrier.traceparent) headers['traceparent'] = carrier.traceparent;
  if (carrier.tracestate) headers['tracestate'] = carrier.tracestate;
  return propagation.extract(context.active(), headers);
}

/**
 * `service.version`: this package's version. A bundle that carries no package.json (the Lambda
 * bundle, `npm run aws:bundle`) has none to read: it says none, and a deploy may give one through
 * `OTEL_RESOURCE_ATTRIBUTES`.
 */
function versionOfThisPackage(): { 'service.version'?: string } {
  try {
    return { 'service.version': packageVersion() };
  } catch {
    return {};
  }
}
