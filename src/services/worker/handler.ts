import { asParsedWish } from '../../domain/index.js';
import { EVENT_TYPES, type Envelope, type WishStore } from '../../ports/index.js';
import { countWish, tagWishSpan, type Logger, type MessageHandler } from '../../runtime/index.js';
import { expectEvent } from '../shared/expect-event.js';

/**
 * The system of record's writer. All the rules (idempotent by id, last-writer-wins by version,
 * the loser recorded `superseded`) are the store's conditional write, so redeliveries and
 * reordering need nothing here.
 */
export function createWorkerHandler({ store, logger }: { store: WishStore; logger: Logger }): MessageHandler {
  return async (message: Envelope) => {
    const wish = asParsedWish(expectEvent(message, EVENT_TYPES.wishParsed));
    tagWishSpan(wish);
    const outcome = await store.put(wish);
    if (outcome !== 'duplicate') countWish(outcome);
    // Stryker disable next-line StringLiteral,ObjectLiteral: log wording and fields, not behaviour
    logger.debug({ wishId: wish.id, outcome }, 'wish stored');
  };
}
