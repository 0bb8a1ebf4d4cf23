import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { MAX_LEASE_LAPSES, type Messaging } from './messaging.js';
import { CONSUMERS, QUEUE_OF, type ConsumerName, type Names, type WorkQueueName } from './names.js';

/** The cap of a retry's backoff in the Lambdas, in ms: a fifth of the timeout below. */
export const RETRY_MAX_MS = 5000;

/** Every consumer's function timeout: a batch is seconds of SQS/SNS/DynamoDB calls, 30 s is far beyond a healthy one. */
export const FUNCTION_TIMEOUT = Duration.seconds(30);

export interface ConsumerTuning {
  /** Messages per invocation. */
  readonly batchSize: number;
  /** How long SQS gathers a batch first (required above 10 messages). Undefined: invoke at once. */
  readonly maxBatchingWindow?: Duration;
  /**
   * Concurrent invocations SQS may start for this queue (2–1000). The bound that keeps a burst from
   * exhausting what is behind the consumer: the table's on-demand throughput (it doubles its previous
   * peak at most), the hot partition of the tally's counters. Not reserved concurrency: that would
   * carve out of the account's pool (10 on a new account, where a deploy would fail) and, set lower
   * than this, throttle SQS's invocations into extra receives.
   */
  readonly maxConcurrency: number;
  readonly memorySize: number;
}

/**
 * The parser is on the wish's path to the wall (the 10 s freshness objective): small batches, no
 * batching window, the most concurrency; it writes to the table only for rejections. The worker and
 * the tally write every wish: batches of 100 gathered for up to 1 s, so a burst is a few large
 * invocations. The tally runs fewest at once: its destination counters are a handful of items that
 * every batch updates, and concurrent updates of one item only conflict and retry. Memory also buys
 * CPU on Lambda (a whole vCPU at 1,769 MB): 512 MB gives a runtime with OpenTelemetry loaded
 * about a third of one, enough for batches that mostly wait on I/O.
 */
export const TUNING: Readonly<Record<ConsumerName, ConsumerTuning>> = {
  parser: { batchSize: 10, maxConcurrency: 10, memorySize: 512 },
  worker: { batchSize: 100, maxBatchingWindow: Duration.seconds(1), maxConcurrency: 10, memorySize: 512 },
  tally: { batchSize: 100, maxBatchingWindow: Duration.seconds(1), maxConcurrency: 5, memorySize: 512 },
};

/**
 * A queue's visibility timeout for its consumer: 6× the function timeout (AWS's rule for SQS → Lambda,
 * so a throttled or retried invocation does not see its batch redelivered to another) plus the
 * batching window, which also runs while the messages are in flight.
 */
export function visibilityTimeoutFor(name: WorkQueueName): Duration {
  const consumer = CONSUMERS.find((c) => QUEUE_OF[c] === name);
  if (consumer === undefined) throw new Error(`no consumer reads ${name}`);
  return Duration.seconds(6 * FUNCTION_TIMEOUT.toSeconds() + (TUNING[consumer].maxBatchingWindow?.toSeconds() ?? 0));
}

/** The newest Node.js runtime Lambda offers in this aws-cdk-lib (the code is built for Node ≥ 20; 24 is the current LTS). */
export const RUNTIME = lambda.Runtime.NODEJS_24_X;

/** The alias every event source invokes. */
const LIVE_ALIAS = 'live';

/**
 * The DynamoDB actions the worker and the tally call (src/engines/dynamodb), on the table itself. A
 * transaction (TransactWriteItems) is authorised item by item, as the PutItem or UpdateItem it holds.
 * - worker (`store.put`): BatchGetItem of the evacuees' CURRENT items; a transaction putting the record
 *   and CURRENT and updating the superseded record, or one conditional PutItem.
 * - tally (`readModel.apply`, `noteCanary`): BatchGetItem of the WALL items; a conditional PutItem, or
 *   a transaction of it with the counters' UpdateItem (ADD).
 * Neither deletes, scans, queries an index or writes in batches.
 */
const WRITER_TABLE_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

