import type { DeadLetter, DeadLetterQueue, Envelope, QueueName } from '../../ports/index.js';
import type { Connection } from './connection.js';
import { guarded } from './errors.js';
import type { Layout } from './layout.js';
import { readStored, type Stored } from './stored.js';

/**
 * A queue's dead letters: JetStream's MaxDeliver stops delivering but moves the message nowhere,
 * so the engine parks it here itself, then acks the original.
 *
 * One stream per queue, one subject per event id (`<p>.dead.<q>.<id64>`, at most one message each),
 * so `get`, `purge(ids)` and `redrive(ids)` go straight to a message instead of scanning, and parking
 * the same message twice (a crash between parking and acking) keeps one letter. Each message is a
 * JSON record `{ attempts, lastError, deadAt, message }` whose `message` is the envelope as sent.
 */
export class NatsDeadLetters implements DeadLetterQueue {
  private readonly stream: string;

  constructor(
    private readonly conn: Connection,
    private readonly layout: Layout,
    private readonly queue: QueueName,
  ) {
    this.stream = layout.deadStream(queue);
  }

  /** Parks a message (its body exactly as stored) with why and how often it failed. */
  async park(body: string, id: string, attempts: number, lastError: string): Promise<void> {
    const record = `{"attempts":${attempts},"lastError":${JSON.stringify(lastError)},"deadAt":"${new Date().toISOString()}","message":${body}}`;
    // Stryker disable next-line StringLiteral: the operation's description in error messages
    await guarded(`dead-letter ${id} in ${this.queue}`, () =>
      this.conn.js.publish(this.layout.deadSubject(this.queue, id), record),
    );
  }

  async count(): Promise<number> {
    // Stryker disable next-line StringLiteral: the operation's description in error messages
    const info = await guarded(`read ${this.stream}`, () => this.conn.jsm.streams.info(this.stream));
    return info.state.messages;
  }

  async list(limit: number): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    for await (const stored of this.scan()) {
      if (letters.length >= limit) break;
      letters.push(toDeadLetter(stored));
    }
    return letters;
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const stored = await this.find(id);
    return stored && toDeadLetter(stored);
  }

  /**
   * Publishes each letter's message back to its queue, then deletes the letter. The republish
   * carries `Nats-Msg-Id` `<id>:redrive:<letter seq>`, not the event id: the event id is likely
   * still in the duplicate window (it was sent minutes ago) and the redrive would be swallowed as
   * a duplicate. The letter's sequence makes a redrive repeated after a crash a duplicate itself.
   * The message is new to the stream, so its attempt count starts again at 1.
   */
  async redrive(ids?: readonly string[]): Promise<number> {
    let redriven = 0;
    for await (const stored of ids === undefined ? this.scan() : this.each(ids)) {
      const letter = toDeadLetter(stored);
      // Stryker disable next-line StringLiteral: the operation's description in error messages
      await guarded(`redrive ${letter.message.id} to ${this.queue}`, async () => {
        await this.conn.js.publish(this.layout.queueSubject(this.queue), JSON.stringify(letter.message), {
          msgID: `${letter.message.id}:redrive:${stored.seq}`,
        });
        await this.conn.jsm.streams.deleteMessage(this.stream, stored.seq, false);
      });
      redriven++;
    }
    return redriven;
  }

  async purge(ids?: readonly string[]): Promise<number> {
    // Stryker disable next-line StringLiteral: the operation's description in error messages
    return guarded(`purge dead letters of ${this.queue}`, async () => {
      if (ids === undefined) return (await this.conn.jsm.streams.purge(this.stream)).purged;
      let purged = 0;
      for (const id of ids)
        purged += (await this.conn.jsm.streams.purge(this.stream, { filter: this.layout.deadSubject(this.queue, id) }))
          .purged;
      return purged;
    });
  }

  private find(id: string): Promise<Stored | undefined> {
    return readStored(this.conn, this.stream, { last_by_subj: this.layout.deadSubject(this.queue, id) });
  }

  private async *each(ids: readonly string[]): AsyncGenerator<Stored> {
    for (const id of ids) {
      const stored = await this.find(id);
      if (stored !== undefined) yield stored;
    }
  }

  /** Oldest first, up to the newest letter when the scan began (letters parked meanwhile wait). */
  private async *scan(): AsyncGenerator<Stored> {
    // Stryker disable next-line StringLiteral: the operation's description in error messages
    const info = await guarded(`read ${this.stream}`, () => this.conn.jsm.streams.info(this.stream));
    for (let seq = Math.max(1, info.state.first_seq); seq <= info.state.last_seq;) {
      const stored = await readStored(this.conn, this.stream, {
        seq,
        next_by_subj: this.layout.deadSubjects(this.queue),
      });
      if (stored === undefined || stored.seq > info.state.last_seq) return;
      yield stored;
      seq = stored.seq + 1;
    }
  }
}

interface DeadRecord {
  readonly attempts: number;
  readonly lastError: string;
  readonly deadAt: string;
  readonly message: Envelope;
}

function toDeadLetter(stored: Stored): DeadLetter {
  const record = JSON.parse(stored.body) as DeadRecord;
  return { message: record.message, attempts: record.attempts, lastError: record.lastError, deadAt: record.deadAt };
}
