import { trace } from '@opentelemetry/api';
import { asAcceptedWish, parseWish, type ParsedWish } from '../../domain/index.js';
import { EVENT_TYPES, type Envelope, type Topic, type WishStore } from '../../ports/index.js';
import { ATTRIBUTE, countWish, createEnvelope, EVENT, meter, produce, tagWishSpan, type Logger, type MessageHandler } from '../../runtime/index.js';
import { expectEvent } from '../shared/expect-event.js';

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
 * the same event id again, which the queues deduplicate and the consumers ignore.
 */
export function createParserHandler({ store, parsed, logger }: ParserDeps): MessageHandler {
  const reportInjection = injectionReporter(logger);
  return async (message: Envelope) => {
    const accepted = asAcceptedWish(expectEvent(message, EVENT_TYPES.wishAccepted));
    tagWishSpan(accepted);
    const outcome = parseWish(accepted);
    if (!outcome.ok) {
      await store.reject(accepted.id, accepted.evacueeId, accepted.submittedAt, outcome.reason);
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

/**
 * Tells the operators that someone sent markup, as the log line, a span event on the wish's trace
 * and a counter. Ids and time only: the text stays out of every signal. At-least-once delivery means
 * a redelivered wish is reported again; the wish id tells the two apart.
 */
function injectionReporter(logger: Logger): (wish: ParsedWish) => void {
  // Stryker disable next-line ObjectLiteral: the counter's description and unit are metadata
  const attempts = meter().createCounter('exodus.wish.injection_attempts', {
    description: 'Wishes whose text looks like markup (kept as text, flagged)',
    unit: '{wish}',
  });
  return (wish) => {
    const ids = { [ATTRIBUTE.evacueeId]: wish.evacueeId, [ATTRIBUTE.wishId]: wish.id, 'exodus.wish.submitted_at': wish.submittedAt };
    attempts.add(1);
    trace.getActiveSpan()?.addEvent('exodus.injection_attempt', ids);
    logger.warn(
      { event: EVENT.injectionAttempt, evacueeId: wish.evacueeId, wishId: wish.id, submittedAt: wish.submittedAt },
      'injection attempt: the wish looks like markup (kept as text, flagged)',
    );
  };
}
