import { SUBSCRIPTIONS, type QueueName } from '../../ports/index.js';

/**
 * Where each queue's messages live: streams, subjects and durable consumers, all under one prefix.
 *
 * ```
 * <p>-queue-<q>        subject <p>.queue.<q>               WorkQueue  consumer <p>-<q>   (direct sends, redrives)
 * <p>-topic-<t>        subject <p>.topic.<t>               Limits*    consumer <p>-<q> per subscription q
 * <p>-dead-<q>         subjects <p>.dead.<q>.<id64>        Limits     1 per subject (one dead letter per event id)
 * <p>-ledger-<q>       subjects <p>.ledger.<q>.<lane>.<seq>.<wait>  Limits  1 per subject (waiting redeliveries)
 * ```
 * *trimmed below every subscription's ack floor by the client (topic-trim.ts), not Interest retention.
 * `<t>` is the topic name with dots as dashes in stream names (`wish.parsed` → `wish-parsed`); `<id64>`
 * is the event id in base64url, because an id may hold characters a subject token may not (`.`, `*`,
 * `>`, spaces). `<wait>` is `delayed` for a message retried with a delay, `now` for one given back to
 * be redelivered at once, so the delayed ones can be counted by subject.
 */
export class Layout {
  constructor(readonly prefix: string) {}

  /** Every place a queue receives from: its own stream, then each topic it subscribes to. */
  lanes(queue: QueueName): Lane[] {
    const lanes: Lane[] = [
      {
        key: 'queue',
        stream: this.queueStream(queue),
        consumer: this.consumer(queue),
        subject: this.queueSubject(queue),
        ackRemoves: true,
      },
    ];
    for (const [topic, subscribers] of Object.entries(SUBSCRIPTIONS)) {
      if (!subscribers.includes(queue)) continue;
      lanes.push({
        key: `topic-${dashed(topic)}`,
        stream: this.topicStream(topic),
        consumer: this.consumer(queue),
        subject: this.topicSubject(topic),
        ackRemoves: false,
      });
    }
    return lanes;
  }

  queueStream(queue: QueueName): string {
    return `${this.prefix}-queue-${queue}`;
  }
  queueSubject(queue: QueueName): string {
    return `${this.prefix}.queue.${queue}`;
  }
  topicStream(topic: string): string {
    return `${this.prefix}-topic-${dashed(topic)}`;
  }
  topicSubject(topic: string): string {
    return `${this.prefix}.topic.${topic}`;
  }
  consumer(queue: QueueName): string {
    return `${this.prefix}-${queue}`;
  }

  deadStream(queue: QueueName): string {
    return `${this.prefix}-dead-${queue}`;
  }
  deadSubjects(queue: QueueName): string {
    return `${this.prefix}.dead.${queue}.*`;
  }
  deadSubject(queue: QueueName, id: string): string {
    return `${this.prefix}.dead.${queue}.${Buffer.from(id, 'utf8').toString('base64url')}`;
  }

  ledgerStream(queue: QueueName): string {
    return `${this.prefix}-ledger-${queue}`;
  }
  ledgerSubjects(queue: QueueName): string {
    return `${this.prefix}.ledger.${queue}.>`;
  }
  /** `wait` `*`: both records a message may have (a subject pattern). */
  ledgerSubject(queue: QueueName, lane: Lane, streamSeq: number, wait: LedgerWait | '*'): string {
    return `${this.prefix}.ledger.${queue}.${lane.key}.${streamSeq}.${wait}`;
  }
  /** Every message's record of a retry with a delay. */
  delayedLedgerSubjects(queue: QueueName): string {
    return `${this.prefix}.ledger.${queue}.*.*.delayed`;
  }
}

/** How a message given back waits for its redelivery: `now` (deliverable at once) or `delayed` (after a retry's delay). */
export type LedgerWait = 'now' | 'delayed';

/** One stream + durable pull consumer a queue receives from. */
export interface Lane {
  /** Names the lane in ledger subjects: `queue` or `topic-<t>`. */
  readonly key: string;
  readonly stream: string;
  readonly consumer: string;
  /** The consumer's single filter subject (NATS 2.9 has no `filter_subjects`), and the stream's only one. */
  readonly subject: string;
  /**
   * Whether an ack removes the message from the stream (WorkQueue retention: the queue's own stream),
   * so that every message the stream stores is unacknowledged; a topic stream keeps acked messages
   * until it is trimmed below every subscription's ack floor (topic-trim.ts).
   */
  readonly ackRemoves: boolean;
}

function dashed(topic: string): string {
  return topic.replaceAll('.', '-');
}
