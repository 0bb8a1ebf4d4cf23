import { TransientError } from '../../domain/index.js';
import { envelopeIn } from '../queues/envelope-in.js';
import type { Connection } from './connection.js';
import { guarded } from './errors.js';
import type { Lane } from './layout.js';
import { readStored, unreadableId, type Stored } from './stored.js';

/**
 * Messages a lane's look may have to read; past it `holding` refuses (a `TransientError`: ask again
 * once the backlog is smaller) rather than answer from part of the backlog and call the rest lost.
 */
export const HOLDING_SCAN_MAX = 100_000;
/** Reads in flight at once: the range is cut into this many runs, each read in order. */
const RUNS = 16;
/** No run is shorter than this many sequences: a small backlog is read in one run. */
const MIN_RUN = 256;

export interface HoldingSources {
  readonly conn: Connection;
  /** Where the queue receives from (layout.ts `lanes`). */
  readonly lanes: readonly Lane[];
}

/**
 * `Queue.holding` on JetStream: which of these event ids a queue holds unacknowledged (ready, in
 * flight, delayed), found by reading its lanes' streams, since JetStream keeps no index by message id.
 *
 * Where a lane's unacknowledged messages are:
 * - its own stream (WorkQueue): every message stored, for an ack deletes the message (the ack after
 *   parking a dead letter too), while a retry, delayed or not, leaves it stored;
 * - a topic stream (Limits, trimmed late: topic-trim.ts): above the subscription's ack floor F, less
 *   what was acked out of order. Past D, the highest sequence the consumer delivered, nothing was.
 *   In (F, D] the server knows the unacknowledged set but tells only its size (`num_ack_pending`;
 *   the consumer API has no list of it): when that size is D − F (the stream has one subject and gaps only
 *   below F), every message there is unacked. Otherwise an unacked one there (leased, a dead
 *   holder's, waiting in the retry ledger) cannot be told from one acked out of order, and it is
 *   named: see below why that side is the safe one.
 *
 * What the answer guarantees:
 * - an id named was unacknowledged in a lane at a moment during the call (the stream's state is
 *   read before the consumer's, so a message past D existed, undelivered, when D was read). Two
 *   cases say "held" of a message that is also elsewhere, both genuinely unacked: a dead letter
 *   whose `+ACK` did not reach the server (it comes back and is delivered again), and the window of
 *   a redrive (published, its letter not yet deleted). One case names a message that may be acked:
 *   on a topic lane, one in (F, D] while any message there was acked out of order, until the floor
 *   passes it (everything below it settled). That errs on the safe side for the audit, the caller:
 *   it asks only for wishes the store lacks, and a subscription's consumer acks only after its work
 *   is done (the worker after storing), so an acked message there is a wish the audit then finds in
 *   the store it reads last; leaving such a message out instead would call an in-flight wish lost;
 * - an id left out was not held at a moment during the call: never sent (or sent after the call
 *   began), acked, or dead-lettered.
 *
 * Matching: by `Nats-Msg-Id` (the event id, as `send`, `publish` and redrive set it: stored.ts),
 * so only a message whose header names an asked id is parsed, to confirm it from its body (a header
 * value loses surrounding whitespace, a redrive's carries a suffix); one with no header, published by
 * hand, is parsed too and, if it is no envelope, goes by its dead letter's id (`unreadable:…`).
 *
 * Cost, per lane: a stream info, a consumer info (topic lanes), then one `STREAM.MSG.GET` round trip
 * per message in the range read (the whole queue stream; the topic stream above F; bodies travel,
 * JetStream has no headers-only read), `RUNS` at a time, stopping once every asked id is found; one
 * JSON parse per message whose header names an asked id. The number of ids asked barely matters (set lookups); the backlog does:
 * 3,000 to 8,000 messages a second measured on a busy 2-core machine (a 20,000-message queue read
 * in 3 to 6 s). Past `HOLDING_SCAN_MAX` messages in a lane's range it refuses instead.
 */
