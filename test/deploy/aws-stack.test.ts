// The AWS CDK app (deploy/aws), synthesized offline with placeholders (inline Lambda code, a registry
// image) and asserted on its CloudFormation: every promise the stack makes about names, durability,
// delivery, permissions, scaling, alarms and telemetry.
import { Match } from 'aws-cdk-lib/assertions';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { THRESHOLDS } from '../../deploy/aws/alarms.js';
import { BURN_WINDOWS } from '../../deploy/aws/burn-rate.js';
import { FUNCTION_TIMEOUT, TUNING } from '../../deploy/aws/consumers.js';
import { COUNTED_BODY_RULES, DEFAULT_WAF_REQUESTS_PER_MINUTE } from '../../deploy/aws/edge.js';
import { HEALTH_PORT, HEALTHCHECK_SCRIPT, SCALING } from '../../deploy/aws/frontend.js';
import { bundleLambdas } from '../../deploy/aws/lambda-bundles.js';
import { namesFor } from '../../deploy/aws/names.js';
import { LAUNCH_PEAK } from '../../deploy/aws/table.js';
import { WISH_ACCEPTANCE_METRICS, WISH_ACCEPTANCE_SERVICE } from '../../src/runtime/wish-acceptance-emf.js';
import { tempDir } from '../../testkit/index.js';
import { render, synth, Synthesized, type Json, type Resource, type Statement } from './synth.js';

const root = join(import.meta.dirname, '../..');
const QUEUES = ['intake', 'store', 'tally'] as const;
const CONSUMER_OF = { intake: 'parser', store: 'worker', tally: 'tally' } as const;
const DAY_S = 86_400;
const HEADERS_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:exodus/otlp-headers-AbCdEf';
const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';

// Two syntheses serve every test: the defaults (over plain HTTP, which must be asked for), and every option given.
let plain: Synthesized;
let full: Synthesized;
beforeAll(() => {
  plain = synth({ insecureHttp: true });
  full = synth({
    otlpEndpoint: 'https://otlp.nr-data.net',
    otlpHeadersSecretArn: HEADERS_ARN,
    alarmEmail: 'ops@example.org',
    certificateArn: CERTIFICATE_ARN,
    natGateways: 1,
    // The region the CDK CLI gives a deploy: the access logs need it.
    env: { region: 'eu-west-1' },
  });
}, 60_000);

const queue = (t: Synthesized, name: string): Resource => t.one('AWS::SQS::Queue', (p) => p['QueueName'] === name);
const fn = (t: Synthesized, name: string): Resource =>
  t.one('AWS::Lambda::Function', (p) => p['FunctionName'] === `exodus-${name}`);
/** A consumer's alias `live`: what its event source invokes and its deployment moves. */
const aliasOf = (t: Synthesized, name: string): Resource =>
  t.one('AWS::Lambda::Alias', (p) => Synthesized.target(p['FunctionName']) === fn(t, name).id && p['Name'] === 'live');
/** The event source mappings that invoke `name` through its alias (`<function>:live`, from the alias's ARN). */
const mappingsOf = (t: Synthesized, name: string): Resource[] =>
  t
    .all('AWS::Lambda::EventSourceMapping')
    .filter((m) => JSON.stringify(m.props['FunctionName']).includes(`{"Ref":"${aliasOf(t, name).id}"}`));
const roleOf = (resource: Resource): string =>
  Synthesized.target(resource.props['Role'] ?? resource.props['TaskRoleArn']);
const envOf = (resource: Resource): Record<string, string> =>
  Object.fromEntries(
    Object.entries(
      ((resource.props['Environment'] as Record<string, Json>)['Variables'] ?? {}) as Record<string, Json>,
    ).map(([k, v]) => [k, render(v)]),
  );
const container = (t: Synthesized): Record<string, Json> =>
  (t.one('AWS::ECS::TaskDefinition').props['ContainerDefinitions'] as Record<string, Json>[])[0] as Record<
    string,
    Json
  >;
const containerEnv = (t: Synthesized): Record<string, string> =>
  Object.fromEntries(
    (container(t)['Environment'] as Record<string, Json>[]).map((e) => [render(e['Name']), render(e['Value'])]),
  );
const containerSecrets = (t: Synthesized): Record<string, string> =>
  Object.fromEntries(
    (container(t)['Secrets'] as Record<string, Json>[]).map((e) => [render(e['Name']), render(e['ValueFrom'])]),
  );
const allows = (statements: Statement[], action: string): Statement[] =>
  statements.filter((s) => s.effect === 'Allow' && s.actions.includes(action));
const arnOf = (id: string): string => `\${${id}.Arn}`;
const alarms = (t: Synthesized): Resource[] => t.all('AWS::CloudWatch::Alarm');
const alarmNamed = (t: Synthesized, name: string): Resource =>
  t.one('AWS::CloudWatch::Alarm', (p) => p['AlarmName'] === name);
const metricOf = (alarm: Resource): { name: string; dims: Record<string, string> } => ({
  name: render(alarm.props['MetricName']),
  dims: Object.fromEntries(
    ((alarm.props['Dimensions'] ?? []) as Record<string, Json>[]).map((d) => [render(d['Name']), render(d['Value'])]),
  ),
});

