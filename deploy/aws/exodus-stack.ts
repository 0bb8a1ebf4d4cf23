import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { join, relative } from 'node:path';
import { readSlos, type Slo } from '../../src/ops/index.js';
import { packageRoot } from '../../src/runtime/package-root.js';
import { Alarms } from './alarms.js';
import { Canaries } from './canary.js';
import { Consumers, visibilityTimeoutFor } from './consumers.js';
import { DEFAULT_WAF_REQUESTS_PER_MINUTE, Edge } from './edge.js';
import { Frontend } from './frontend.js';
import { Messaging } from './messaging.js';
import { DEFAULT_PREFIX, WORK_QUEUES, engineUrls, namesFor, type ConsumerName } from './names.js';
import { WishTable } from './table.js';
import { OtlpSettings } from './telemetry.js';

/** The objective the burn-rate alarms watch (slo/wish-acceptance-availability.yaml). */
export const ALARMED_SLO = 'wish-acceptance-availability';

export interface ExodusStackProps extends StackProps {
  /** Each consumer's bundle (a directory with index.mjs exporting `handler`); tests pass inline code. */
  readonly lambdaCode: (name: ConsumerName) => lambda.Code;
  /** The services' image (the repository's Dockerfile); tests pass a registry image. */
  readonly frontendImage: ecs.ContainerImage;
  /** Prefix of every physical name (queues, topic, table, functions); default `exodus`. */
  readonly prefix?: string | undefined;
  /** Subscribed to the alarm topic. */
  readonly alarmEmail?: string | undefined;
  /** OTLP/HTTP endpoint of the telemetry backend (e.g. https://otlp.nr-data.net); default none: no export. */
  readonly otlpEndpoint?: string | undefined;
  /** The complete ARN of an existing Secrets Manager secret holding OTEL_EXPORTER_OTLP_HEADERS (e.g. `api-key=…`). */
  readonly otlpHeadersSecretArn?: string | undefined;
  /** ACM certificate for the load balancer (HTTPS, HTTP redirected). Required unless `insecureHttp`. */
  readonly certificateArn?: string | undefined;
  /** Plain HTTP without a certificate, said out loud: for a demo only (boarding passes would travel in clear). */
  readonly insecureHttp?: boolean | undefined;
  /**
   * NAT gateways of the VPC: 0 (the default: tasks in the public subnets with a public address, reached
   * only from the load balancer), or 1–2 (tasks in private subnets; 2 keeps each AZ's egress its own).
   */
  readonly natGateways?: number | undefined;
  /** The table's warm throughput, for the launch-day peak (table.ts: `LAUNCH_PEAK`). */
  readonly warmThroughput?: { readonly writeUnitsPerSecond?: number; readonly readUnitsPerSecond?: number } | undefined;
  /** Requests one address may make per minute across all tasks before the WAF blocks it (waf.ts). */
  readonly wafRequestsPerMinute?: number | undefined;
  /** Where the OpenSLO documents are; default the repository's slo/. */
  readonly sloDir?: string | undefined;
}

/**
 * Exodus on AWS: intake queue → parser (Lambda) → topic `wish.parsed` → store and tally queues →
 * worker and tally (Lambda) → DynamoDB, with the frontend on Fargate in front, every queue with its
 * DLQ, and alarms from the SLOs. It synthesizes offline; it deploys to the account of the credentials
 * that deploy it, and to the region the CDK CLI gives (app.ts), or any region when given none.
 */
