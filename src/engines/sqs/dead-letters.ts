import { ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetter, DeadLetterQueue, Envelope } from '../../ports/index.js';
import { envelopeIn } from '../queues/envelope-in.js';
import { guarded } from './errors.js';
import {
  ATTRIBUTE,
  numberAttribute,
  queueCounts,
  readNumber,
  readText,
  sendMessages,
  textAttribute,
  type Outgoing,
} from './messages.js';
import { Settler } from './settler.js';

/** How long a letter stays hidden from other operators while `list`, `get`, `redrive` or `purge` looks through the queue. */
const HOLD_SECONDS = 30;

interface Held {
  readonly letter: DeadLetter;
  readonly body: string;
  readonly receiptHandle: string;
}

/**
 * A queue's dead-letter queue (`<name>-dlq`, also the target of its redrive policy). SQS has no way
 * to read a message without receiving it, so looking through the letters receives them with a short
 * hold and gives back (visibility 0) what was only looked at. Letters parked by the engine carry the
 * attempts, the error and the time as attributes; one moved here by SQS itself (its redrive policy,
 * the safety net behind the engine's own count) carries none, and says so.
 *
 * Redrive moves letters by hand, send then delete, rather than with `StartMessageMoveTask`: the
 * task moves a message with its attributes as they are and finishes later, while the port answers
 * with the number of letters back in the queue, deliverable, with a fresh attempt count.
 */
export class SqsDeadLetters implements DeadLetterQueue {
  private readonly settler: Settler;

  constructor(
    private readonly sqs: SQSClient,
    private readonly deadUrl: string,
    private readonly queueName: string,
    /** Sends to the queue these letters came from. */
    private readonly sendBack: (messages: readonly Outgoing[]) => Promise<void>,
  ) {
    this.settler = new Settler(sqs, deadUrl, `${queueName} dead letters`);
  }

  /** Parks a message (its body exactly as received) with how often it failed and why. */
  park(body: string, attempts: number, lastError: string): Promise<void> {
    const attributes = {
      [ATTRIBUTE.deadAttempts]: numberAttribute(attempts),
      [ATTRIBUTE.deadError]: textAttribute(lastError),
      [ATTRIBUTE.deadAt]: textAttribute(new Date().toISOString()),
    };
    return sendMessages(this.sqs, this.deadUrl, [{ body, attributes }], `dead-letter in ${this.queueName}`);
  }

  async count(): Promise<number> {
    const { ready, inFlight, delayed } = await queueCounts(
      this.sqs,
      this.deadUrl,
      `read ${this.queueName} dead letters`,
    );
    return ready + inFlight + delayed;
  }

  async list(limit: number): Promise<DeadLetter[]> {
    const held = await this.hold(limit);
    await this.release(held);
    return held.map((h) => h.letter);
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const held = await this.hold();
    await this.release(held);
    return held.find((h) => h.letter.message.id === id)?.letter;
  }

  async redrive(ids?: readonly string[]): Promise<number> {
    const { chosen, others } = await this.choose(ids);
    await this.release(others);
    // Without the engine's attributes: back in the queue, it starts again at attempt 1.
    await this.sendBack(chosen.map((h) => ({ body: h.body })));
    await Promise.all(chosen.map((h) => this.settler.delete(h.receiptHandle)));
    return chosen.length;
  }

  async purge(ids?: readonly string[]): Promise<number> {
    const { chosen, others } = await this.choose(ids);
    await this.release(others);
    await Promise.all(chosen.map((h) => this.settler.delete(h.receiptHandle)));
    return chosen.length;
  }

  private async choose(ids: readonly string[] | undefined): Promise<{ chosen: Held[]; others: Held[] }> {
    const held = await this.hold();
    const wanted = ids === undefined ? undefined : new Set(ids);
    const chosen = held.filter((h) => wanted === undefined || wanted.has(h.letter.message.id));
    return { chosen, others: held.filter((h) => !chosen.includes(h)) };
  }

  /** Receives (holds) up to `limit` letters; long polling, so an empty answer means none are left. */
  private async hold(limit = Infinity): Promise<Held[]> {
    const held = new Map<string, Held>();
    while (held.size < limit) {
      const { Messages: messages = [] } = await guarded(`read ${this.queueName} dead letters`, () =>
        this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.deadUrl,
            MaxNumberOfMessages: Math.min(10, limit - held.size),
            VisibilityTimeout: HOLD_SECONDS,
            WaitTimeSeconds: 1,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['SentTimestamp'],
          }),
        ),
      );
      if (messages.length === 0) break;
      for (const message of messages)
        if (message.MessageId !== undefined && message.ReceiptHandle !== undefined)
          held.set(message.MessageId, toHeld(message));
    }
    return [...held.values()];
  }

  private async release(held: readonly Held[]): Promise<void> {
    await Promise.all(held.map((h) => this.settler.changeVisibility(h.receiptHandle, 0)));
  }
}

function toHeld(message: Message): Held {
  const body = message.Body ?? '';
  const attributes = message.MessageAttributes;
  const sentAt = Number(message.Attributes?.SentTimestamp);
  const letter: DeadLetter = {
    // A body that is not an envelope (sent by hand) is shown as the text it is, like the NATS engine does.
    message: envelopeIn(body) ?? ({ id: `unreadable:${message.MessageId ?? ''}`, data: body } as unknown as Envelope),
    attempts: readNumber(attributes, ATTRIBUTE.deadAttempts, 0),
    lastError:
      readText(attributes, ATTRIBUTE.deadError) ??
      'moved here by the queue redrive policy: received more often than its maxReceiveCount without being settled',
    deadAt: readText(attributes, ATTRIBUTE.deadAt) ?? (Number.isFinite(sentAt) ? new Date(sentAt).toISOString() : ''),
  };
  return { letter, body, receiptHandle: message.ReceiptHandle ?? '' };
}