export interface ConsumersProps {
  readonly names: Names;
  readonly code: (name: ConsumerName) => lambda.Code;
  readonly messaging: Messaging;
  readonly table: dynamodb.TableV2;
  /** Variables every function gets (engine URLs, OTLP settings). */
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The parser, the worker and the tally as Lambda functions, each fed by its queue with partial batch
 * failures: a failed message goes back alone, its batch's others are deleted. Outside the VPC: they
 * only call public AWS endpoints, and a VPC would add cold-start time and a NAT dependency.
 *
 * Permissions, each the least its handler needs (src/lambda/consumer.ts, src/engines/sqs, dynamodb):
 * - every consumer: consume its queue (the event source's grant); send to that queue (a retry is a
 *   delayed copy carrying the attempt count) and to its DLQ (a dead letter, with its reason); look up
 *   every queue's URL (the engine finds them all by name when it opens).
 * - parser: publish to `wish.parsed`; record a rejection (a conditional PutItem, ConditionCheckItem
 *   for a transaction: no reads, no updates, no deletes, no batches, since BatchWriteItem deletes too).
 * - worker, tally: `WRITER_TABLE_ACTIONS`, on the table alone (no index: the wall and the audit read those).
 *
 * Each function is invoked through its alias `live` (the event source points at it), so a new version
 * takes traffic only as CodeDeploy shifts it (canary.ts).
 */
export class Consumers extends Construct {
  readonly functions: Readonly<Record<ConsumerName, lambda.Function>>;
  /** `live`: what SQS invokes, and what a deployment moves from one version to the next. */
  readonly aliases: Readonly<Record<ConsumerName, lambda.Alias>>;

  constructor(scope: Construct, id: string, props: ConsumersProps) {
    super(scope, id);
    const { names, messaging, table } = props;
    const functions = {} as Record<ConsumerName, lambda.Function>;
    const aliases = {} as Record<ConsumerName, lambda.Alias>;
    for (const name of CONSUMERS) {
      const queueName = QUEUE_OF[name];
      const tuning = TUNING[name];
      const fn = new lambda.Function(this, name, {
        functionName: names.fn(name),
        description: `Exodus ${name}: consumes ${names.queue(queueName)}`,
        runtime: RUNTIME,
        architecture: lambda.Architecture.ARM_64,
        handler: 'index.handler',
        code: props.code(name),
        timeout: FUNCTION_TIMEOUT,
        memorySize: tuning.memorySize,
        loggingFormat: lambda.LoggingFormat.JSON,
        logGroup: new logs.LogGroup(this, `${name}-logs`, {
          logGroupName: `/aws/lambda/${names.fn(name)}`,
          retention: props.logRetention,
        }),
        environment: {
          ...props.environment,
          EXODUS_MAX_ATTEMPTS: '5',
          // Tied to the queues' redrive (MAX_RECEIVE_COUNT is this + 1), so it is said here, not defaulted.
          EXODUS_MAX_LEASE_LAPSES: String(MAX_LEASE_LAPSES),
          // A store outage is held through only while a backoff capped at this still ends inside the
          // invocation (src/lambda/consumer.ts): well under the 30 s timeout (the default, 30 s, never is).
          EXODUS_RETRY_MAX_MS: String(RETRY_MAX_MS),
          EXODUS_LOG_FORMAT: 'json',
          NODE_OPTIONS: '--enable-source-maps',
        },
      });
      // currentVersion: a new version whenever the code or configuration changes, which the alias then moves to.
      const alias = new lambda.Alias(this, `${name}-live`, {
        aliasName: LIVE_ALIAS,
        // `as`: the exactOptionalPropertyTypes mismatch of aws-cdk-lib's classes (see frontend.ts).
        version: fn.currentVersion as lambda.IVersion,
      });
      alias.addEventSource(
        new SqsEventSource(messaging.queues[queueName], {
          batchSize: tuning.batchSize,
          ...(tuning.maxBatchingWindow === undefined ? {} : { maxBatchingWindow: tuning.maxBatchingWindow }),
          reportBatchItemFailures: true,
          maxConcurrency: tuning.maxConcurrency,
        }),
      );
      messaging.queues[queueName].grantSendMessages(fn);
      messaging.deadLetterQueues[queueName].grantSendMessages(fn);
      messaging.grantLookup(fn);
      functions[name] = fn;
      aliases[name] = alias;
    }
    messaging.wishParsed.grantPublish(functions.parser);
    table.grant(functions.parser, 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem');
    for (const name of ['worker', 'tally'] as const) {
      iam.Grant.addToPrincipal({
        grantee: functions[name],
        actions: WRITER_TABLE_ACTIONS,
        resourceArns: [table.tableArn],
      });
    }
    this.functions = functions;
    this.aliases = aliases;
  }
}
