import { ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Delivery, Envelope, Queue, QueueStats, ReceiveWait } from '../../ports/index.js';
import { envelopeIn } from '../queues/envelope-in.js';
import { MAX_BATCH_ENTRIES, perTurn } from './batches.js';
import { SqsDeadLetters } from './dead-letters.js';
import { SqsDelivery, leaseSeconds, type DeliveryContext } from './delivery.js';
import { guarded } from './errors.js';
import { ATTRIBUTE, queueCounts, readNumber, readText, sendEach, toBody, type Outgoing } from './messages.js';
import { Settler } from './settler.js';

/** Where a queue and its dead-letter queue are. */
export interface QueueUrls {
  readonly url: string;
  readonly deadUrl: string;
}

/** How long one receive waits for a message (long polling: fewer empty, billed answers; a stop waits at most this). */
const WAIT_SECONDS = 1;
/** The most of a lease's start that may hide in a receive's round trip (see `receive`). */
const MAX_CLOCK_MARGIN_MS = 1000;

/**
 * A standard SQS queue. `receive` takes up to ten messages a call (SQS's limit), more in parallel
 * calls when the first comes back full; a message whose lease lapsed `maxLeaseLapses` times is
 * dead-lettered there instead of being handed out. What standard queues cannot do, this engine does
 * not pretend to: no dedup on send (consumers are idempotent), no age of the oldest message (SQS
 * reports it only to CloudWatch, as `ApproximateAgeOfOldestMessage`: `oldestReadyAgeMs` is 0).
 */
export class SqsQueue implements Queue {
  readonly deadLetters: SqsDeadLetters;
  private readonly ctx: DeliveryContext;

  constructor(
    readonly name: string,
    private readonly sqs: SQSClient,
    private readonly urls: QueueUrls,
    private readonly limits: { readonly maxAttempts: number; readonly maxLeaseLapses: number },
  ) {
    const send = perTurn<Outgoing>((messages) => sendEach(sqs, urls.url, messages, `send to ${name}`));
    this.deadLetters = new SqsDeadLetters(sqs, urls.deadUrl, name, send);
    this.ctx = {
      maxAttempts: limits.maxAttempts,
      settler: new Settler(sqs, urls.url, name),
      dead: this.deadLetters,
      send,
    };
  }

  send(messages: readonly Envelope[]): Promise<void> {
    return this.ctx.send(messages.map((message) => ({ body: toBody(message) })));
  }

  /**
   * Waiting (`wait`), long polls of `WAIT_SECONDS` follow one another until a message comes or the
   * wait ends; an abort is seen between two, never by abandoning one (a message SQS handed to an
   * abandoned poll would stay hidden until its visibility timeout).
   */
  async receive(max: number, leaseMs: number, wait?: ReceiveWait): Promise<Delivery[]> {
    const until = Date.now() + (wait?.ms ?? 0);
    for (;;) {
      const got = await this.receiveSome(max, leaseMs);
      if (got.length > 0 || wait?.signal?.aborted === true || Date.now() >= until) return got;
    }
  }

  private async receiveSome(max: number, leaseMs: number): Promise<Delivery[]> {
    const limit = Math.floor(max);
    if (limit < 1) return [];
    const seconds = leaseSeconds(leaseMs);
    const first = await this.receiveOnce(Math.min(MAX_BATCH_ENTRIES, limit), seconds, WAIT_SECONDS);
    let messages = first;
    if (first.length === MAX_BATCH_ENTRIES && limit > MAX_BATCH_ENTRIES) {
      // A full first answer: there is more; take the rest at once, without waiting.
      const calls = Array.from({ length: Math.ceil((limit - MAX_BATCH_ENTRIES) / MAX_BATCH_ENTRIES) }, (_, i) =>
        this.receiveOnce(Math.min(MAX_BATCH_ENTRIES, limit - MAX_BATCH_ENTRIES * (i + 1)), seconds, 0),
      );
      messages = [...first, ...(await Promise.all(calls)).flat()];
    }
    const admitted = await Promise.all(messages.map((received) => this.admit(received, this.ctx)));
    return admitted.filter((delivery): delivery is SqsDelivery => delivery instanceof SqsDelivery);
  }

  /**
   * Deliveries of the records a Lambda event source mapping received, leased until `deadline` (the
   * invocation's end). Deleting a handled message is the invocation's part: Lambda deletes every
   * record the function does not report failed. So a settle here sends what it must (a retry's
   * copy, a dead letter) and leaves the delete to Lambda; a record whose settle did not go through
   * (`'failed'`, or a delivery not `done`) must be reported failed, and comes back.
   */
  async admitRecords(records: readonly SqsRecord[], deadline: number): Promise<(SqsDelivery | 'parked' | 'failed')[]> {
    const ctx: DeliveryContext = {
      ...this.ctx,
      settler: {
        delete: async () => true,
        changeVisibility: (handle, seconds) => this.ctx.settler.changeVisibility(handle, seconds),
      },
    };
    return Promise.all(records.map((record) => this.admit({ message: fromRecord(record), deadline }, ctx)));
  }

