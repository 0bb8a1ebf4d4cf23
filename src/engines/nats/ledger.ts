import type { QueueName } from '../../ports/index.js';
import type { Connection } from './connection.js';
import { guarded } from './errors.js';
import type { Lane, Layout, LedgerWait } from './layout.js';
import { readStored } from './stored.js';

/**
 * The retry ledger: one record per message that was given back to its consumer (`retry`, or a
 * lease that ran out) and is waiting to be delivered again, holding its last error and how many of
 * its attempts failed (JetStream counts deliveries only; a lapse must not count as a failure).
 *
 * Why it exists: JetStream counts such a message as "ack pending" (in flight) until it is
 * redelivered, and forgets why it failed. The ledger lets `stats()` count it as ready or delayed,
 * like every other engine, and lets any process that later dead-letters the message keep its last
 * error. A record's subject says how it waits (`delayed`: a retry with a delay; `now`: deliverable at
 * once), so the delayed ones are counted by subject without reading them. Written before the `-NAK`,
 * taken (read and deleted) when the message is delivered again. A record is lost only if its holder
 * dies between the two (then the message still comes back; only the count is off until the record
 * ages out) or when a holder dies outright (no record: its messages count as in flight until
 * redelivered, and their failures restart from 0, which the lapse bound still stops).
 */
export class Ledger {
  private readonly stream: string;

  constructor(
    private readonly conn: Connection,
    private readonly layout: Layout,
    private readonly queue: QueueName,
  ) {
    this.stream = layout.ledgerStream(queue);
  }

  async record(
    lane: Lane,
    streamSeq: number,
    lastError: string | undefined,
    failures: number,
    wait: LedgerWait,
  ): Promise<void> {
    const entry: LedgerEntry = { lastError: lastError ?? null, failures, at: new Date().toISOString() };
    await guarded(`record a retry of ${this.queue}`, () =>
      this.conn.js.publish(this.layout.ledgerSubject(this.queue, lane, streamSeq, wait), JSON.stringify(entry)),
    );
  }

  /** Reads and removes the record of a redelivered message (the newer, should it have both); undefined when there is none. */
  async take(lane: Lane, streamSeq: number): Promise<LedgerEntry | undefined> {
    const records = this.layout.ledgerSubject(this.queue, lane, streamSeq, '*');
    const stored = await readStored(this.conn, this.stream, { last_by_subj: records });
    if (stored === undefined) return undefined;
    await guarded(`clear a retry of ${this.queue}`, () =>
      this.conn.jsm.streams.purge(this.stream, { filter: records }),
    );
    return JSON.parse(stored.body) as LedgerEntry;
  }

  /** Messages given back and not yet redelivered: all of them, and those retried with a delay. */
  async waiting(): Promise<{ readonly total: number; readonly delayed: number }> {
    const info = await guarded(`read ${this.stream}`, () =>
      this.conn.jsm.streams.info(this.stream, { subjects_filter: this.layout.delayedLedgerSubjects(this.queue) }),
    );
    return { total: info.state.messages, delayed: Object.keys(info.state.subjects ?? {}).length };
  }
}

export interface LedgerEntry {
  readonly lastError: string | null;
  /** Absent in records written before failures were counted. */
  readonly failures?: number;
  readonly at: string;
}