describe('queues', () => {
  it('are the six standard queues the engines look up by name, and the two of SNS’s undeliverable messages', () => {
    const names = plain.all('AWS::SQS::Queue').map((q) => q.props['QueueName']);
    expect(names.sort()).toEqual([
      'exodus-intake',
      'exodus-intake-dlq',
      'exodus-store',
      'exodus-store-delivery-dlq',
      'exodus-store-dlq',
      'exodus-tally',
      'exodus-tally-delivery-dlq',
      'exodus-tally-dlq',
    ]);
    for (const q of plain.all('AWS::SQS::Queue')) expect(q.props['FifoQueue']).toBeUndefined();
  });

  it('outlive the stack, every one of them (RETAIN): unprocessed wishes and dead letters are not deleted with it', () => {
    for (const q of plain.all('AWS::SQS::Queue')) {
      expect(q.raw['DeletionPolicy'], render(q.props['QueueName'])).toBe('Retain');
      expect(q.raw['UpdateReplacePolicy'], render(q.props['QueueName'])).toBe('Retain');
    }
  });

  it.each(QUEUES)(
    '%s redrives to its own DLQ after at least 5 receives, one after the engine dead-letters a message itself',
    (name) => {
      const redrive = queue(plain, `exodus-${name}`).props['RedrivePolicy'] as Record<string, Json>;
      expect(Synthesized.target(redrive['deadLetterTargetArn'])).toBe(queue(plain, `exodus-${name}-dlq`).id);
      expect(redrive['maxReceiveCount']).toBeGreaterThanOrEqual(5);
      const env = envOf(fn(plain, CONSUMER_OF[name]));
      expect(redrive['maxReceiveCount']).toBeGreaterThan(Number(env['EXODUS_MAX_ATTEMPTS']));
      // The engine parks a message with its reason at the receive after EXODUS_MAX_LEASE_LAPSES lapses; SQS acts one later.
      expect(redrive['maxReceiveCount']).toBe(Number(env['EXODUS_MAX_LEASE_LAPSES']) + 1);
    },
  );

  it.each(QUEUES)('%s and its DLQ are encrypted, keep messages long enough, and refuse plain HTTP', (name) => {
    const work = queue(plain, `exodus-${name}`);
    const dlq = queue(plain, `exodus-${name}-dlq`);
    for (const q of [work, dlq]) {
      expect(q.props['SqsManagedSseEnabled'] === true || q.props['KmsMasterKeyId'] !== undefined).toBe(true);
      const policy = plain.one('AWS::SQS::QueuePolicy', (p) =>
        (p['Queues'] as Json[]).some((r) => Synthesized.target(r) === q.id),
      );
      expect((policy.props['PolicyDocument'] as Record<string, Json>)['Statement']).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'sqs:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
    expect(work.props['MessageRetentionPeriod']).toBeGreaterThanOrEqual(4 * DAY_S);
    expect(dlq.props['MessageRetentionPeriod']).toBe(14 * DAY_S);
    // A message SQS redrives keeps its first enqueue time: the DLQ must keep it longer than its source.
    expect(dlq.props['MessageRetentionPeriod']).toBeGreaterThan(Number(work.props['MessageRetentionPeriod']));
  });

  it.each(QUEUES)(
    '%s hides a received message for at least 6× its consumer’s timeout (plus its batching window)',
    (name) => {
      const consumer = fn(plain, CONSUMER_OF[name]);
      const [mapping] = mappingsOf(plain, CONSUMER_OF[name]) as [Resource];
      const window = Number(mapping.props['MaximumBatchingWindowInSeconds'] ?? 0);
      expect(consumer.props['Timeout']).toBe(30);
      expect(queue(plain, `exodus-${name}`).props['VisibilityTimeout']).toBeGreaterThanOrEqual(
        6 * Number(consumer.props['Timeout']) + window,
      );
    },
  );
});

describe('the wish.parsed topic', () => {
  it('is exodus-wish-parsed, refusing plain HTTP', () => {
    const topic = plain.one('AWS::SNS::Topic', (p) => p['TopicName'] === 'exodus-wish-parsed');
    const policy = plain.one('AWS::SNS::TopicPolicy', (p) =>
      (p['Topics'] as Json[]).some((r) => Synthesized.target(r) === topic.id),
    );
    expect(JSON.stringify(policy.props)).toContain('aws:SecureTransport');
  });

  it('delivers raw messages to the store and tally queues, and only to them', () => {
    const topic = plain.one('AWS::SNS::Topic', (p) => p['TopicName'] === 'exodus-wish-parsed');
    const subscriptions = plain
      .all('AWS::SNS::Subscription')
      .filter((s) => Synthesized.target(s.props['TopicArn']) === topic.id);
    expect(subscriptions.map((s) => Synthesized.target(s.props['Endpoint'])).sort()).toEqual(
      [queue(plain, 'exodus-store').id, queue(plain, 'exodus-tally').id].sort(),
    );
    for (const s of subscriptions) expect(s.props).toMatchObject({ Protocol: 'sqs', RawMessageDelivery: true });
  });

  it('may send to those two queues (their policies allow the topic, by its ARN)', () => {
    const topic = plain.one('AWS::SNS::Topic', (p) => p['TopicName'] === 'exodus-wish-parsed');
    for (const name of ['store', 'tally']) {
      const q = queue(plain, `exodus-${name}`);
      const policy = plain.one('AWS::SQS::QueuePolicy', (p) =>
        (p['Queues'] as Json[]).some((r) => Synthesized.target(r) === q.id),
      );
      expect((policy.props['PolicyDocument'] as Record<string, Json>)['Statement']).toContainEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Principal: { Service: 'sns.amazonaws.com' },
          Condition: { ArnEquals: { 'aws:SourceArn': { Ref: topic.id } } },
        }),
      );
    }
    const intake = queue(plain, 'exodus-intake');
    const intakePolicy = plain.one('AWS::SQS::QueuePolicy', (p) =>
      (p['Queues'] as Json[]).some((r) => Synthesized.target(r) === intake.id),
    );
    expect(JSON.stringify(intakePolicy.props)).not.toContain('sns.amazonaws.com');
  });
});

