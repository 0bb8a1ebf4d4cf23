import { TransientError } from '../../domain/index.js';
import { pause, untilAllProcessed as resendUnprocessed } from '../aws/unprocessed.js';

/** Tries of one write before giving up with a TransientError (the caller's retry takes over). */
export const MAX_TRIES = 20;

/** A batch call's unprocessed items sent again until none is left (see unprocessed.ts); after MAX_TRIES, a TransientError. */
export function untilAllProcessed<T>(
  items: readonly T[],
  send: (pending: readonly T[]) => Promise<readonly T[]>,
  what: string,
): Promise<void> {
  return resendUnprocessed(
    items,
    send,
    (left) =>
      new TransientError(
        'dynamodb_throttled',
        `DynamoDB left ${left.length} ${what} unprocessed after ${MAX_TRIES} tries`,
      ),
    MAX_TRIES,
  );
}

/** Why a try of a conditional write must be made again: its item moved since the read (`moved`), or it is contended (`busy`: pause first). */
export type TryAgain = 'moved' | 'busy';

/**
 * Read, decide, write: runs `once` until it answers, pausing after a contended try. After MAX_TRIES
 * (the item kept moving under it) it gives up with a TransientError saying `what` it was doing.
 */
export async function decided<T>(once: () => Promise<T | TryAgain>, what: string): Promise<T> {
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    const outcome = await once();
    if (outcome === 'busy') await pause(attempt);
    else if (outcome !== 'moved') return outcome;
  }
  throw new TransientError('dynamodb_throttled', `${what}: the item kept changing, ${MAX_TRIES} tries`);
}
