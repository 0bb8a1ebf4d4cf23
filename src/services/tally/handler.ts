import { asParsedWish, isCanary } from '../../domain/index.js';
import { EVENT_TYPES, type Envelope, type ReadModel } from '../../ports/index.js';
import { recordTimeToWall, tagWishSpan, type Logger, type MessageHandler } from '../../runtime/index.js';
import { expectEvent } from '../shared/expect-event.js';

/**
 * Keeps the wall and the Mars/Europa counts; the read model's versioned apply makes it idempotent.
 * A synthetic canary's wish is noted, never applied: it reaches the read model like any wish, and
 * the wall and the tally never show it, whatever the engine (the canary times itself, from outside).
 */
export function createTallyHandler({ readModel, logger }: { readModel: ReadModel; logger: Logger }): MessageHandler {
  return async (message: Envelope) => {
    const wish = asParsedWish(expectEvent(message, EVENT_TYPES.wishParsed));
    tagWishSpan(wish);
    if (isCanary(wish.evacueeId)) {
      await readModel.noteCanary(wish);
      return;
    }
    const changed = await readModel.apply(wish);
    // A redelivery or an older version changes nothing and is not timed again.
    if (changed) recordTimeToWall(wish.submittedAt);
    // Stryker disable next-line StringLiteral,ObjectLiteral: log wording and fields, not behaviour
    logger.debug({ wishId: wish.id, changed }, 'read model applied');
  };
}
