import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Envelope, Topic } from '../../ports/index.js';
import { inBatches, perTurn, refusalsOf } from './batches.js';
import { guarded } from './errors.js';
import { toBody } from './messages.js';

/**
 * An SNS topic with one SQS queue subscribed per subscriber, with raw message delivery: each queue
 * receives the envelope itself. `publish` resolves when SNS has accepted every message; SNS stores
 * it durably and delivers to the queues itself, retrying (on AWS that delivery follows within
 * milliseconds; the emulator delivers before it answers).
 */
export class SnsTopic implements Topic {
  // The publishes of one turn (a parser's batch) share batch calls.
  private readonly publishes = perTurn<Envelope>((messages) => this.publishNow(messages));

  constructor(
    readonly name: string,
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  publish(messages: readonly Envelope[]): Promise<void> {
    return this.publishes(messages);
  }

  /** Publishes in batches, answering each message with its refusal or undefined (as `sendEach` does for a queue). */
  private async publishNow(messages: readonly Envelope[]): Promise<(Error | undefined)[]> {
    const doing = `publish to ${this.name}`;
    const entries = messages.map((message, i) => ({ Id: String(i), Message: toBody(message) }));
    const refused = await inBatches(
      entries,
      (batch) =>
        guarded(
          doing,
          () => this.sns.send(new PublishBatchCommand({ TopicArn: this.topicArn, PublishBatchRequestEntries: batch })),
          'send',
        ),
      doing,
      (entry) => Buffer.byteLength(entry.Message),
    );
    return refusalsOf(entries, refused, doing);
  }
}
