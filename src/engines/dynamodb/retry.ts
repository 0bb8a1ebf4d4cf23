import { TransientError } from '../../domain/index.js';

/** Tries of one write before giving up with a TransientError (the caller's retry takes over). */
export const MAX_TRIES = 20;

/** The first and the longest pause between tries, in ms. */
const BASE_PAUSE_MS = 10;
const MAX_PAUSE_MS = 1_000;

/**
 * The pause before try `attempt + 1`: exponential with full jitter (AWS's advice for throttling and
 * conflicts: writers that collided do not collide again in step). At most 1 s.
 */
export function pause(attempt: number): Promise<void> {
  const ceiling = Math.min(MAX_PAUSE_MS, BASE_PAUSE_MS * 2 ** attempt);
  return new Promise((done) => setTimeout(done, Math.random() * ceiling));
}

/**
 * Sends `items` and then, after a pause, whatever the service left unprocessed (a batch's
 * `UnprocessedItems` or `UnprocessedKeys`, under throttling), until none is left: nothing is
 * silently dropped. After MAX_TRIES sends the rest fails the call, as a TransientError.
 */
export async function untilAllProcessed<T>(items: readonly T[], send: (pending: readonly T[]) => Promise<readonly T[]>, what: string): Promise<void> {
  let pending = items;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt === MAX_TRIES) throw new TransientError('dynamodb_throttled', `DynamoDB left ${pending.length} ${what} unprocessed after ${MAX_TRIES} tries`);
    if (attempt > 0) await pause(attempt);
    pending = await send(pending);
  }
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
