import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import { tracer } from '../../runtime/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    span?: Span;
  }
}

/**
 * A SERVER span per request, continuing the caller's `traceparent`. The hooks call `done` inside
 * the span's context, so everything the handler does (the send to the queue, its logs) belongs to it.
 */
export function installRequestTracing(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const parent = propagation.extract(context.active(), request.headers);
    const route = request.routeOptions.url ?? 'unmatched';
    const span = tracer().startSpan(
      `${request.method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route, 'url.path': request.url.split('?')[0] ?? '' } },
      parent,
    );
    request.span = span;
    context.with(trace.setSpan(parent, span), done);
  });
  // Body parsing runs outside the request's async context; re-enter it for the handler.
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.span === undefined) return done();
    context.with(trace.setSpan(context.active(), request.span), done);
  });
  app.addHook('onResponse', (request, reply, done) => {
    request.span?.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) request.span?.setStatus({ code: SpanStatusCode.ERROR });
    request.span?.end();
    done();
  });
}
