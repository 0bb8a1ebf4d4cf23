import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Slo } from '../../src/ops/index.js';
import { BurnRateAlarms } from './burn-rate.js';
import type { Messaging } from './messaging.js';
import {
  CONSUMERS,
  QUEUE_OF,
  SUBSCRIBED_QUEUES,
  WORK_QUEUES,
  type ConsumerName,
  type Names,
  type WorkQueueName,
} from './names.js';

/**
 * Thresholds of the operational alarms.
 * - A dead letter is a fault someone must look at: one is enough.
 * - A queue's oldest message past 5 minutes: the pipeline is stuck or far behind (the freshness
 *   objective is 10 s from 202 to the wall).
 * - Lambda Errors count failed invocations (a crash, a timeout), not the messages a handler reported
 *   as failed in a batch: any is a fault. Throttles: the account's concurrency ran out.
 * - 5xx the load balancer made itself (no target answered): never deliberate, any is a fault; over two
 *   5-minute periods so a single connection reset during a deploy does not page.
 * - The targets' 5xx include deliberate sheds (503 with Retry-After), so only a volume of them is an
 *   alarm here; the burn-rate alarms judge the ratio.
 */
export const THRESHOLDS = {
  deadLetters: 0,
  oldestMessageSeconds: 300,
  lambdaErrors: 0,
  lambdaThrottles: 0,
  elb5xxPer5Minutes: 0,
  target5xxPer5Minutes: 100,
  tableThrottles: 0,
  tableSystemErrors: 0,
} as const;

/** The DynamoDB operations the code calls (src/engines/dynamodb), whose system errors are watched. */
const TABLE_OPERATIONS = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.PUT_ITEM,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.BATCH_GET_ITEM,
  dynamodb.Operation.QUERY,
  dynamodb.Operation.TRANSACT_WRITE_ITEMS,
] as const;

export interface AlarmsProps {
  readonly names: Names;
  readonly messaging: Messaging;
  readonly functions: Readonly<Record<ConsumerName, lambda.IFunction>>;
  readonly table: dynamodb.TableV2;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The wish-acceptance availability objective. */
  readonly slo: Slo;
  /** Subscribed to the alarm topic (it must confirm the subscription by the link AWS mails). */
  readonly email?: string | undefined;
}