describe('the table', () => {
  it('is exodus, keyed by pk/sk, with the wall and scan indexes projecting everything', () => {
    plain.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'exodus',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
        { AttributeName: 'gsi2pk', AttributeType: 'S' },
        { AttributeName: 'gsi2sk', AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: [
        {
          IndexName: 'wall',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'scan',
          KeySchema: [
            { AttributeName: 'gsi2pk', KeyType: 'HASH' },
            { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('is on demand, recoverable to a point in time, protected from deletion, and outlives the stack', () => {
    const table = plain.one('AWS::DynamoDB::GlobalTable');
    expect(table.props['BillingMode']).toBe('PAY_PER_REQUEST');
    expect(table.props['Replicas']).toEqual([
      expect.objectContaining({
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    ]);
    expect(table.raw).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('the consumers', () => {
  it.each(['parser', 'worker', 'tally'] as const)(
    '%s runs on Node.js 24, arm64, index.handler, 30 s, JSON logs',
    (name) => {
      const f = fn(plain, name);
      expect(f.props).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: FUNCTION_TIMEOUT.toSeconds(),
        LoggingConfig: expect.objectContaining({ LogFormat: 'JSON' }) as unknown,
      });
      const logGroup = plain.byId(Synthesized.target((f.props['LoggingConfig'] as Record<string, Json>)['LogGroup']));
      expect(logGroup.props['RetentionInDays']).toBeGreaterThan(0);
    },
  );

  it.each(['parser', 'worker', 'tally'] as const)(
    '%s finds the engines by URL, dead-letters after 5 attempts, backs off within its timeout',
    (name) => {
      const env = envOf(fn(plain, name));
      expect(env).toMatchObject({
        EXODUS_QUEUE: 'sqs://${AWS::Region}/exodus?account=${AWS::AccountId}',
        EXODUS_STORE: 'dynamodb://${AWS::Region}/exodus',
        EXODUS_MAX_ATTEMPTS: '5',
        NODE_OPTIONS: '--enable-source-maps',
      });
      // src/lambda/consumer.ts holds an outage only while a backoff capped at this ends before the invocation must.
      expect(Number(env['EXODUS_RETRY_MAX_MS'])).toBeLessThanOrEqual(FUNCTION_TIMEOUT.toMilliseconds() / 4);
    },
  );

  it.each([
    ['parser', 'exodus-intake'],
    ['worker', 'exodus-store'],
    ['tally', 'exodus-tally'],
  ] as const)('%s reads %s in batches, reporting failed items, with bounded concurrency', (name, queueName) => {
    const mappings = mappingsOf(plain, name);
    expect(mappings).toHaveLength(1);
    const props = (mappings[0] as Resource).props;
    expect(Synthesized.target(props['EventSourceArn'])).toBe(queue(plain, queueName).id);
    const tuning = TUNING[name];
    expect(props).toMatchObject({
      BatchSize: tuning.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: tuning.maxConcurrency },
    });
    expect(props['ScalingConfig']).toMatchObject({ MaximumConcurrency: expect.any(Number) as unknown });
    const concurrency = Number((props['ScalingConfig'] as Record<string, Json>)['MaximumConcurrency']);
    expect(concurrency).toBeGreaterThanOrEqual(2);
    expect(concurrency).toBeLessThanOrEqual(10);
    // Above 10 messages a batch needs a batching window.
    if (tuning.batchSize > 10) expect(props['MaximumBatchingWindowInSeconds']).toBeGreaterThanOrEqual(1);
    else expect(props['MaximumBatchingWindowInSeconds']).toBeUndefined();
  });

  it('use the code they are given, one bundle each', () => {
    for (const name of ['parser', 'worker', 'tally'])
      expect(JSON.stringify(fn(plain, name).props['Code'])).toContain(`// ${name}`);
  });
});

describe('deployments', () => {
  const alarmRef = (name: string): Json => ({ Ref: alarmNamed(plain, name).id });

  it.each([
    ['parser', 'intake'],
    ['worker', 'store'],
    ['tally', 'tally'],
  ] as const)(
    'move the %s’s alias `live` by a 10 % canary for 5 minutes, rolled back on its errors, dead letters arriving in %s’s DLQ or its oldest message',
    (name, queueName) => {
      const alias = aliasOf(plain, name);
      const group = plain.one('AWS::CodeDeploy::DeploymentGroup', (p) => p['DeploymentGroupName'] === `exodus-${name}`);
      // CloudFormation hands the alias's update to this deployment group.
      expect(alias.raw['UpdatePolicy']).toMatchObject({
        CodeDeployLambdaAliasUpdate: { DeploymentGroupName: { Ref: group.id } },
      });
      expect(group.props).toMatchObject({
        DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
        DeploymentStyle: { DeploymentOption: 'WITH_TRAFFIC_CONTROL', DeploymentType: 'BLUE_GREEN' },
      });
      expect(group.props['AlarmConfiguration']).toEqual({
        Enabled: true,
        Alarms: [
          { Name: alarmRef(`exodus-${name}-errors`) },
          { Name: alarmRef(`exodus-${queueName}-dlq-growing`) },
          { Name: alarmRef(`exodus-${queueName}-oldest-message`) },
        ],
      });
      const rollback = group.props['AutoRollbackConfiguration'] as Record<string, Json>;
      expect(rollback['Enabled']).toBe(true);
      expect([...(rollback['Events'] as string[])].sort()).toEqual([
        'DEPLOYMENT_FAILURE',
        'DEPLOYMENT_STOP_ON_ALARM',
        'DEPLOYMENT_STOP_ON_REQUEST',
      ]);
      // SQS invokes the alias, never $LATEST, so the canary's split applies to every batch.
      const [mapping] = mappingsOf(plain, name) as [Resource];
      expect(render(mapping.props['FunctionName'])).toMatch(/:live$/);
      expect(plain.all('AWS::Lambda::EventSourceMapping')).toHaveLength(3);
    },
  );

  it('roll the frontend back when its tasks do not get healthy (circuit breaker) or its 5xx alarms fire', () => {
    const service = plain.one('AWS::ECS::Service');
    expect(service.props['DeploymentConfiguration']).toMatchObject({
      DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      Alarms: {
        AlarmNames: [alarmRef('exodus-alb-elb-5xx'), alarmRef('exodus-alb-target-5xx')],
        Enable: true,
        Rollback: true,
      },
    });
    // ECS's own rolling deployment (the default when absent): the controller that takes deployment alarms and the circuit breaker.
    expect(service.props['DeploymentController'] ?? { Type: 'ECS' }).toEqual({ Type: 'ECS' });
  });
});

describe('permissions', () => {
  const topicId = (): string => plain.one('AWS::SNS::Topic', (p) => p['TopicName'] === 'exodus-wish-parsed').id;
  const tableArn = (): string => arnOf(plain.one('AWS::DynamoDB::GlobalTable').id);
  const qArn = (name: string): string => arnOf(queue(plain, name).id);
  // The engine looks every queue up by name when it opens: GetQueueUrl on all six, a lookup only.
  /** The engine's six queues (not SNS's delivery DLQs, which no engine opens). */
  const allQueueArns = (): Set<string> =>
    new Set(
      plain
        .all('AWS::SQS::Queue')
        .filter((q) => !render(q.props['QueueName']).endsWith('-delivery-dlq'))
        .map((q) => arnOf(q.id)),
    );

  it('grant no action on every resource (*) to any role of the stack', () => {
    for (const role of plain.all('AWS::IAM::Role')) {
      for (const s of plain.statementsOf(role.id)) {
        // ecr:GetAuthorizationToken has no resource-level permissions: AWS requires * for it.
        if (s.actions.every((action) => action === 'ecr:GetAuthorizationToken')) continue;
        expect(s.resources, `${role.id}: ${s.actions.join(', ')}`).not.toContain('*');
      }
    }
  });

  it('let the parser consume the intake, publish to wish.parsed only, record rejections, and dead-letter to its DLQ', () => {
    const statements = plain.statementsOf(roleOf(fn(plain, 'parser')));
    expect(allows(statements, 'sqs:ReceiveMessage').flatMap((s) => s.resources)).toEqual([qArn('exodus-intake')]);
    expect(allows(statements, 'sqs:DeleteMessage').flatMap((s) => s.resources)).toEqual([qArn('exodus-intake')]);
    expect(allows(statements, 'sns:Publish').flatMap((s) => s.resources)).toEqual([`\${${topicId()}}`]);
    // Its own queue (a retry is a delayed copy) and its DLQ (a dead letter, with the reason).
    expect(
      allows(statements, 'sqs:SendMessage')
        .flatMap((s) => s.resources)
        .sort(),
    ).toEqual([qArn('exodus-intake'), qArn('exodus-intake-dlq')].sort());
    expect(new Set(allows(statements, 'sqs:GetQueueUrl').flatMap((s) => s.resources))).toEqual(allQueueArns());
    for (const action of ['dynamodb:PutItem', 'dynamodb:ConditionCheckItem'])
      expect(allows(statements, action).flatMap((s) => s.resources)).toContain(tableArn());
    const dynamo = statements.flatMap((s) => s.actions).filter((a) => a.startsWith('dynamodb:'));
    for (const never of ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:Scan', 'dynamodb:*'])
      expect(dynamo).not.toContain(never);
    expect(statements.flatMap((s) => s.actions)).not.toContain('sns:CreateTopic');
  });

  it.each([
    ['worker', 'exodus-store'],
    ['tally', 'exodus-tally'],
  ] as const)(
    'let the %s consume %s, call exactly the table actions its code calls, and dead-letter to its own DLQ only',
    (name, queueName) => {
      const statements = plain.statementsOf(roleOf(fn(plain, name)));
      expect(allows(statements, 'sqs:ReceiveMessage').flatMap((s) => s.resources)).toEqual([qArn(queueName)]);
      expect(
        allows(statements, 'sqs:SendMessage')
          .flatMap((s) => s.resources)
          .sort(),
      ).toEqual([qArn(queueName), qArn(`${queueName}-dlq`)].sort());
      expect(new Set(allows(statements, 'sqs:GetQueueUrl').flatMap((s) => s.resources))).toEqual(allQueueArns());
      // src/engines/dynamodb: BatchGetItem of the current items; PutItem, and UpdateItem inside transactions.
      const dynamo = statements.filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')));
      expect(dynamo).toEqual([
        {
          effect: 'Allow',
          actions: ['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resources: [tableArn()],
        },
      ]);
      expect(allows(statements, 'sns:Publish')).toEqual([]);
    },
  );

  it('let the frontend send to the intake, see its DLQ’s depth, and read the table: never write it', () => {
    const task = plain.one('AWS::ECS::TaskDefinition');
    const statements = plain.statementsOf(Synthesized.target(task.props['TaskRoleArn']));
    expect(allows(statements, 'sqs:SendMessage').flatMap((s) => s.resources)).toEqual([qArn('exodus-intake')]);
    expect(
      allows(statements, 'sqs:GetQueueAttributes')
        .flatMap((s) => s.resources)
        .sort(),
    ).toEqual([qArn('exodus-intake'), qArn('exodus-intake-dlq')].sort());
    expect(allows(statements, 'sqs:ReceiveMessage')).toEqual([]);
    expect(new Set(allows(statements, 'sqs:GetQueueUrl').flatMap((s) => s.resources))).toEqual(allQueueArns());
    for (const action of ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem']) {
      expect(allows(statements, action).flatMap((s) => s.resources)).toEqual([tableArn(), `${tableArn()}/index/*`]);
    }
    const actions = statements.flatMap((s) => s.actions);
    for (const write of [
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:*',
    ]) {
      expect(actions).not.toContain(write);
    }
    expect(actions.filter((a) => a.startsWith('sns:'))).toEqual([]);
  });
});

describe('the frontend', () => {
  const azOf = (t: Synthesized, subnet: Resource): number =>
    ((subnet.props['AvailabilityZone'] as Record<string, Json[]>)['Fn::Select'] as [number, Json])[0];
  const taskNetwork = (t: Synthesized): { subnets: Resource[]; config: Record<string, Json> } => {
    const config = (t.one('AWS::ECS::Service').props['NetworkConfiguration'] as Record<string, Json>)[
      'AwsvpcConfiguration'
    ] as Record<string, Json>;
    return { subnets: (config['Subnets'] as Json[]).map((s) => t.byId(Synthesized.target(s))), config };
  };

  it('runs by default in the public subnets of two AZs, with public addresses, no NAT, reached only from the load balancer', () => {
    const { subnets, config } = taskNetwork(plain);
    expect(new Set(subnets.map((s) => azOf(plain, s)))).toEqual(new Set([0, 1]));
    for (const subnet of subnets) expect(subnet.props['MapPublicIpOnLaunch']).toBe(true);
    expect(config['AssignPublicIp']).toBe('ENABLED');
    expect(plain.all('AWS::EC2::NatGateway')).toEqual([]);
    // The tasks' security group admits one source: the load balancer's group, on the container port.
    const [group] = config['SecurityGroups'] as Json[];
    const lbGroups = (plain.one('AWS::ElasticLoadBalancingV2::LoadBalancer').props['SecurityGroups'] as Json[]).map(
      (g) => Synthesized.target(g),
    );
    const ingress = plain
      .all('AWS::EC2::SecurityGroupIngress')
      .filter((rule) => Synthesized.target(rule.props['GroupId']) === Synthesized.target(group));
    expect(
      ingress.map((rule) => [Synthesized.target(rule.props['SourceSecurityGroupId']), rule.props['FromPort']]),
    ).toEqual([[lbGroups[0], 3000]]);
    const inline = plain.byId(Synthesized.target(group)).props['SecurityGroupIngress'];
    expect(inline).toBeUndefined();
    const lb = plain.one('AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(new Set((lb.props['Subnets'] as Json[]).map((s) => azOf(plain, plain.byId(Synthesized.target(s)))))).toEqual(
      new Set([0, 1]),
    );
  });

  it('moves to private subnets behind NAT gateways when given some, reaching DynamoDB and S3 through gateway endpoints', () => {
    const { subnets, config } = taskNetwork(full);
    for (const subnet of subnets) expect(subnet.props['MapPublicIpOnLaunch']).toBe(false);
    expect(config['AssignPublicIp']).toBe('DISABLED');
    expect(full.all('AWS::EC2::NatGateway')).toHaveLength(1);
    for (const t of [plain, full]) {
      const endpoints = t
        .all('AWS::EC2::VPCEndpoint')
        .map((e) => [render(e.props['ServiceName']), e.props['VpcEndpointType']]);
      expect(endpoints).toEqual(
        expect.arrayContaining([
          ['com.amazonaws.${AWS::Region}.dynamodb', 'Gateway'],
          ['com.amazonaws.${AWS::Region}.s3', 'Gateway'],
        ]),
      );
    }
  });

  it('is a Fargate service of at least two tasks, rolled back when a deploy does not get healthy', () => {
    const service = plain.one('AWS::ECS::Service');
    expect(service.props['LaunchType']).toBe('FARGATE');
    expect(service.props['DesiredCount']).toBeGreaterThanOrEqual(2);
    expect(service.props['DeploymentConfiguration']).toMatchObject({
      DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      MinimumHealthyPercent: 100,
    });
    expect(service.props['HealthCheckGracePeriodSeconds']).toBeGreaterThan(0);
  });

  it('scales from 2 to 20 tasks on CPU and on requests per target, wishes counted apart', () => {
    plain.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: SCALING.minTasks,
      MaxCapacity: SCALING.maxTasks,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    expect(SCALING.minTasks).toBe(2);
    const policies = plain
      .all('AWS::ApplicationAutoScaling::ScalingPolicy')
      .map((p) => p.props['TargetTrackingScalingPolicyConfiguration'] as Record<string, Json>);
    const kinds = policies.map(
      (c) => (c['PredefinedMetricSpecification'] as Record<string, Json>)['PredefinedMetricType'],
    );
    expect(kinds.sort()).toEqual([
      'ALBRequestCountPerTarget',
      'ALBRequestCountPerTarget',
      'ECSServiceAverageCPUUtilization',
    ]);
    const perTarget = policies.filter(
      (c) =>
        (c['PredefinedMetricSpecification'] as Record<string, Json>)['PredefinedMetricType'] ===
        'ALBRequestCountPerTarget',
    );
    const groups = perTarget.map((c) =>
      render((c['PredefinedMetricSpecification'] as Record<string, Json>)['ResourceLabel'])
        .split('/')
        .pop(),
    );
    expect(new Set(groups).size).toBe(2);
  });

  it('runs the image as `serve frontend` on 0.0.0.0:3000, behind one trusted proxy, with the engines’ URLs', () => {
    const c = container(plain);
    expect(c['Command']).toEqual(['serve', 'frontend']);
    expect(c['PortMappings']).toEqual([expect.objectContaining({ ContainerPort: 3000 })]);
    expect(containerEnv(plain)).toMatchObject({
      EXODUS_HOST: '0.0.0.0',
      EXODUS_PORT: '3000',
      EXODUS_TRUST_PROXY_HOPS: '1',
      EXODUS_QUEUE: 'sqs://${AWS::Region}/exodus?account=${AWS::AccountId}',
      EXODUS_STORE: 'dynamodb://${AWS::Region}/exodus',
    });
    expect(plain.one('AWS::ECS::TaskDefinition').props['RuntimePlatform']).toEqual({
      CpuArchitecture: 'ARM64',
      OperatingSystemFamily: 'LINUX',
    });
  });

  it('gets the boarding-pass key from a secret the stack generates (and keeps), not the console token', () => {
    const passSecret = plain.one('AWS::SecretsManager::Secret', (p) =>
      render(p['Description']).includes('EXODUS_PASS_SECRET'),
    );
    expect(passSecret.props['GenerateSecretString']).toMatchObject({ PasswordLength: expect.any(Number) as unknown });
    expect(
      Number((passSecret.props['GenerateSecretString'] as Record<string, Json>)['PasswordLength']),
    ).toBeGreaterThanOrEqual(16);
    expect(passSecret.raw['DeletionPolicy']).toBe('Retain');
    expect(containerSecrets(plain)).toEqual({ EXODUS_PASS_SECRET: `\${${passSecret.id}}` });
    expect(
      plain.one('AWS::SecretsManager::Secret', (p) => render(p['Description']).includes('EXODUS_ADMIN_TOKEN')).props[
        'GenerateSecretString'
      ],
    ).toBeDefined();
    const executionRole = Synthesized.target(plain.one('AWS::ECS::TaskDefinition').props['ExecutionRoleArn']);
    expect(
      allows(plain.statementsOf(executionRole), 'secretsmanager:GetSecretValue').flatMap((s) => s.resources),
    ).toEqual([`\${${passSecret.id}}`]);
  });

  it('drains before it stops, and checks its liveness with the Dockerfile’s own health check', () => {
    const c = container(plain);
    expect(c['StopTimeout']).toBeGreaterThanOrEqual(20);
    expect((c['HealthCheck'] as Record<string, Json>)['Command']).toEqual(['CMD', 'node', '-e', HEALTHCHECK_SCRIPT]);
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`CMD ${JSON.stringify(['node', '-e', HEALTHCHECK_SCRIPT]).replace(/","/g, '", "')}`);
    for (const group of plain.all('AWS::ElasticLoadBalancingV2::TargetGroup')) {
      expect(group.props['TargetGroupAttributes']).toContainEqual({
        Key: 'deregistration_delay.timeout_seconds',
        Value: '30',
      });
    }
  });

  it('sits behind an internet-facing ALB whose target groups check /healthz', () => {
    plain.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      Type: 'application',
    });
    const groups = plain.all('AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(groups).toHaveLength(2);
    for (const group of groups) {
      expect(group.props).toMatchObject({
        HealthCheckPath: '/healthz',
        Matcher: { HttpCode: '200' },
        TargetType: 'ip',
      });
    }
    const service = plain.one('AWS::ECS::Service');
    expect(
      (service.props['LoadBalancers'] as Record<string, Json>[]).map((lb) => [
        lb['ContainerName'],
        lb['ContainerPort'],
      ]),
    ).toEqual([
      ['web', 3000],
      ['web', 3000],
    ]);
  });

  it('routes POST /api/wishes to a target group of its own; /metrics needs no rule: it is on the health port only', () => {
    const rules = plain.all('AWS::ElasticLoadBalancingV2::ListenerRule');
    const wishes = rules.find((r) => JSON.stringify(r.props['Conditions']).includes('/api/wishes'));
    expect(wishes?.props['Conditions']).toEqual(
      expect.arrayContaining([
        { Field: 'path-pattern', PathPatternConfig: { Values: ['/api/wishes'] } },
        { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['POST'] } },
      ]),
    );
    expect(rules.filter((r) => JSON.stringify(r.props['Conditions']).includes('/metrics'))).toEqual([]);
    // The scrape and the probes on the internal listener, which the container's health check calls.
    expect(containerEnv(plain)['EXODUS_HEALTH_PORT']).toBe(String(HEALTH_PORT));
    expect(HEALTHCHECK_SCRIPT).toMatch(/^fetch\('http:\/\/127\.0\.0\.1:'\+\(process\.env\.EXODUS_HEALTH_PORT\|\|/);
    expect(container(plain)['PortMappings']).toEqual([expect.objectContaining({ ContainerPort: 3000 })]);
  });

  it('serves HTTP only without a certificate, HTTPS (HTTP redirected) with one', () => {
    expect(
      plain.all('AWS::ElasticLoadBalancingV2::Listener').map((l) => [l.props['Port'], l.props['Protocol']]),
    ).toEqual([[80, 'HTTP']]);
    const listeners = full.all('AWS::ElasticLoadBalancingV2::Listener');
    const https = listeners.find((l) => l.props['Protocol'] === 'HTTPS');
    expect(https?.props).toMatchObject({ Port: 443, Certificates: [{ CertificateArn: CERTIFICATE_ARN }] });
    const http = listeners.find((l) => l.props['Protocol'] === 'HTTP');
    expect(http?.props['DefaultActions']).toEqual([expect.objectContaining({ Type: 'redirect' })]);
    expect(full.json.Outputs?.['Url']?.['Value']).toEqual(
      expect.objectContaining({ 'Fn::Join': ['', expect.arrayContaining(['https://']) as unknown] }),
    );
  });
});

describe('alarms', () => {
  const slo = parse(readFileSync(join(root, 'slo/wish-acceptance-availability.yaml'), 'utf8')) as {
    spec: { objectives: { target: number }[] };
  };
  const target = (slo.spec.objectives[0] as { target: number }).target;
  const topic = (t: Synthesized): Resource => t.one('AWS::SNS::Topic', (p) => p['TopicName'] === 'exodus-alarms');
  const notifying = (t: Synthesized): Resource[] => alarms(t).filter((a) => a.props['AlarmActions'] !== undefined);

  it('notify one topic, exodus-alarms, on ALARM and on OK; its e-mail subscription only when an address is given', () => {
    const id = topic(plain).id;
    for (const alarm of [...notifying(plain), ...plain.all('AWS::CloudWatch::CompositeAlarm')]) {
      expect(alarm.props['AlarmActions']).toEqual([{ Ref: id }]);
      expect(alarm.props['OKActions']).toEqual([{ Ref: id }]);
    }
    expect(plain.all('AWS::SNS::Subscription').filter((s) => s.props['Protocol'] === 'email')).toEqual([]);
    full.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.org',
      TopicArn: { Ref: topic(full).id },
    });
  });

  it('may be published by CloudWatch though the topic refuses plain HTTP (its own policy replaces the default)', () => {
    const id = topic(plain).id;
    const policy = plain.one('AWS::SNS::TopicPolicy', (p) =>
      (p['Topics'] as Json[]).some((r) => Synthesized.target(r) === id),
    );
    const statements = (policy.props['PolicyDocument'] as Record<string, Json>)['Statement'] as Record<string, Json>[];
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sns:Publish',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('count 20 operational alarms, 3 that judge deployments only, 8 burn-rate windows and 4 burn-rate composites', () => {
    expect(notifying(plain)).toHaveLength(20);
    expect(alarms(plain)).toHaveLength(20 + 3 + 8);
    expect(plain.all('AWS::CloudWatch::CompositeAlarm')).toHaveLength(4);
    for (const alarm of alarms(plain)) expect(alarm.props['TreatMissingData']).toBe('notBreaching');
  });

  it.each(QUEUES)(
    'fire on the first dead letter in exodus-%s-dlq, and when exodus-%s’s oldest message is 5 minutes old',
    (name) => {
      const dlq = alarmNamed(plain, `exodus-${name}-dlq-not-empty`);
      expect(metricOf(dlq)).toEqual({
        name: 'ApproximateNumberOfMessagesVisible',
        dims: { QueueName: `\${${queue(plain, `exodus-${name}-dlq`).id}.QueueName}` },
      });
      expect(dlq.props).toMatchObject({
        Namespace: 'AWS/SQS',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        Statistic: 'Maximum',
      });
      const age = alarmNamed(plain, `exodus-${name}-oldest-message`);
      expect(metricOf(age)).toEqual({
        name: 'ApproximateAgeOfOldestMessage',
        dims: { QueueName: `\${${queue(plain, `exodus-${name}`).id}.QueueName}` },
      });
      expect(age.props).toMatchObject({
        Threshold: THRESHOLDS.oldestMessageSeconds,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      expect(THRESHOLDS.oldestMessageSeconds).toBe(300);
    },
  );

  it.each(QUEUES)(
    'judge a deployment by dead letters arriving in exodus-%s-dlq in a minute, not by those it holds, and page no one',
    (name) => {
      const growing = alarmNamed(plain, `exodus-${name}-dlq-growing`);
      expect(growing.props['AlarmActions']).toBeUndefined();
      expect(growing.props).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
      const [expression, held] = growing.props['Metrics'] as Record<string, Json>[];
      expect(expression).toMatchObject({ Expression: 'DIFF(FILL(held, 0))', ReturnData: true });
      expect(held).toMatchObject({
        Id: 'held',
        ReturnData: false,
        MetricStat: {
          Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' },
          Period: 60,
          Stat: 'Maximum',
        },
      });
      expect(JSON.stringify(held)).toContain(queue(plain, `exodus-${name}-dlq`).id);
    },
  );

  it.each(['parser', 'worker', 'tally'] as const)('fire on any error or throttle of the %s', (name) => {
    for (const metric of ['Errors', 'Throttles']) {
      const alarm = alarmNamed(plain, `exodus-${name}-${metric.toLowerCase()}`);
      expect(metricOf(alarm)).toEqual({ name: metric, dims: { FunctionName: `\${${fn(plain, name).id}}` } });
      expect(alarm.props).toMatchObject({
        Namespace: 'AWS/Lambda',
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
  });

  it('fire on the load balancer’s own 5xx and on a volume of the targets’ 5xx', () => {
    const lbId = plain.one('AWS::ElasticLoadBalancingV2::LoadBalancer').id;
    const elb = alarmNamed(plain, 'exodus-alb-elb-5xx');
    expect(metricOf(elb)).toEqual({
      name: 'HTTPCode_ELB_5XX_Count',
      dims: { LoadBalancer: `\${${lbId}.LoadBalancerFullName}` },
    });
    expect(elb.props).toMatchObject({
      Namespace: 'AWS/ApplicationELB',
      Statistic: 'Sum',
      Threshold: THRESHOLDS.elb5xxPer5Minutes,
    });
    const targets = alarmNamed(plain, 'exodus-alb-target-5xx');
    expect(metricOf(targets)).toEqual({
      name: 'HTTPCode_Target_5XX_Count',
      dims: { LoadBalancer: `\${${lbId}.LoadBalancerFullName}` },
    });
    expect(targets.props).toMatchObject({ Statistic: 'Sum', Threshold: THRESHOLDS.target5xxPer5Minutes });
  });

  describe('for the wish-acceptance availability objective', () => {
    const window = (t: Synthesized, severity: string, span: string): Resource =>
      alarmNamed(t, `exodus-slo-wish-acceptance-availability-${severity}-${span}`);
    const pairs = [
      ['page', 14.4, '1h', 3600, '5m', 300],
      ['page', 6, '6h', 6 * 3600, '30m', 1800],
      ['ticket', 3, '1d', DAY_S, '2h', 7200],
      ['ticket', 1, '3d', 3 * DAY_S, '6h', 6 * 3600],
    ] as const;

    it('read the target from slo/wish-acceptance-availability.yaml', () => {
      expect(target).toBe(0.999);
      expect(BURN_WINDOWS).toHaveLength(pairs.length);
    });

    it.each(pairs)(
      '%s at %s× the budget: over %s (%i s) AND over %s (%i s), as one composite alarm',
      (severity, factor, long, longSeconds, short, shortSeconds) => {
        const threshold = Number((factor * (1 - target)).toPrecision(6));
        const parts = [window(plain, severity, long), window(plain, severity, short)];
        for (const [part, seconds] of [
          [parts[0], longSeconds],
          [parts[1], shortSeconds],
        ] as const) {
          expect(part?.props).toMatchObject({
            Threshold: threshold,
            ComparisonOperator: 'GreaterThanThreshold',
            EvaluationPeriods: 1,
            DatapointsToAlarm: 1,
          });
          expect(part?.props['AlarmActions']).toBeUndefined();
          const metrics = part?.props['Metrics'] as Record<string, Json>[];
          for (const m of metrics.filter((q) => q['MetricStat'] !== undefined))
            expect((m['MetricStat'] as Record<string, Json>)['Period']).toBe(seconds);
          // CloudWatch: period × evaluation periods ≤ 1 day below an hour's period, ≤ 7 days from an hour up.
          expect(seconds).toBeLessThanOrEqual(seconds < 3600 ? DAY_S : 7 * DAY_S);
        }
        const composite = plain.one(
          'AWS::CloudWatch::CompositeAlarm',
          (p) => p['AlarmName'] === `exodus-slo-wish-acceptance-availability-${severity}-${long}-${short}`,
        );
        expect(render(composite.props['AlarmRule'])).toBe(
          `(ALARM("\${${parts[0]?.id}.Arn}") AND ALARM("\${${parts[1]?.id}.Arn}"))`,
        );
      },
    );

    it('compute the error ratio from the frontend’s own EMF counts of the SLO, with the load balancer’s own 5xx', () => {
      const lbId = plain.one('AWS::ElasticLoadBalancingV2::LoadBalancer').id;
      const metrics = window(plain, 'page', '1h').props['Metrics'] as Record<string, Json>[];
      const byId = Object.fromEntries(metrics.map((m) => [render(m['Id']), m]));
      // bad = total − good, plus the answers no task gave; over total plus those.
      expect(render(Object.values(byId).find((m) => m['Expression'] !== undefined)?.['Expression'])).toBe(
        'IF((FILL(total, 0) + FILL(elb5xx, 0)) > 0, (FILL(total, 0) - FILL(good, 0) + FILL(elb5xx, 0)) / (FILL(total, 0) + FILL(elb5xx, 0)), 0)',
      );
      const stat = (id: string): { namespace: string; name: string; dims: Record<string, string>; stat: string } => {
        const metricStat = byId[id]?.['MetricStat'] as Record<string, Json>;
        const metric = metricStat['Metric'] as Record<string, Json>;
        return {
          namespace: render(metric['Namespace']),
          name: render(metric['MetricName']),
          dims: Object.fromEntries(
            (metric['Dimensions'] as Record<string, Json>[]).map((d) => [render(d['Name']), render(d['Value'])]),
          ),
          stat: render(metricStat['Stat']),
        };
      };
      const emf = { namespace: 'Exodus/exodus', dims: { service: WISH_ACCEPTANCE_SERVICE }, stat: 'Sum' };
      expect(stat('good')).toEqual({ ...emf, name: WISH_ACCEPTANCE_METRICS.good });
      expect(stat('total')).toEqual({ ...emf, name: WISH_ACCEPTANCE_METRICS.total });
      expect(stat('elb5xx')).toEqual({
        namespace: 'AWS/ApplicationELB',
        name: 'HTTPCode_ELB_5XX_Count',
        dims: { LoadBalancer: `\${${lbId}.LoadBalancerFullName}` },
        stat: 'Sum',
      });
      // The frontend writes them there.
      expect(containerEnv(plain)['EXODUS_EMF_NAMESPACE']).toBe('Exodus/exodus');
    });
  });
});

describe('the review’s fixes', () => {
  const warnings = (t: Synthesized): string[] => t.warnings();

  it('refuses to synthesize without a certificate unless plain HTTP is asked for (a demo, warned about)', () => {
    expect(() => synth()).toThrow(/certificateArn is required.*insecureHttp=true/);
    expect(warnings(plain).join('\n')).toMatch(/insecureHttp/);
    expect(warnings(full).join('\n')).not.toMatch(/insecureHttp/);
    // With one: 443 and 80 → 443 (asserted with the listeners); HSTS comes from the app on every answer.
    const http = full.all('AWS::ElasticLoadBalancingV2::Listener').find((l) => l.props['Protocol'] === 'HTTP');
    expect(http?.props['DefaultActions']).toEqual([
      expect.objectContaining({
        Type: 'redirect',
        RedirectConfig: expect.objectContaining({ Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' }) as unknown,
      }),
    ]);
  });

  it('warns when no one will get the alarms', () => {
    expect(warnings(plain).join('\n')).toMatch(/No alarmEmail/);
    expect(warnings(full).join('\n')).not.toMatch(/No alarmEmail/);
  });

  it.each(['store', 'tally'])(
    'give the topic’s subscription of exodus-%s a DLQ of its own, and alarm on it and on failed deliveries',
    (name) => {
      const dlq = queue(plain, `exodus-${name}-delivery-dlq`);
      const subscription = plain.one(
        'AWS::SNS::Subscription',
        (p) => p['Protocol'] === 'sqs' && Synthesized.target(p['Endpoint']) === queue(plain, `exodus-${name}`).id,
      );
      expect(render((subscription.props['RedrivePolicy'] as Record<string, Json>)['deadLetterTargetArn'])).toBe(
        arnOf(dlq.id),
      );
      // SNS may send to it (only from this topic).
      const policy = plain.one('AWS::SQS::QueuePolicy', (p) =>
        (p['Queues'] as Json[]).some((r) => Synthesized.target(r) === dlq.id),
      );
      expect(JSON.stringify(policy.props)).toContain('sns.amazonaws.com');
      expect(metricOf(alarmNamed(plain, `exodus-${name}-delivery-dlq-not-empty`))).toEqual({
        name: 'ApproximateNumberOfMessagesVisible',
        dims: { QueueName: `\${${dlq.id}.QueueName}` },
      });
      const topic = plain.one('AWS::SNS::Topic', (p) => p['TopicName'] === 'exodus-wish-parsed');
      const failed = alarmNamed(plain, 'exodus-wish-parsed-delivery-failed');
      expect(metricOf(failed)).toEqual({
        name: 'NumberOfNotificationsFailed',
        dims: { TopicName: `\${${topic.id}.TopicName}` },
      });
      expect(failed.props).toMatchObject({ Namespace: 'AWS/SNS', Statistic: 'Sum', Threshold: 0 });
    },
  );

  it('keep the table warm for the launch-day peak (settable), with contributor insights, and alarm on throttles and system errors', () => {
    const table = plain.one('AWS::DynamoDB::GlobalTable');
    expect(table.props['WarmThroughput']).toEqual({
      WriteUnitsPerSecond: LAUNCH_PEAK.writeUnitsPerSecond,
      ReadUnitsPerSecond: LAUNCH_PEAK.readUnitsPerSecond,
    });
    expect((table.props['Replicas'] as Record<string, Json>[])[0]?.['ContributorInsightsSpecification']).toEqual({
      Enabled: true,
    });
    const warmer = synth({ insecureHttp: true, warmThroughput: { writeUnitsPerSecond: 20_000 } });
    expect(warmer.one('AWS::DynamoDB::GlobalTable').props['WarmThroughput']).toEqual({
      WriteUnitsPerSecond: 20_000,
      ReadUnitsPerSecond: LAUNCH_PEAK.readUnitsPerSecond,
    });
    for (const [alarmName, metricName] of [
      ['exodus-table-reads-throttled', 'ReadThrottleEvents'],
      ['exodus-table-writes-throttled', 'WriteThrottleEvents'],
    ]) {
      const alarm = alarmNamed(plain, alarmName as string);
      expect(metricOf(alarm)).toEqual({ name: metricName, dims: { TableName: `\${${table.id}}` } });
      expect(alarm.props).toMatchObject({ Namespace: 'AWS/DynamoDB', Statistic: 'Sum', Threshold: 0 });
    }
    const systemErrors = alarmNamed(plain, 'exodus-table-system-errors');
    const operations = (systemErrors.props['Metrics'] as Record<string, Json>[])
      .filter((m) => m['MetricStat'] !== undefined)
      .map((m) => {
        const metric = (m['MetricStat'] as Record<string, Json>)['Metric'] as Record<string, Json>;
        expect(metric['MetricName']).toBe('SystemErrors');
        return render(
          (metric['Dimensions'] as Record<string, Json>[]).find((d) => d['Name'] === 'Operation')?.['Value'],
        );
      });
    expect(operations.sort()).toEqual(
      ['BatchGetItem', 'GetItem', 'PutItem', 'Query', 'TransactWriteItems', 'UpdateItem'].sort(),
    );
  }, 60_000);

  it('put a WAF on the load balancer: one per-address limit over every task, and AWS’s common rules (body rules counted)', () => {
    const acl = plain.one('AWS::WAFv2::WebACL');
    expect(acl.props).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    const rules = acl.props['Rules'] as Record<string, Json>[];
    const rate = rules.find((r) => r['Name'] === 'per-address-rate');
    expect(rate).toMatchObject({
      Action: { Block: {} },
      Statement: {
        RateBasedStatement: {
          AggregateKeyType: 'IP',
          EvaluationWindowSec: 60,
          Limit: DEFAULT_WAF_REQUESTS_PER_MINUTE,
        },
      },
    });
    const common = rules.find((r) => r['Name'] === 'aws-common-rules');
    const group = (common?.['Statement'] as Record<string, Record<string, Json>>)['ManagedRuleGroupStatement'];
    expect(group).toMatchObject({ VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' });
    expect(
      (group?.['RuleActionOverrides'] as Record<string, Json>[]).map((o) => [o['Name'], o['ActionToUse']]),
    ).toEqual(COUNTED_BODY_RULES.map((name) => [name, { Count: {} }]));
    const association = plain.one('AWS::WAFv2::WebACLAssociation');
    expect(Synthesized.target(association.props['ResourceArn'])).toBe(
      plain.one('AWS::ElasticLoadBalancingV2::LoadBalancer').id,
    );
    expect(render(association.props['WebACLArn'])).toBe(`\${${acl.id}.Arn}`);
    expect(() => synth({ insecureHttp: true, wafRequestsPerMinute: 5 })).toThrow(/wafRequestsPerMinute/);
  }, 60_000);

  it('log the load balancer’s requests to an encrypted, private bucket that forgets them (when the region is known)', () => {
    const bucket = full.one('AWS::S3::Bucket');
    expect(bucket.props).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    const rules = (bucket.props['LifecycleConfiguration'] as Record<string, Json>)['Rules'] as Record<string, Json>[];
    expect(rules).toContainEqual(expect.objectContaining({ ExpirationInDays: 90, Status: 'Enabled' }));
    const attributes = full.one('AWS::ElasticLoadBalancingV2::LoadBalancer').props['LoadBalancerAttributes'] as Record<
      string,
      Json
    >[];
    expect(attributes).toContainEqual({ Key: 'access_logs.s3.enabled', Value: 'true' });
    expect(attributes).toContainEqual({ Key: 'access_logs.s3.bucket', Value: { Ref: bucket.id } });
    // Environment-agnostic (no region at synth): none, and a warning says so.
    expect(plain.all('AWS::S3::Bucket')).toEqual([]);
    expect(warnings(plain).join('\n')).toMatch(/no access logs/);
  });
});

describe('the Lambda bundles', () => {
  it('are minified, with source maps beside them (what app.ts uploads)', async () => {
    const outdir = tempDir('exodus-bundles-');
    try {
      await bundleLambdas(outdir);
      for (const name of ['parser', 'worker', 'tally']) {
        const code = readFileSync(join(outdir, name, 'index.mjs'), 'utf8');
        // Minified: few lines for megabytes of code; the map names our sources.
        expect(code.split('\n').length, name).toBeLessThan(code.length / 1000);
        expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
        const map = JSON.parse(readFileSync(join(outdir, name, 'index.mjs.map'), 'utf8')) as { sources: string[] };
        expect(map.sources.some((source) => source.endsWith(`src/lambda/${name}.ts`))).toBe(true);
      }
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('OTLP export', () => {
  const otel = (env: Record<string, string>): string[] => Object.keys(env).filter((k) => k.startsWith('OTEL_'));

  it('is off without an endpoint: no OTEL_ variable anywhere', () => {
    for (const name of ['parser', 'worker', 'tally']) expect(otel(envOf(fn(plain, name)))).toEqual([]);
    expect(otel(containerEnv(plain))).toEqual([]);
    expect(otel(containerSecrets(plain))).toEqual([]);
  });

  it('sends http/protobuf to the endpoint from every Lambda, the api-key header resolved from the secret at deploy time', () => {
    for (const name of ['parser', 'worker', 'tally']) {
      expect(envOf(fn(full, name))).toMatchObject({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.nr-data.net',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_HEADERS: `{{resolve:secretsmanager:${HEADERS_ARN}:SecretString:::}}`,
      });
    }
  });

  it('sends from the frontend, the headers a container secret the execution role may read', () => {
    expect(containerEnv(full)).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.nr-data.net',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    });
    expect(containerEnv(full)['OTEL_EXPORTER_OTLP_HEADERS']).toBeUndefined();
    expect(containerSecrets(full)['OTEL_EXPORTER_OTLP_HEADERS']).toBe(HEADERS_ARN);
    const executionRole = Synthesized.target(full.one('AWS::ECS::TaskDefinition').props['ExecutionRoleArn']);
    expect(
      allows(full.statementsOf(executionRole), 'secretsmanager:GetSecretValue').flatMap((s) => s.resources),
    ).toContain(HEADERS_ARN);
  });

  it('refuses a headers secret without an endpoint, and a secret named by anything but its complete ARN', () => {
    const demo = { insecureHttp: true };
    expect(() => synth({ ...demo, otlpHeadersSecretArn: HEADERS_ARN })).toThrow(/otlpEndpoint is not/);
    expect(() =>
      synth({ ...demo, otlpEndpoint: 'https://otlp.nr-data.net', otlpHeadersSecretArn: 'exodus/otlp-headers' }),
    ).toThrow(/complete ARN/);
    expect(() => synth({ ...demo, otlpEndpoint: 'otlp.nr-data.net' })).toThrow(/http\(s\) URL/);
  });
});

describe('outputs', () => {
  it('give the load balancer’s URL, the table’s name and every queue’s URL', () => {
    const outputs = plain.json.Outputs ?? {};
    expect(render(outputs['Url']?.['Value'])).toBe(
      `http://\${${plain.one('AWS::ElasticLoadBalancingV2::LoadBalancer').id}.DNSName}/`,
    );
    expect(render(outputs['TableName']?.['Value'])).toBe(`\${${plain.one('AWS::DynamoDB::GlobalTable').id}}`);
    for (const name of ['Intake', 'Store', 'Tally']) {
      expect(render(outputs[`${name}QueueUrl`]?.['Value'])).toBe(
        `\${${queue(plain, `exodus-${name.toLowerCase()}`).id}}`,
      );
      expect(render(outputs[`${name}DeadLetterQueueUrl`]?.['Value'])).toBe(
        `\${${queue(plain, `exodus-${name.toLowerCase()}-dlq`).id}}`,
      );
    }
  });
});

describe('names', () => {
  it('follow the prefix the engines are given, and refuse one their URLs could not carry', () => {
    const names = namesFor('trial');
    expect([
      names.queue('intake'),
      names.deadLetterQueue('store'),
      names.wishParsedTopic,
      names.table,
      names.alarmTopic,
      names.fn('tally'),
    ]).toEqual(['trial-intake', 'trial-store-dlq', 'trial-wish-parsed', 'trial', 'trial-alarms', 'trial-tally']);
    expect(() => namesFor('no spaces')).toThrow(/prefix/);
    expect(() => synth({ insecureHttp: true, natGateways: 3 })).toThrow(/natGateways/);
  });
});
