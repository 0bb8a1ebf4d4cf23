import { SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { QUEUES, type Delivery, type MessagingEngine, type QueueName } from '../../ports/index.js';
import { awsClientConfig, parseAwsUrl } from '../aws/url.js';
import type { Engine } from '../engine.js';
import { engineLimits, type EngineOptions } from '../options.js';
import type { Settle } from './delivery.js';
import { guarded } from './errors.js';
import { Layout } from './layout.js';
import { deleteAll, locate } from './provision.js';
import { SqsQueue, type SqsRecord } from './queue.js';
import { SnsTopic } from './topic.js';

/**
 * The AWS messaging engine: `sqs://REGION[/NAME][?endpoint=URL][&account=ID]`. Queues are standard
 * SQS queues, each with a dead-letter queue; the `wish.parsed` topic is SNS fanning out to its
 * subscriber queues (layout.ts names them all). Leases are visibility timeouts, in whole seconds;
 * attempts, lapses and the last error ride along as message attributes (delivery.ts); a dead
 * letter is parked with its reason by the engine (dead-letters.ts). Credentials come from the SDK's
 * default chain, never from the URL.
 */
export async function openSqsMessaging(url: string, options: EngineOptions): Promise<SqsMessaging> {
  const parsed = parseAwsUrl(url, 'sqs');
  const limits = engineLimits(options);
  const sqs = new SQSClient(awsClientConfig(parsed));
  const sns = new SNSClient(awsClientConfig(parsed));
  const layout = new Layout(parsed.name);
  let located;
  try {
    located = await locate(sqs, sns, layout, parsed, limits.maxLeaseLapses);
  } catch (error) {
    sqs.destroy();
    sns.destroy();
    throw error;
  }
  const queues = new Map<QueueName, SqsQueue>();
  // One of each per process, so the sends and publishes of a turn share their batches.
  const snsTopics = new Map<string, SnsTopic>();
  const { queues: urls, topics } = located;
  const queue = (name: QueueName): SqsQueue => {
    let found = queues.get(name);
    if (found === undefined) {
      const where = urls.get(name);
      if (where === undefined) throw new Error(`no queue "${name}"`);
      found = new SqsQueue(name, sqs, where, limits);
      queues.set(name, found);
    }
    return found;
  };
  return {
    queue,
    admitRecords: (name, records, deadline) => queue(name).admitRecords(records, deadline),
    topic(name) {
      let topic = snsTopics.get(name);
      if (topic === undefined) {
        const arn = topics.get(name);
        if (arn === undefined) throw new Error(`no topic "${name}"`);
        topic = new SnsTopic(name, sns, arn);
        snsTopics.set(name, topic);
      }
      return topic;
    },
    async ping() {
      const intake = urls.get(QUEUES.intake)?.url ?? '';
      await guarded('reach SQS', () =>
        sqs.send(new GetQueueAttributesCommand({ QueueUrl: intake, AttributeNames: ['QueueArn'] })),
      );
    },
    async close() {
      sqs.destroy();
      sns.destroy();
    },
  };
}

/** A delivery of a Lambda event's record; `settled` says how, once its settle went through (until then the record is reported failed). */
export type RecordDelivery = Delivery & { readonly settled: Settle | undefined };

export type { Settle } from './delivery.js';

/** The engine, and for a Lambda consumer the deliveries of an SQS event's records (see SqsQueue.admitRecords). */
export interface SqsMessaging extends MessagingEngine {
  admitRecords(
    queue: QueueName,
    records: readonly SqsRecord[],
    deadline: number,
  ): Promise<(RecordDelivery | 'parked' | 'failed')[]>;
}

export type { SqsRecord } from './queue.js';

/** Deletes the URL's queues and topic (tests and demos against an emulator; never production data). */
export async function deleteSqsNamespace(url: string): Promise<void> {
  const parsed = parseAwsUrl(url, 'sqs');
  const sqs = new SQSClient(awsClientConfig(parsed));
  const sns = new SNSClient(awsClientConfig(parsed));
  try {
    await deleteAll(sqs, sns, new Layout(parsed.name));
  } finally {
    sqs.destroy();
    sns.destroy();
  }
}

export const engine: Engine = { openMessaging: openSqsMessaging, destroyNamespace: deleteSqsNamespace };
