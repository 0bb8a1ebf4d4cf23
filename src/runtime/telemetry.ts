import { context, metrics, propagation, trace, type Context, type Tracer } from '@opentelemetry/api';
import { otlpExport } from './otlp-export.js';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type MetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One process's telemetry: traces and metrics, and what its HTTP server needs to be scraped. */
export interface Telemetry {
  /** Answers a Prometheus scrape (text exposition format) on a plain `node:http` response. */
  readonly serveMetrics: (request: IncomingMessage, response: ServerResponse) => void;
  shutdown(): Promise<void>;
}

/**
 * Tracing and metrics are on in every process from the start: real trace ids for logs and for the
 * `traceparent` that every message carries, and every instrument recorded from the first request.
 * Metrics are read by Prometheus scrapes of the process's `/metrics` (pulled, so nothing is sent
 * while nobody asks); with `OTEL_EXPORTER_OTLP_ENDPOINT` set, traces and metrics are also pushed by
 * OTLP (see otlp-export.ts). Tests add their own span processors and metric readers. The Node
 * runtime (event-loop delay, heap, GC) is measured by OpenTelemetry's own instrumentation; resident
 * memory by a gauge here.
 */
export function startTelemetry(serviceName: string, options: { spanProcessors?: SpanProcessor[]; metricReaders?: MetricReader[] } = {}): Telemetry {
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the name given here, as the spec says.
  const resource = resourceFromAttributes({ 'service.name': serviceName }).merge(detectResources({ detectors: [envDetector] }));
  const otlp = otlpExport();
  const tracerProvider = new NodeTracerProvider({ resource, spanProcessors: [...(options.spanProcessors ?? []), ...otlp.spanProcessors] });
  tracerProvider.register({ propagator: new W3CTraceContextPropagator() });

  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ resource, readers: [prometheus, ...(options.metricReaders ?? []), ...otlp.metricReaders] });
  metrics.setGlobalMeterProvider(meterProvider);
  const runtime = new RuntimeNodeInstrumentation();
  runtime.setMeterProvider(meterProvider);
  meterProvider
    .getMeter('exodus')
    .createObservableGauge('process.memory.usage', { description: 'Resident set size of the process', unit: 'By' })
    .addCallback((result) => result.observe(process.memoryUsage.rss()));

  return {
    serveMetrics: (request, response) => prometheus.getMetricsRequestHandler(request, response),
    shutdown: async () => {
      runtime.disable();
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
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