/** Every alarm of the stack, all to one SNS topic (on ALARM and back to OK). */
export class Alarms extends Construct {
  readonly topic: sns.Topic;
  /** The alarms that notify (the burn-rate pairs' parts are in `burnRate.windowAlarms`). */
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly burnRate: BurnRateAlarms;
  /**
   * What says a new version of a consumer is bad: its errors, dead letters arriving in its queue's
   * DLQ, its queue's oldest message. A canary deployment rolls back on any of them (canary.ts).
   */
  readonly consumerHealth: Readonly<Record<ConsumerName, cloudwatch.Alarm[]>>;
  /** What says a new frontend task set is bad: 5xx from the load balancer and from the targets. */
  readonly frontendHealth: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const { names, messaging } = props;
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: names.alarmTopic,
      displayName: `${names.prefix} alarms`,
      enforceSSL: true,
    });
    // enforceSSL gives the topic a policy of its own, which replaces SNS's default one (the account may
    // publish): CloudWatch then needs saying that it may, for this account's alarms only.
    const { account, region, partition } = Stack.of(this);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
          StringEquals: { 'aws:SourceAccount': account },
        },
      }),
    );
    if (props.email !== undefined && props.email !== '') {
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(props.email))
        throw new Error(`alarmEmail is not an e-mail address: "${props.email}"`);
      this.topic.addSubscription(new EmailSubscription(props.email));
    }
    const action = new SnsAction(this.topic);
    const alarm = (
      alarmId: string,
      metric: cloudwatch.IMetric,
      options: {
        name: string;
        description: string;
        threshold: number;
        evaluationPeriods?: number;
        /** false: judges deployments only; another alarm tells people of the same fault. */
        notify?: boolean;
      },
    ): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric,
        alarmName: `${names.prefix}-${options.name}`,
        alarmDescription: options.description,
        threshold: options.threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: options.evaluationPeriods ?? 1,
        // No data is no traffic (or an empty queue): not a fault.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      if (options.notify === false) return created;
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };
    const queueHealth = {} as Record<WorkQueueName, cloudwatch.Alarm[]>;
    const fiveMinutes = Duration.minutes(5);
    /** What a dead-letter queue holds, minute by minute: any is a wish that needs a person. */
    const held = (queue: sqs.IQueue): cloudwatch.Metric =>
      queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(1) });

    for (const name of WORK_QUEUES) {
      const dlq = messaging.deadLetterQueues[name];
      alarm(`${name}-dead-letters`, held(dlq), {
        name: `${name}-dlq-not-empty`,
        description: `${names.deadLetterQueue(name)} holds dead letters: look at them (exodus dlq list --queue ${name}), fix, redrive`,
        threshold: THRESHOLDS.deadLetters,
      });
      // The deployments judge dead letters that arrive, not those held: letters left by an earlier
      // fault would roll back every deploy, the one that fixes them too (they wait for it to be redriven).
      const arriving = alarm(
        `${name}-dead-letters-arriving`,
        new cloudwatch.MathExpression({
          // An idle DLQ reports nothing (SQS reports an inactive queue's depth as missing): filled with
          // 0, the first letter after a quiet spell is growth, not a first point with nothing to compare.
          expression: 'DIFF(FILL(held, 0))',
          usingMetrics: { held: held(dlq) },
          period: Duration.minutes(1),
          label: 'dead letters added in the minute',
        }),
        {
          name: `${name}-dlq-growing`,
          description: `${names.deadLetterQueue(name)} took dead letters in the last minute: a deployment under way rolls back`,
          threshold: THRESHOLDS.deadLetters,
          notify: false,
        },
      );
      const oldest = alarm(
        `${name}-oldest`,
        messaging.queues[name].metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: fiveMinutes }),
        {
          name: `${name}-oldest-message`,
          description: `${names.queue(name)}: its oldest message waits more than ${THRESHOLDS.oldestMessageSeconds} s: its consumer is stuck or far behind`,
          threshold: THRESHOLDS.oldestMessageSeconds,
        },
      );
      queueHealth[name] = [arriving, oldest];
    }
    for (const name of SUBSCRIBED_QUEUES) {
      alarm(`${name}-delivery-dead-letters`, held(messaging.deliveryDeadLetterQueues[name]), {
        name: `${name}-delivery-dlq-not-empty`,
        description: `${names.deliveryDeadLetterQueue(name)} holds wishes SNS could not deliver to ${names.queue(name)}: fix that queue's policy, then move them there (aws sqs start-message-move-task --source-arn <this queue> --destination-arn <${names.queue(name)}>)`,
        threshold: THRESHOLDS.deadLetters,
      });
    }
    alarm(
      'wish-parsed-failed',
      messaging.wishParsed.metricNumberOfNotificationsFailed({ statistic: 'Sum', period: fiveMinutes }),
      {
        name: 'wish-parsed-delivery-failed',
        description: `${names.wishParsedTopic}: SNS failed to deliver to the store or tally queue (after its retries, to their delivery DLQs)`,
        threshold: THRESHOLDS.deadLetters,
      },
    );
    const consumerHealth = {} as Record<ConsumerName, cloudwatch.Alarm[]>;
    for (const name of CONSUMERS) {
      const fn = props.functions[name];
      // Errors of the function (every version): during a canary, the new version's fail it as well.
      const errors = alarm(`${name}-errors`, fn.metricErrors({ statistic: 'Sum', period: fiveMinutes }), {
        name: `${name}-errors`,
        description: `${names.fn(name)}: invocations failed (crash or timeout; each one fails its whole batch)`,
        threshold: THRESHOLDS.lambdaErrors,
      });
      consumerHealth[name] = [errors, ...queueHealth[QUEUE_OF[name]]];
      alarm(`${name}-throttles`, fn.metricThrottles({ statistic: 'Sum', period: fiveMinutes }), {
        name: `${name}-throttles`,
        description: `${names.fn(name)}: invocations throttled (the account's concurrency is exhausted)`,
        threshold: THRESHOLDS.lambdaThrottles,
      });
    }
    this.consumerHealth = consumerHealth;
    // The consumers retry a throttled write (and the frontend's reads degrade), so a throttle loses
    // nothing, but it is the table short of throughput: raise warm throughput, look at Contributor
    // Insights for a hot key. System errors are DynamoDB's own 500s, on the operations the code calls.
    const { table } = props;
    for (const [metricName, what] of [
      ['ReadThrottleEvents', 'reads'],
      ['WriteThrottleEvents', 'writes'],
    ] as const) {
      alarm(`table-${what}-throttled`, table.metric(metricName, { statistic: 'Sum', period: fiveMinutes }), {
        name: `table-${what}-throttled`,
        description: `${names.table}: ${what} throttled (the table or an index short of throughput): see its Contributor Insights; raise warm throughput`,
        threshold: THRESHOLDS.tableThrottles,
      });
    }
    alarm(
      'table-system-errors',
      table.metricSystemErrorsForOperations({ period: fiveMinutes, operations: [...TABLE_OPERATIONS] }),
      {
        name: 'table-system-errors',
        description: `${names.table}: DynamoDB answered 500 (its own fault): retried by the code; if it lasts, AWS Health`,
        threshold: THRESHOLDS.tableSystemErrors,
      },
    );
    const lb = props.loadBalancer.metrics;
    const elb5xx = alarm(
      'elb-5xx',
      lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { statistic: 'Sum', period: fiveMinutes }),
      {
        name: 'alb-elb-5xx',
        description: 'The load balancer answered 5xx itself: no healthy frontend task, or tasks not answering',
        threshold: THRESHOLDS.elb5xxPer5Minutes,
        evaluationPeriods: 2,
      },
    );
    const target5xx = alarm(
      'target-5xx',
      lb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { statistic: 'Sum', period: fiveMinutes }),
      {
        name: 'alb-target-5xx',
        description: `The frontend answered more than ${THRESHOLDS.target5xxPer5Minutes} 5xx in 5 minutes (deliberate 503 sheds count too; the burn-rate alarms judge the ratio)`,
        threshold: THRESHOLDS.target5xxPer5Minutes,
      },
    );

    this.frontendHealth = [elb5xx, target5xx];

    this.burnRate = new BurnRateAlarms(this, 'BurnRate', {
      slo: props.slo,
      prefix: names.prefix,
      metricsNamespace: names.metricsNamespace,
      loadBalancer: props.loadBalancer,
      action,
    });
  }
}
