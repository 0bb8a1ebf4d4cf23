import {
  CreateTopicCommand,
  DeleteTopicCommand,
  ListSubscriptionsByTopicCommand,
  SubscribeCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QueueName } from '../../ports/index.js';
import type { AwsUrl } from '../aws/url.js';
import { classify, guarded } from './errors.js';
import type { Layout } from './layout.js';
import type { QueueUrls } from './queue.js';

/** Where everything is: each queue's URLs, each topic's ARN. */
export interface Located {
  readonly queues: ReadonlyMap<QueueName, QueueUrls>;
  readonly topics: ReadonlyMap<string, string>;
}

/** Dead letters are kept for SQS's longest retention, 14 days: time for an operator to look. */
const DEAD_LETTER_RETENTION_SECONDS = String(14 * 24 * 3600);

/**
 * Finds the queues and topics. On AWS they are the CDK app's (deploy/aws) and are only looked up: a
 * missing one is a deployment to make, said in one line. Against a local emulator (the URL names
 * an endpoint) what is missing is created, as the CDK app would: each queue with its dead-letter
 * queue as redrive target, the topic with a raw-delivery subscription per subscriber queue. The
 * redrive policy's `maxReceiveCount` is `maxLeaseLapses + 1`: the engine dead-letters a message
 * whose lease lapsed that often itself (with the reason) at that receive, so SQS's move is only the
 * net under it, for a process that died between.
 */
export async function locate(
  sqs: SQSClient,
  sns: SNSClient,
  layout: Layout,
  url: AwsUrl,
  maxLeaseLapses: number,
): Promise<Located> {
  const create = url.endpoint !== undefined;
  // Every process opens this at start (a Lambda at each cold start): the queues are looked up together.
  const queues = new Map<QueueName, QueueUrls>(
    await Promise.all(
      layout.queues.map(async (name): Promise<[QueueName, QueueUrls]> => {
        const deadUrl = await queueUrl(
          sqs,
          layout.deadLetterQueue(name),
          create ? { MessageRetentionPeriod: DEAD_LETTER_RETENTION_SECONDS } : undefined,
        );
        const redrive = create
          ? {
              RedrivePolicy: JSON.stringify({
                deadLetterTargetArn: await queueArn(sqs, deadUrl),
                maxReceiveCount: maxLeaseLapses + 1,
              }),
            }
          : undefined;
        return [name, { url: await queueUrl(sqs, layout.queue(name), redrive), deadUrl }];
      }),
    ),
  );
  const topics = new Map<string, string>();
  for (const { name, subscribers } of layout.topics) {
    const topicName = layout.topic(name);
    if (!create && url.account !== undefined) {
      topics.set(name, `arn:${partitionOf(url.region)}:sns:${url.region}:${url.account}:${topicName}`);
      continue;
    }
    // CreateTopic is idempotent: for an existing topic it answers its ARN.
    const { TopicArn: arn } = await guarded(`find topic ${topicName}`, () =>
      sns.send(new CreateTopicCommand({ Name: topicName })),
    );
    if (arn === undefined) throw new Error(`SNS gave no ARN for topic ${topicName}`);
    if (create)
      await subscribe(
        sqs,
        sns,
        arn,
        subscribers.map((subscriber) => queues.get(subscriber)?.url ?? ''),
      );
    topics.set(name, arn);
  }
  return { queues, topics };
}

/** Deletes every queue and topic of a layout (tests and demos on an emulator; never production data). */
export async function deleteAll(sqs: SQSClient, sns: SNSClient, layout: Layout): Promise<void> {
  for (const name of layout.queues) {
    for (const queueName of [layout.queue(name), layout.deadLetterQueue(name)]) {
      const found = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName })).catch(() => undefined);
      if (found?.QueueUrl !== undefined) await sqs.send(new DeleteQueueCommand({ QueueUrl: found.QueueUrl }));
    }
  }
  for (const { name } of layout.topics) {
    const { TopicArn: arn } = await sns.send(new CreateTopicCommand({ Name: layout.topic(name) }));
    if (arn !== undefined) await sns.send(new DeleteTopicCommand({ TopicArn: arn }));
  }
}

async function queueUrl(sqs: SQSClient, name: string, createWith: Record<string, string> | undefined): Promise<string> {
  try {
    const { QueueUrl: found } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    if (found !== undefined) return found;
  } catch (error) {
    if (!isMissingQueue(error)) throw classify(error, `find queue ${name}`);
    if (createWith === undefined)
      throw new Error(
        `SQS queue ${name} does not exist: deploy the CDK app (deploy/aws), or give an endpoint for a local emulator`,
      );
  }
  const { QueueUrl: created } = await guarded(`create queue ${name}`, () =>
    sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: createWith })),
  );
  if (created === undefined) throw new Error(`SQS gave no URL for queue ${name}`);
  return created;
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes: attributes } = await guarded(`read ${url}`, () =>
    sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })),
  );
  const arn = attributes?.QueueArn;
  if (arn === undefined) throw new Error(`SQS gave no ARN for ${url}`);
  return arn;
}

async function subscribe(
  sqs: SQSClient,
  sns: SNSClient,
  topicArn: string,
  queueUrls: readonly string[],
): Promise<void> {
  const { Subscriptions: existing = [] } = await guarded(`list subscriptions of ${topicArn}`, () =>
    sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn })),
  );
  for (const url of queueUrls) {
    const arn = await queueArn(sqs, url);
    if (existing.some((subscription) => subscription.Endpoint === arn)) continue;
    await guarded(`subscribe ${arn} to ${topicArn}`, () =>
      sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'sqs',
          Endpoint: arn,
          Attributes: { RawMessageDelivery: 'true' },
        }),
      ),
    );
  }
}

function isMissingQueue(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name ?? '';
  return name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue';
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
