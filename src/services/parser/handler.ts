import { asAcceptedWish, parseWish } from '../../domain/index.js';
import { EVENT_TYPES, type Envelope, type Topic, type WishStore } from '../../ports/index.js';
import { createEnvelope, produce, type Logger, type MessageHandler } from '../../runtime/index.js';
import { expectEvent } from '../shared/expect-event.js';

export interface ParserDeps {
  readonly store: WishStore;
  readonly parsed: Topic;
  readonly logger: Logger;
}

/**
 * Screens an accepted wish. Invalid content is a *rejection*: recorded as the wish's status with
 * the reason, and acknowledged (a retry would fail the same way, and the DLQ is for faults, not for
 * people's bad input). Valid wishes are published to the `wish.parsed` topic; a redelivery publishes
 * the same event id again, which the queues deduplicate and the consumers ignore.
 */
export function createParserHandler({ store, parsed, logger }: ParserDeps): MessageHandler {
  return async (message: Envelope) => {
    const accepted = asAcceptedWish(expectEvent(message, EVENT_TYPES.wishAccepted));
    const outcome = parseWish(accepted);
    if (!outcome.ok) {
      await store.reject(accepted.id, accepted.evacueeId, accepted.submittedAt, outcome.reason);
      logger.info({ wishId: accepted.id, reason: outcome.reason }, 'wish rejected');
      return;
    }
    await produce(
      parsed.name,
      () => [createEnvelope(EVENT_TYPES.wishParsed, '/exodus/parser', `${accepted.id}.parsed`, outcome.wish)],
      (messages) => parsed.publish(messages),
    );
  };
}