  /**
   * Ready, in flight and delayed are SQS's approximate counts (exact on an idle queue); dead is the
   * dead-letter queue's total. `oldestReadyAgeMs` is 0: see the class comment.
   */
  async stats(): Promise<QueueStats> {
    const [{ ready, inFlight, delayed }, dead] = await Promise.all([
      queueCounts(this.sqs, this.urls.url, `read ${this.name}`),
      this.deadLetters.count(),
    ]);
    return { ready, inFlight, delayed, dead, oldestReadyAgeMs: 0 };
  }

  /**
   * One receive call, each message with the deadline of its lease by this process's clock. SQS
   * starts the visibility timeout when it answers, somewhere within the round trip: the deadline
   * counts from the answer's arrival minus the round trip (at most a second, for a long poll that
   * waited), so it never ends after the real one.
   */
  private async receiveOnce(
    max: number,
    seconds: number,
    waitSeconds: number,
  ): Promise<{ message: Message; deadline: number }[]> {
    const sent = Date.now();
    const { Messages: messages = [] } = await guarded(`receive from ${this.name}`, () =>
      this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.urls.url,
          MaxNumberOfMessages: max,
          VisibilityTimeout: seconds,
          WaitTimeSeconds: waitSeconds,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      ),
    );
    const arrived = Date.now();
    const deadline = arrived + seconds * 1000 - Math.min(arrived - sent, MAX_CLOCK_MARGIN_MS);
    return messages.map((message) => ({ message, deadline }));
  }

  /** A received message becomes a delivery, or (lapses used up, unreadable) a dead letter: `'parked'`, or `'failed'` when parking failed. */
  private async admit(
    { message, deadline }: { message: Message; deadline: number },
    ctx: DeliveryContext,
  ): Promise<SqsDelivery | 'parked' | 'failed'> {
    const body = message.Body ?? '';
    const receiptHandle = message.ReceiptHandle ?? '';
    const attributes = message.MessageAttributes;
    const attempt = readNumber(attributes, ATTRIBUTE.attempt, 1);
    // Receives of this copy beyond the first ended unsettled; a retry's copy carries the earlier ones.
    const lapses = readNumber(attributes, ATTRIBUTE.lapses, 0) + receiveCount(message) - 1;
    const envelope = envelopeIn(body);
    if (envelope === undefined)
      return this.park(ctx, body, receiptHandle, attempt, 'unreadable: not a JSON envelope with an id');
    if (lapses >= this.limits.maxLeaseLapses) {
      const lastError = readText(attributes, ATTRIBUTE.lastError);
      return this.park(
        ctx,
        body,
        receiptHandle,
        attempt,
        `lease expired ${lapses} times${lastError === undefined ? '' : ` (last error: ${lastError})`}`,
      );
    }
    return new SqsDelivery(envelope, attempt, lapses, { body, receiptHandle, deadline }, ctx);
  }

  private async park(
    ctx: DeliveryContext,
    body: string,
    receiptHandle: string,
    attempts: number,
    why: string,
  ): Promise<'parked' | 'failed'> {
    try {
      await this.deadLetters.park(body, attempts, why);
      await ctx.settler.delete(receiptHandle);
      return 'parked';
    } catch {
      // Left as it is, it comes back when its visibility ends and is dead-lettered then (or by the redrive policy).
      return 'failed';
    }
  }
}

/** A record of a Lambda SQS event, as the event source mapping hands it over (the fields used here). */
export interface SqsRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: { readonly ApproximateReceiveCount?: string };
  readonly messageAttributes: Readonly<
    Record<string, { readonly dataType: string; readonly stringValue?: string | undefined }>
  >;
}

/** The same message as a receive would have answered it. */
function fromRecord(record: SqsRecord): Message {
  return {
    MessageId: record.messageId,
    ReceiptHandle: record.receiptHandle,
    Body: record.body,
    Attributes: {
      ...(record.attributes.ApproximateReceiveCount === undefined
        ? {}
        : { ApproximateReceiveCount: record.attributes.ApproximateReceiveCount }),
    },
    MessageAttributes: Object.fromEntries(
      Object.entries(record.messageAttributes).map(([name, value]) => [
        name,
        { DataType: value.dataType, ...(value.stringValue === undefined ? {} : { StringValue: value.stringValue }) },
      ]),
    ),
  };
}

/** How often SQS has handed out this copy, this time included. */
function receiveCount(message: Message): number {
  const count = Number(message.Attributes?.ApproximateReceiveCount);
  return Number.isFinite(count) && count >= 1 ? count : 1;
}
