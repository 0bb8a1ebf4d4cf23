import { context, isSpanContextValid, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { setTimeout as delay } from 'node:timers/promises';
import { PermanentError, TransientError } from '../domain/index.js';
import type { Delivery, Envelope } from '../ports/index.js';
import { backoffMs } from './backoff.js';
import { dependencyOf, type DependencyWatch } from './dependency-watch.js';
import type { Logger } from './logger.js';
import { errorType, messagingAttributes, messagingMetrics, secondsSince } from './messaging-metrics.js';
import { EVENT } from './telemetry-names.js';
import { contextFrom, tracer } from './telemetry.js';

/**
 * What a consumer does with one message. Throw `PermanentError` to dead-letter it, `TransientError`
 * when a dependency is down (the message is held and tried again here), anything else to retry it
 * through the queue (counting an attempt).
 */
export type MessageHandler = (message: Envelope) => Promise<void>;

/** How one delivery is handled, the same in the long-lived loop and in a Lambda invocation. */
export interface DeliveryProcessing {
  readonly queue: { readonly name: string };
  readonly handler: MessageHandler;
  readonly logger: Logger;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /**
   * The queue's failed attempts before it dead-letters (the engine's `maxAttempts`), so a retry of
   * the last one is reported as the dead-lettering it is; without it, only `PermanentError`s are.
   */
  readonly maxAttempts?: number;
  /** Whether a `TransientError` may still hold the message (the loop runs; the invocation has time). */
  readonly holding: () => boolean;
  /** Cuts short the backoff of a held message (the loop stops; the invocation must end). */
  readonly stopping: AbortSignal;
  /** Told when a message is held for a dependency and when it is through (the outage's events). */
  readonly outages?: DependencyWatch;
}

/**
 * One message: the handler in the producer's trace (a CONSUMER span in it unless that trace was
 * not sampled), then one settle.
 *
 * A dependency outage (the handler throws `TransientError`: the store is restarting, the broker is
 * away) is not the message's fault, so it must not spend the message's attempts: a few seconds of
 * backoff per attempt would dead-letter innocent wishes during a 10 s database restart. Instead the
 * message is held (its lease kept alive by the caller), and the handler runs again after a backoff,
 * as long as the outage lasts and `holding()` allows.
 */
export async function processDelivery(
  delivery: Delivery,
  how: DeliveryProcessing,
  attributes: Record<string, string> = messagingAttributes(how.queue.name, 'process'),
): Promise<void> {
  const { queue, logger, retryBaseMs, retryMaxMs } = how;
  const made = contextFrom(delivery.message);
  // A message whose creator's trace was not sampled gets no span of its own: the batch's receive
  // links to it, and that is all a burst can afford. Otherwise a span: the child of its creator's
  // (the wish's journey stays one trace), or, for a message that came with no trace, a trace of its
  // own as the sampler decides (a poison message sent by hand is still found failing).
  const creator = trace.getSpanContext(made);
  const unsampled =
    creator !== undefined && isSpanContextValid(creator) && (creator.traceFlags & TraceFlags.SAMPLED) === 0;
  const span = !unsampled
    ? tracer().startSpan(
        `process ${queue.name}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            ...attributes,
            'messaging.message.id': delivery.message.id,
            'messaging.message.delivery_count': delivery.attempt + delivery.lapses,
          },
        },
        made,
      )
    : undefined;
  const startedAt = performance.now();
  let failure: string | undefined;
  // Unsampled, the handler still runs in the creator's context, so what it sends carries that trace on.
  await context.with(span === undefined ? made : trace.setSpan(made, span), async () => {
    try {
      await handleHoldingThroughOutages(delivery, how);
      await delivery.ack();
    } catch (error) {
      failure = errorType(error);
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      span?.recordException(error instanceof Error ? error : new Error(reason));
      span?.setStatus({ code: SpanStatusCode.ERROR, message: reason });
      // A retry of the last allowed delivery would be dead-lettered by the queue (the Queue port's
      // rule), so it is dead-lettered here, where it can be reported.
      const attemptsLeft = how.maxAttempts === undefined || delivery.attempt < how.maxAttempts;
      if (error instanceof PermanentError || !attemptsLeft) {
        // The event names the message and the error's code, never the message's content.
        // Stryker disable StringLiteral: log wording, not behaviour
        const why =
          error instanceof PermanentError
            ? 'dead-lettering a message that cannot succeed'
            : 'dead-lettering a message whose attempts ran out';
        // Stryker restore StringLiteral
        logger.warn(
          {
            event: EVENT.deadLettered,
            queue: queue.name,
            messageId: delivery.message.id,
            code: failure,
            attempt: delivery.attempt,
          },
          why,
        );
        // Stryker disable StringLiteral,ObjectLiteral,ArrowFunction: a failed settle is only logged here (the lease expiry redelivers it)
        await delivery
          .deadLetter(reason)
          .catch((settleError: unknown) =>
            logger.error({ err: settleError }, 'dead-letter failed; the lease will expire'),
          );
        // Stryker restore StringLiteral,ObjectLiteral,ArrowFunction
      } else {
        const delayMs = backoffMs(delivery.attempt, retryBaseMs, retryMaxMs);
        // Stryker disable StringLiteral,ObjectLiteral,ArrowFunction: log wording and fields; a failed settle is only logged here (the lease expiry redelivers it)
        logger.warn(
          { queue: queue.name, messageId: delivery.message.id, attempt: delivery.attempt, delayMs, err: error },
          'handler failed; will retry',
        );
        await delivery
          .retry(delayMs, reason)
          .catch((settleError: unknown) => logger.error({ err: settleError }, 'retry failed; the lease will expire'));
        // Stryker restore StringLiteral,ObjectLiteral,ArrowFunction
      }
    } finally {
      span?.end();
      messagingMetrics().processDuration.record(
        secondsSince(startedAt),
        failure === undefined ? attributes : { ...attributes, 'error.type': failure },
      );
    }
  });
}

/** Runs the handler; while it fails with `TransientError` (and `holding()`), backs off and runs it again. */
async function handleHoldingThroughOutages(delivery: Delivery, how: DeliveryProcessing): Promise<void> {
  const { queue, handler, logger, retryBaseMs, retryMaxMs } = how;
  let heldFor: string | undefined;
  try {
    for (let held = 1; ; held++) {
      try {
        await handler(delivery.message);
        // Stryker disable all: log only (the message was handled either way)
        if (held > 1)
          logger.info({ queue: queue.name, messageId: delivery.message.id, held }, 'dependency back; message handled');
        // Stryker restore all
        return;
      } catch (error) {
        if (!(error instanceof TransientError) || !how.holding()) throw error;
        if (heldFor === undefined) {
          heldFor = dependencyOf(error.code);
          how.outages?.hold(heldFor);
        }
        const delayMs = backoffMs(held, retryBaseMs, retryMaxMs);
        // One line when the outage starts, then one per doubling: a batch of 256 held messages must not flood the log.
        if ((held & (held - 1)) === 0)
          logger.warn(
            { queue: queue.name, messageId: delivery.message.id, held, delayMs, code: error.code, err: error },
            'dependency unavailable; holding the message',
          );
        await delay(delayMs, undefined, { signal: how.stopping }).catch(() => undefined);
      }
    }
  } finally {
    if (heldFor !== undefined) how.outages?.release(heldFor);
  }
}
