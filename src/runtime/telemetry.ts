import { context, propagation, trace, type Context, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * Tracing is on in every process from the start: real trace ids for logs and for the `traceparent`
 * that every message carries. Span export (OTLP, the ops console) plugs in as span processors.
 */
export function startTelemetry(serviceName: string, spanProcessors: SpanProcessor[] = []): NodeTracerProvider {
  const provider = new NodeTracerProvider({ resource: resourceFromAttributes({ 'service.name': serviceName }), spanProcessors });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  return provider;
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
