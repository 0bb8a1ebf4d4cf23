import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Envelope } from '../ports/index.js';
import { errorType, messagingAttributes, messagingMetrics, secondsSince } from './messaging-metrics.js';
import { tracer } from './telemetry.js';

/**
 * Sends messages under a PRODUCER span `send <destination>`. The messages are created inside the
 * span, so their `traceparent` names it and each consumer's span becomes its child. Counted in
 * `messaging.client.sent.messages` and timed in `messaging.client.operation.duration`.
 */
export async function produce<T>(
  destination: string,
  create: () => Envelope<T>[],
  send: (messages: readonly Envelope<T>[]) => Promise<void>,
): Promise<Envelope<T>[]> {
  const attributes = messagingAttributes(destination, 'send');
  return tracer().startActiveSpan(`send ${destination}`, { kind: SpanKind.PRODUCER, attributes }, async (span) => {
    const startedAt = performance.now();
    const measured = messagingMetrics();
    try {
      const messages = create();
      span.setAttribute('messaging.batch.message_count', messages.length);
      if (messages.length === 1 && messages[0]) span.setAttribute('messaging.message.id', messages[0].id);
      await send(messages);
      measured.sentMessages.add(messages.length, attributes);
      measured.operationDuration.record(secondsSince(startedAt), attributes);
      return messages;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      measured.operationDuration.record(secondsSince(startedAt), { ...attributes, 'error.type': errorType(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}
