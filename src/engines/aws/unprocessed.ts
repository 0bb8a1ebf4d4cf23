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
 * Sends `items` and then, after a pause, whatever the service left unprocessed (DynamoDB's
 * `UnprocessedItems`/`UnprocessedKeys`, the retryable entries of SQS's and SNS's `Failed[]`), until
 * none is left: nothing is silently dropped. After `tries` sends, what is left fails the call with
 * the error `giveUp` makes.
 */
export async function untilAllProcessed<T>(
  items: readonly T[],
  send: (pending: readonly T[]) => Promise<readonly T[]>,
  giveUp: (left: readonly T[]) => Error,
  tries: number,
): Promise<void> {
  let pending = items;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt === tries) throw giveUp(pending);
    if (attempt > 0) await pause(attempt);
    pending = await send(pending);
  }
}
