import { PermanentError } from '../../domain/index.js';
import { TurnBatch } from '../turn-batch.js';
import { untilAllProcessed } from '../unprocessed.js';
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
          if (failure.SenderFault === true) refused.set(failure.Id, failure);
          else retry.add(failure.Id);
          lastFailure = failure;
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

/**
 * `sendAll` for the messages handed to the returned function during one turn of the event loop, all
 * at once (a busy front door's requests, a consumer's retries or publishes: ten messages a request
 * instead of one each). A message the service refuses for what it is (a `PermanentError`) fails its
 * own caller alone: that turn's messages are sent again caller by caller (TurnBatch's isolation).
 */
export function perTurn<T>(sendAll: (items: readonly T[]) => Promise<void>): (items: readonly T[]) => Promise<void> {
  const turns = new TurnBatch<readonly T[], void>(
    async (groups) => {
      await sendAll(groups.flat());
      return groups.map(() => undefined);
    },
    (error) => error instanceof PermanentError,
  );
  return (items) => turns.add(items);
}
