import { PermanentError } from '../../domain/index.js';
import { untilAllProcessed } from '../aws/unprocessed.js';
import { TurnBatch } from '../shared/turn-batch.js';
import { entryFailure } from './errors.js';

/** An entry of an SQS/SNS batch call; `Id` is unique within one call. */
export interface BatchEntry {
  readonly Id: string;
}

export interface BatchFailure {
  readonly Id?: string | undefined;
  readonly Code?: string | undefined;
  readonly Message?: string | undefined;
  readonly SenderFault?: boolean | undefined;
}

/** Entries per call: the limit of every SQS and SNS batch action. */
export const MAX_BATCH_ENTRIES = 10;
/** Bytes per call (SQS and SNS cap a batch's total payload at 256 KiB). */
const MAX_BATCH_BYTES = 256 * 1024;
/** Rounds of retrying the entries a call reported failed for a reason that may pass (throttling, an internal error). */
const ENTRY_ROUNDS = 5;

/**
 * Runs `call` over the entries in batches (at most 10 and 256 KiB each, in order), retrying with
 * backoff the entries a batch reports failed through no fault of theirs: a `Failed[]` entry is never
 * dropped. Returns the entries refused for what they are (`SenderFault`), by `Id`, for the caller to
 * judge (a stale receipt handle is an answer, not an error); throws when retryable failures outlast
 * the rounds.
 */
export async function inBatches<E extends BatchEntry>(
  entries: readonly E[],
  call: (batch: E[]) => Promise<{ readonly Failed?: readonly BatchFailure[] | undefined }>,
  doing: string,
  bytesOf: (entry: E) => number = () => 0,
): Promise<Map<string, BatchFailure>> {
  const refused = new Map<string, BatchFailure>();
  await Promise.all(
    chunks(entries, bytesOf).map((chunk) => {
      let lastFailure: BatchFailure = {};
      const retryable = async (pending: readonly E[]): Promise<E[]> => {
        const retry = new Set<string>();
        for (const failure of (await call([...pending])).Failed ?? []) {
          if (failure.Id === undefined) continue;
          if (failure.SenderFault === true) {
            refused.set(failure.Id, failure);
          } else {
            // What the rounds ran out on: a refused entry in the same answer is reported apart.
            retry.add(failure.Id);
            lastFailure = failure;
          }
        }
        return pending.filter((entry) => retry.has(entry.Id));
      };
      return untilAllProcessed(chunk, retryable, () => entryFailure(lastFailure, doing), ENTRY_ROUNDS);
    }),
  );
  return refused;
}

function chunks<E>(entries: readonly E[], bytesOf: (entry: E) => number): E[][] {
  const out: E[][] = [];
  let current: E[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = bytesOf(entry);
    if (current.length === MAX_BATCH_ENTRIES || (current.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Each entry's refusal, in the entries' order (undefined: taken), from what `inBatches` reported refused. */
export function refusalsOf(
  entries: readonly BatchEntry[],
  refused: ReadonlyMap<string, BatchFailure>,
  doing: string,
): (Error | undefined)[] {
  return entries.map((entry) => {
    const failure = refused.get(entry.Id);
    return failure === undefined ? undefined : entryFailure(failure, doing);
  });
}

/**
 * `sendEach` for the messages handed to the returned function during one turn of the event loop,
 * all at once (a busy front door's requests, a consumer's retries or publishes: ten messages a
 * request instead of one each). `sendEach` answers each message with its refusal or undefined; a
 * caller fails with the first refusal among its own messages, and the others' messages, taken, are
 * not sent again. A whole call refused with a `PermanentError` is sent again caller by caller
 * (TurnBatch's isolation), so that too fails only the caller it was about.
 */
export function perTurn<T>(
  sendEach: (items: readonly T[]) => Promise<readonly (Error | undefined)[]>,
): (items: readonly T[]) => Promise<void> {
  const turns = new TurnBatch<readonly T[], Error | undefined>(
    async (groups) => {
      const refusals = await sendEach(groups.flat());
      let start = 0;
      return groups.map((group) =>
        refusals.slice(start, (start += group.length)).find((refusal) => refusal !== undefined),
      );
    },
    (error) => error instanceof PermanentError,
  );
  return async (items) => {
    const refusal = await turns.add(items);
    if (refusal !== undefined) throw refusal;
  };
}
