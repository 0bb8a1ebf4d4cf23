import { trace } from '@opentelemetry/api';
import type { ParsedWish } from '../../domain/index.js';
import { ATTRIBUTE, EVENT, IntervalLog, meter, type Logger } from '../../runtime/index.js';

/** The log says at most two things a second about injection attempts: the first, and how many more. */
const LOG_INTERVAL_MS = 1000;
/** Wish and evacuee ids named in a summary line, each: enough to look a few up, bounded whatever the flood. */
const SAMPLE_IDS = 5;

interface Summary {
  count: number;
  readonly wishIds: string[];
  readonly evacueeIds: string[];
}

/**
 * Tells the operators that someone sent markup: a counter and a span event on the wish's trace for
 * every attempt, and the log (whose lines are also the console's events). The first attempt of a
 * second gets its own line, in its trace, as a lone attempt always did; the rest of that second are
 * summed up in one line at its end: the count and a few sample ids. Each attempt is in exactly one
 * line, so the lines add up to the counter, and a flood (170,000 a minute once wrote 62 MB)
 * adds two lines a second, not one per wish. Ids and time only: the text stays out of every signal.
 * At-least-once delivery means a redelivered wish is reported again; the wish id tells the two apart.
 */
export function injectionReporter(logger: Logger): (wish: ParsedWish) => void {
  // Stryker disable next-line ObjectLiteral: the counter's description and unit are metadata
  const attempts = meter().createCounter('exodus.wish.injection_attempts', {
    description: 'Wishes whose text looks like markup (kept as text, flagged)',
    unit: '{wish}',
  });
  const log = new IntervalLog<Summary>(LOG_INTERVAL_MS, ({ count, wishIds, evacueeIds }) => {
    if (count === 0) return; // the second's only attempt already has its line
    logger.warn(
      {
        event: EVENT.injectionAttempt,
        count,
        windowMs: LOG_INTERVAL_MS,
        sampleWishIds: wishIds,
        sampleEvacueeIds: evacueeIds,
      },
      'injection attempts: more wishes looked like markup in this second (kept as text, flagged)',
    );
  });
  return (wish) => {
    const ids = {
      [ATTRIBUTE.evacueeId]: wish.evacueeId,
      [ATTRIBUTE.wishId]: wish.id,
      'exodus.wish.submitted_at': wish.submittedAt,
    };
    attempts.add(1);
    trace.getActiveSpan()?.addEvent('exodus.injection_attempt', ids);
    const { summary, first } = log.gather('injection', () => ({ count: 0, wishIds: [], evacueeIds: [] }));
    if (first) {
      logger.warn(
        { event: EVENT.injectionAttempt, evacueeId: wish.evacueeId, wishId: wish.id, submittedAt: wish.submittedAt },
        'injection attempt: the wish looks like markup (kept as text, flagged)',
      );
      return;
    }
    summary.count++;
    if (summary.wishIds.length < SAMPLE_IDS) summary.wishIds.push(wish.id);
    if (summary.evacueeIds.length < SAMPLE_IDS && !summary.evacueeIds.includes(wish.evacueeId))
      summary.evacueeIds.push(wish.evacueeId);
  };
}
