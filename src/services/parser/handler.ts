import { asAcceptedWish, parseWish } from '../../domain/index.js';
import { EVENT_TYPES, type Envelope, type Topic, type WishStore } from '../../ports/index.js';
import {
  countWish,
  createEnvelope,
  produce,
  tagWishSpan,
  type Logger,
  type MessageHandler,
} from '../../runtime/index.js';
import { expectEvent } from '../shared/expect-event.js';
import { injectionReporter } from './injection-report.js';

export interface ParserDeps {
  readonly store: WishStore;
  readonly parsed: Topic;
  readonly logger: Logger;
}

/**
 * Screens an accepted wish. Its text is kept exactly; text that looks like markup is flagged and
 * reported as an injection attempt (ids and time, never the text). A wish that breaks the submission
 * rules (only possible from outside the front door) is a *rejection*: recorded as the wish's status
 * with the reason, and acknowledged (a retry would fail the same way, and the DLQ is for faults, not
 * for people's input). Valid wishes are published to the `wish.parsed` topic; a redelivery publishes
 * the same event id again, which the queues deduplicate and the consumers ignore. A parsed wish the
 * topic refuses for what it holds (`MessageRefusedError`, permanent) is not the person's fault: the
 * accepted wish is dead-lettered at once with the refusal as its reason, for an operator to redrive
 * once the engine carries it, never retried in a loop and never recorded as rejected.
 */
export function createParserHandler({ store, parsed, logger }: ParserDeps): MessageHandler {
  const reportInjection = injectionReporter(logger);
  return async (message: Envelope) => {
    const accepted = asAcceptedWish(expectEvent(message, EVENT_TYPES.wishAccepted));
    tagWishSpan(accepted);
    const outcome = parseWish(accepted);
    if (!outcome.ok) {
      await store.reject({
        id: accepted.id,
        evacueeId: accepted.evacueeId,
        submittedAt: accepted.submittedAt,
        reason: outcome.reason,
      });
      countWish('rejected');
      // Stryker disable next-line StringLiteral,ObjectLiteral: log wording and fields, not behaviour
      logger.info({ wishId: accepted.id, reason: outcome.reason }, 'wish rejected');
      return;
    }
    if (outcome.wish.markupFlagged) reportInjection(outcome.wish);
    await produce(
      parsed.name,
      () => [createEnvelope(EVENT_TYPES.wishParsed, '/exodus/parser', `${accepted.id}.parsed`, outcome.wish)],
      (messages) => parsed.publish(messages),
    );
  };
}
