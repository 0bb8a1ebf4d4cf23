import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_MAX_LEASE_LAPSES } from '../../src/ports/index.js';
import { SUBSCRIBED_QUEUES, WORK_QUEUES, type Names, type SubscribedQueueName, type WorkQueueName } from './names.js';

/**
 * Receives of one message before SQS moves it to the DLQ by itself: the net under the engine's own
 * dead-lettering (src/engines/sqs). A failed attempt is settled by the handler (a delayed copy
 * carrying its attempt count, and after EXODUS_MAX_ATTEMPTS, 5, the DLQ with the reason); a delivery
 * that ends with no answer at all (a crash, a timeout, running out of memory) is a lapse, and the
 * engine dead-letters a message itself, with the reason, at the receive after EXODUS_MAX_LEASE_LAPSES
 * lapses. So SQS may only act one receive later: lapses + 1, as the engine provisions its queues on
 * an emulator. (≥ 5, as SQS → Lambda wants; generous because a crash fails a whole batch at once, so
 * every message in it spends a receive.)
 */
export const MAX_LEASE_LAPSES = DEFAULT_MAX_LEASE_LAPSES;
export const MAX_RECEIVE_COUNT = MAX_LEASE_LAPSES + 1;

/**
 * A work queue keeps a message 7 days: a week-long outage of the consumers loses nothing. Its DLQ keeps
 * 14 (SQS's maximum), longer than the source, because a message redriven by SQS keeps its original
 * enqueue time, and an operator needs time to look at dead letters.
 */
export const QUEUE_RETENTION = Duration.days(7);
export const DLQ_RETENTION = Duration.days(14);

export interface MessagingProps {
  readonly names: Names;
  /** Per work queue: how long a received message stays invisible (≥ 6× its consumer's timeout). */
  readonly visibilityTimeout: (name: WorkQueueName) => Duration;
}

/**
 * The intake queue, the `wish.parsed` topic and its two subscriber queues, each queue with its DLQ.
 * Standard queues (not FIFO): every consumer is idempotent and order-insensitive (the version rule),
 * and FIFO would cap the burst. Encryption is SQS-managed (SSE-SQS): SNS can deliver to it without a
 * KMS key policy, and it costs nothing per request. Every queue and the topic refuse plain HTTP.
 */
export class Messaging extends Construct {
  readonly queues: Readonly<Record<WorkQueueName, sqs.Queue>>;
  readonly deadLetterQueues: Readonly<Record<WorkQueueName, sqs.Queue>>;
  readonly wishParsed: sns.Topic;
  /**
   * Per subscribed queue, what SNS could not deliver to it after its retries (a policy gone wrong, a
   * queue deleted by hand): one each, so a redrive knows where its messages belong.
   */
  readonly deliveryDeadLetterQueues: Readonly<Record<SubscribedQueueName, sqs.Queue>>;

  constructor(scope: Construct, id: string, { names, visibilityTimeout }: MessagingProps) {
    super(scope, id);
    const queues = {} as Record<WorkQueueName, sqs.Queue>;
    const deadLetterQueues = {} as Record<WorkQueueName, sqs.Queue>;
    // Every queue outlives the stack (RETAIN): a stack deleted or replaced by mistake must not take
    // unprocessed wishes and dead letters with it. Recreating the stack then needs them deleted by hand.
    const common = {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    };
    for (const name of WORK_QUEUES) {
      const dlq = new sqs.Queue(this, `${name}-dlq`, {
        queueName: names.deadLetterQueue(name),
        retentionPeriod: DLQ_RETENTION,
        ...common,
      });
      deadLetterQueues[name] = dlq;
      queues[name] = new sqs.Queue(this, name, {
        queueName: names.queue(name),
        retentionPeriod: QUEUE_RETENTION,
        visibilityTimeout: visibilityTimeout(name),
        ...common,
        deadLetterQueue: { queue: dlq, maxReceiveCount: MAX_RECEIVE_COUNT },
      });
    }
    this.queues = queues;
    this.deadLetterQueues = deadLetterQueues;

    // Not KMS-encrypted: with the AWS-managed key SNS could not deliver to the queues, and a customer
    // key would add a key policy to every publisher and subscriber for data that is in SQS anyway.
    this.wishParsed = new sns.Topic(this, 'wish-parsed', { topicName: names.wishParsedTopic, enforceSSL: true });
    // Raw delivery: the queues get the envelope the parser published, not SNS's JSON wrapping of it,
    // so the consumers read the same message shape from every engine. The subscription also adds each
    // queue's policy letting this topic (and only it: aws:SourceArn) send. What SNS cannot deliver
    // after its retries goes to the subscriptions' DLQ (its policy likewise), not nowhere.
    const deliveryDeadLetterQueues = {} as Record<SubscribedQueueName, sqs.Queue>;
    for (const name of SUBSCRIBED_QUEUES) {
      const dlq = new sqs.Queue(this, `${name}-delivery-dlq`, {
        queueName: names.deliveryDeadLetterQueue(name),
        retentionPeriod: DLQ_RETENTION,
        ...common,
      });
      this.wishParsed.addSubscription(
        new SqsSubscription(queues[name], { rawMessageDelivery: true, deadLetterQueue: dlq }),
      );
      deliveryDeadLetterQueues[name] = dlq;
    }
    this.deliveryDeadLetterQueues = deliveryDeadLetterQueues;
  }

  /**
   * sqs:GetQueueUrl on every queue of the stack: the engine looks up all of them by name when it opens
   * (src/engines/sqs/provision.ts), whichever it then uses. A lookup only: it reads or sends nothing.
   */
  grantLookup(grantee: iam.IGrantable): void {
    const queues = [...Object.values(this.queues), ...Object.values(this.deadLetterQueues)];
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['sqs:GetQueueUrl'],
      resourceArns: queues.map((queue) => queue.queueArn),
    });
  }
}
