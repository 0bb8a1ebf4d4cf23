import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Envelope } from '../ports/index.js';
import { messagingAttributes } from './consume-loop.js';
import { tracer } from './telemetry.js';

/**
 * Sends messages under a PRODUCER span `send <destination>`. The messages are created inside the
 * span, so their `traceparent` names it and each consumer's span becomes its child.
 */
export async function produce<T>(
  destination: string,
  create: () => Envelope<T>[],
  send: (messages: readonly Envelope<T>[]) => Promise<void>,
): Promise<Envelope<T>[]> {
  return tracer().startActiveSpan(
    `send ${destination}`,
    { kind: SpanKind.PRODUCER, attributes: messagingAttributes(destination, 'send') },
    async (span) => {
      try {
        const messages = create();
        span.setAttribute('messaging.batch.message_count', messages.length);
        if (messages.length === 1 && messages[0]) span.setAttribute('messaging.message.id', messages[0].id);
        await send(messages);
        return messages;
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