export async function holding(sources: HoldingSources, ids: readonly string[]): Promise<Set<string>> {
  const wanted = new Wanted(ids);
  const held = new Set<string>();
  for (const lane of sources.lanes) {
    if (held.size >= wanted.size) break;
    await lookIn(sources, lane, wanted, held);
  }
  return held;
}

async function lookIn({ conn }: HoldingSources, lane: Lane, wanted: Wanted, held: Set<string>): Promise<void> {
  // The stream before the consumer: every message up to `last_seq` existed when D was read.
  const stream = (await guarded(`read ${lane.stream}`, () => conn.jsm.streams.info(lane.stream))).state;
  let from = Math.max(1, stream.first_seq);
  let messages = stream.messages;
  if (!lane.ackRemoves) {
    const consumer = await guarded(`read ${lane.stream} > ${lane.consumer}`, () =>
      conn.jsm.consumers.info(lane.stream, lane.consumer),
    );
    // Below the ack floor everything is acked; above it, everything is named (see the doc comment).
    from = Math.max(from, consumer.ack_floor.stream_seq + 1);
    messages = Math.max(0, stream.last_seq - from + 1);
  }
  if (messages > HOLDING_SCAN_MAX) {
    throw new TransientError(
      'nats_holding_backlog',
      `NATS: cannot say what ${lane.stream} holds: ${messages} messages to read, more than ${HOLDING_SCAN_MAX}; ask again once the backlog is smaller`,
    );
  }
  await scan(
    conn,
    lane,
    { from, to: stream.last_seq },
    {
      visit: (stored) => {
        const id = wanted.carriedBy(stored, lane.stream);
        if (id !== undefined) held.add(id);
      },
      enough: () => held.size >= wanted.size,
    },
  );
}

/**
 * Reads every message of a lane's stream with a sequence in [from, to] (gaps skipped by
 * `next_by_subj`), in up to `RUNS` runs at once, until `enough()` says so.
 */
async function scan(
  conn: Connection,
  lane: Lane,
  range: { readonly from: number; readonly to: number },
  on: { readonly visit: (stored: Stored) => void; readonly enough: () => boolean },
): Promise<void> {
  const span = range.to - range.from + 1;
  if (span <= 0) return;
  const runs = Math.min(RUNS, Math.ceil(span / MIN_RUN));
  const size = Math.ceil(span / runs);
  let failed = false;
  const run = async (first: number, last: number): Promise<void> => {
    try {
      for (let seq = first; seq <= last && !failed && !on.enough();) {
        const stored = await readStored(conn, lane.stream, { seq, next_by_subj: lane.subject });
        if (stored === undefined || stored.seq > last) return;
        on.visit(stored);
        seq = stored.seq + 1;
      }
    } catch (error) {
      failed = true; // the other runs stop too
      throw error;
    }
  };
  await Promise.all(
    Array.from({ length: runs }, (_, i) =>
      run(range.from + i * size, Math.min(range.to, range.from + (i + 1) * size - 1)),
    ),
  );
}

/** Matches a redrive's `Nats-Msg-Id` suffix (dead-letters.ts). */
const REDRIVE_SUFFIX = /:redrive:\d+$/;

/** The asked ids, and the header values (trimmed, as nats.js writes them) that may carry one. */
class Wanted {
  private readonly ids: ReadonlySet<string>;
  private readonly headers: ReadonlySet<string>;

  constructor(ids: readonly string[]) {
    this.ids = new Set(ids);
    this.headers = new Set([...this.ids].map((id) => id.trim()));
  }

  get size(): number {
    return this.ids.size;
  }

  /** The asked id a stored message carries, or undefined; its body is read only when its header may name one. */
  carriedBy(stored: Stored, stream: string): string | undefined {
    const header = stored.msgId;
    if (
      header !== undefined &&
      !this.headers.has(header) &&
      !this.headers.has(header.replace(REDRIVE_SUFFIX, '').trim())
    )
      return undefined;
    const id = envelopeIn(stored.body)?.id ?? unreadableId(stream, stored.seq);
    return this.ids.has(id) ? id : undefined;
  }
}