export class ExodusStack extends Stack {
  constructor(scope: Construct, id: string, props: ExodusStackProps) {
    super(scope, id, props);
    const names = namesFor(props.prefix ?? DEFAULT_PREFIX);
    const natGateways = props.natGateways ?? 0;
    if (![0, 1, 2].includes(natGateways)) throw new Error(`natGateways must be 0, 1 or 2, got ${natGateways}`);
    requireTls(this, props);
    if (props.alarmEmail === undefined || props.alarmEmail === '') {
      Annotations.of(this).addWarningV2(
        'exodus:no-alarm-email',
        `No alarmEmail: the alarms notify the topic ${names.alarmTopic}, which nobody is subscribed to. Deploy with -c alarmEmail=… or subscribe a pager to the AlarmTopicArn output.`,
      );
    }
    const slo = alarmedSlo(props.sloDir ?? join(packageRoot(), 'slo'));
    const logRetention = logs.RetentionDays.ONE_MONTH;
    const urls = engineUrls(this, names);
    const otlp = new OtlpSettings(this, 'Otlp', {
      endpoint: props.otlpEndpoint,
      headersSecretArn: props.otlpHeadersSecretArn,
    });

    const messaging = new Messaging(this, 'Messaging', { names, visibilityTimeout: visibilityTimeoutFor });
    const { table } = new WishTable(this, 'Data', { names, warmThroughput: props.warmThroughput });
    const consumers = new Consumers(this, 'Consumers', {
      names,
      code: props.lambdaCode,
      messaging,
      table,
      environment: { EXODUS_QUEUE: urls.queue, EXODUS_STORE: urls.store, ...otlp.lambdaEnvironment() },
      logRetention,
    });
    const frontend = new Frontend(this, 'Frontend', {
      names,
      image: props.frontendImage,
      messaging,
      table,
      engineUrls: urls,
      otlp,
      natGateways,
      certificate:
        props.certificateArn === undefined
          ? undefined
          : acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
      logRetention,
    });
    new Edge(this, 'Edge', {
      names,
      loadBalancer: frontend.service.loadBalancer,
      requestsPerMinute: props.wafRequestsPerMinute ?? DEFAULT_WAF_REQUESTS_PER_MINUTE,
    });
    const alarms = new Alarms(this, 'Alarms', {
      names,
      messaging,
      functions: consumers.functions,
      table,
      loadBalancer: frontend.service.loadBalancer,
      slo,
      email: props.alarmEmail,
    });
    new Canaries(this, 'Canaries', {
      names,
      aliases: consumers.aliases,
      consumerHealth: alarms.consumerHealth,
      frontend: frontend.service.service,
      frontendHealth: alarms.frontendHealth,
    });

    const scheme = props.certificateArn === undefined ? 'http' : 'https';
    const output = (outputId: string, value: string, description: string): CfnOutput =>
      new CfnOutput(this, outputId, { value, description });
    output(
      'Url',
      `${scheme}://${frontend.service.loadBalancer.loadBalancerDnsName}/`,
      'The page (and the API under /api)',
    );
    output('TableName', table.tableName, 'The DynamoDB table (EXODUS_STORE)');
    output('QueueEngineUrl', urls.queue, 'EXODUS_QUEUE for the CLI (exodus dlq, exodus audit) against this stack');
    output('StoreEngineUrl', urls.store, 'EXODUS_STORE for the CLI against this stack');
    for (const name of WORK_QUEUES) {
      const title = name[0]?.toUpperCase() + name.slice(1);
      output(`${title}QueueUrl`, messaging.queues[name].queueUrl, `${names.queue(name)}`);
      output(`${title}DeadLetterQueueUrl`, messaging.deadLetterQueues[name].queueUrl, `${names.deadLetterQueue(name)}`);
    }
    output('WishParsedTopicArn', messaging.wishParsed.topicArn, 'The wish.parsed topic');
    output('AlarmTopicArn', alarms.topic.topicArn, 'Every alarm notifies this topic: subscribe a pager or chat to it');
    output(
      'PassSecretArn',
      frontend.passSecret.secretArn,
      'EXODUS_PASS_SECRET, for `exodus roster generate` (boarding passes)',
    );
    output('AdminTokenSecretArn', frontend.adminTokenSecret.secretArn, 'EXODUS_ADMIN_TOKEN, for an ops console task');
  }
}

function alarmedSlo(dir: string): Slo {
  const slo = readSlos(dir).find((candidate) => candidate.name === ALARMED_SLO);
  if (slo === undefined) throw new Error(`${dir}: no SLO named ${ALARMED_SLO} (the burn-rate alarms watch it)`);
  // Named from the repository in the alarms' descriptions (slo/…yaml), the same on every machine.
  return { ...slo, file: relative(packageRoot(), slo.file) };
}

/**
 * Boarding passes are bearer tokens: over plain HTTP anyone on the hall's Wi-Fi could take one. So a
 * certificate is required, and plain HTTP is a demo someone asked for by name.
 */
function requireTls(stack: Stack, props: ExodusStackProps): void {
  if (props.certificateArn !== undefined) return;
  if (props.insecureHttp !== true) {
    throw new Error(
      'certificateArn is required (HTTPS on 443, HTTP redirected): -c certificateArn=arn:aws:acm:…; for a demo over plain HTTP, -c insecureHttp=true',
    );
  }
  Annotations.of(stack).addWarningV2(
    'exodus:insecure-http',
    'insecureHttp: the load balancer serves plain HTTP; boarding passes travel in clear. A demo only.',
  );
}
