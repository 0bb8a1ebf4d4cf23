import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { Messaging } from './messaging.js';
import type { Names } from './names.js';
import type { OtlpSettings } from './telemetry.js';

export const CONTAINER_NAME = 'web';
export const CONTAINER_PORT = 3000;
/**
 * The frontend's internal listener (EXODUS_HEALTH_PORT): /healthz, /readyz and the Prometheus scrape,
 * which the public port then no longer answers under any spelling of its path. Not mapped to the load
 * balancer; the container's health check calls it on 127.0.0.1. 9464: OpenTelemetry's Prometheus port.
 */
export const HEALTH_PORT = 9464;

/**
 * The container's health check, the same one-liner as the Dockerfile's HEALTHCHECK (ECS ignores the
 * image's; a test checks the two agree). Node itself, since the slim image has no curl: /healthz
 * answers 200 while the process lives and never checks a dependency.
 */
export const HEALTHCHECK_SCRIPT =
  "fetch('http://127.0.0.1:'+(process.env.EXODUS_HEALTH_PORT||process.env.EXODUS_PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))";

/** The frontend's CPU architecture: Graviton (cheaper per vCPU), like the Lambdas; app.ts builds the image for it. */
export const FRONTEND_CPU_ARCHITECTURE = ecs.CpuArchitecture.ARM64;

/**
 * Scaling. CPU is the honest signal for one Node.js thread; request counts scale out before the event
 * loop lags into load shedding. ALB counts requests per target per minute: 30,000 is 500 requests/s per
 * task for the page and the reads (the wall and tally come from a one-second cache), 12,000 (200/s)
 * for wish submissions, each a queue send. Starting points, under what one process measured locally
 * (README "What it costs"): measure with `exodus load` against the deployed stack and adjust.
 */
export const SCALING = {
  minTasks: 2,
  maxTasks: 20,
  cpuPercent: 50,
  requestsPerTargetPerMinute: 30_000,
  wishesPerTargetPerMinute: 12_000,
} as const;

/** A task stops like this: the ALB drains it (30 s), then SIGTERM; the process drains in ≤ 20 s (src/runtime/shutdown.ts), SIGKILL after 30. */
const DEREGISTRATION_DELAY = Duration.seconds(30);
const STOP_TIMEOUT = Duration.seconds(30);

/**
 * The load balancer's health check: liveness (/healthz), not readiness. ECS replaces a task whose
 * target is unhealthy, and the frontend's readiness (/readyz) is the intake queue answering: an SQS
 * hiccup would make ECS kill every task at once, and a restart cures nothing outside the process.
 * The frontend sheds load itself (503 with Retry-After) when it cannot take more.
 */
const TARGET_HEALTH_CHECK: elbv2.HealthCheck = {
  path: '/healthz',
  healthyHttpCodes: '200',
  interval: Duration.seconds(10),
  timeout: Duration.seconds(5),
  healthyThresholdCount: 2,
  unhealthyThresholdCount: 3,
};

export interface FrontendProps {
  readonly names: Names;
  readonly image: ecs.ContainerImage;
  readonly messaging: Messaging;
  readonly table: dynamodb.TableV2;
  readonly engineUrls: { readonly queue: string; readonly store: string };
  readonly otlp: OtlpSettings;
  /** NAT gateways: 0 puts the tasks in public subnets; 2 (one per AZ) keeps each AZ's egress independent. */
  readonly natGateways: number;
  /** An ACM certificate for HTTPS (HTTP then redirects to it); undefined: HTTP only, for a trial. */
  readonly certificate?: acm.ICertificate | undefined;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The frontend on Fargate behind an internet-facing ALB, in a new VPC across two AZs.
 *
 * Network, by default (natGateways 0): tasks in the public subnets, each with a public IPv4 address
 * ($3.65 a month each) and a security group that admits only the load balancer. The tasks' traffic is
 * all outbound (SQS, ECR, CloudWatch Logs, Secrets Manager, and the OTLP backend on the internet,
 * e.g. New Relic), and two NAT gateways cost ~$66 a month plus $0.045 per GB; interface endpoints for
 * the AWS services (~$15 a month each across two AZs, five of them) would still leave the OTLP
 * backend unreachable. With natGateways 1 or 2, the tasks move to private subnets behind them (2:
 * one per AZ, so the loss of one AZ does not cut the other's egress). DynamoDB and S3 (ECR's image
 * layers) go through free gateway endpoints either way.
 *
 * Two target groups for the one service: POST /api/wishes has its own, so the service scales on wishes
 * per task apart from the page's and the wall's requests, and its counts can be read apart.
 */
export class Frontend extends Construct {
  readonly service: ecsPatterns.ApplicationLoadBalancedFargateService;
  /** The target group of POST /api/wishes (the rest goes to `service.targetGroup`). */
  readonly wishTargetGroup: elbv2.ApplicationTargetGroup;
  readonly passSecret: secretsmanager.Secret;
  readonly adminTokenSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: FrontendProps) {
    super(scope, id);
    const { names, messaging, table } = props;
    const natGateways = props.natGateways;
    const taskSubnetType = natGateways === 0 ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS;
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        ...(natGateways === 0
          ? []
          : [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 }]),
      ],
      gatewayEndpoints: {
        DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
      },
    });
    // `as`: aws-cdk-lib's classes declare an absent optional member as `T | undefined` where their
    // interfaces say `?: T`, which this repository's exactOptionalPropertyTypes refuses; the values are fine.
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc: vpc as ec2.IVpc });

    // The boarding-pass key: every pass handed out is signed with it, so it outlives the stack (a new
    // one would void them all). Its ARN is an output: `exodus roster generate` needs its value.
    this.passSecret = new secretsmanager.Secret(this, 'PassSecret', {
      description: `${names.prefix}: boarding-pass signing key (EXODUS_PASS_SECRET)`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The ops console's token (EXODUS_ADMIN_TOKEN), for a console task run from the same image. Not
    // given to the frontend: `serve frontend` never reads it, and the internet-facing task should not
    // hold a credential it does not use.
    this.adminTokenSecret = new secretsmanager.Secret(this, 'AdminToken', {
      description: `${names.prefix}: ops console token (EXODUS_ADMIN_TOKEN)`,
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
    });

    const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: 1024,
      memoryLimitMiB: 2048,
      runtimePlatform: {
        cpuArchitecture: FRONTEND_CPU_ARCHITECTURE,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    taskDefinition.addContainer(CONTAINER_NAME, {
      image: props.image,
      // The image's ENTRYPOINT is `node bin/exodus.js`; this is its default CMD, said here so the task does not depend on it.
      command: ['serve', 'frontend'],
      portMappings: [{ containerPort: CONTAINER_PORT }],
      environment: {
        EXODUS_HOST: '0.0.0.0',
        EXODUS_PORT: String(CONTAINER_PORT),
        EXODUS_HEALTH_PORT: String(HEALTH_PORT),
        // The SLO's counts as EMF on stdout, which the awslogs driver carries to CloudWatch (burn-rate.ts).
        EXODUS_EMF_NAMESPACE: names.metricsNamespace,
        // One proxy in front (the ALB): the client's address is the last hop it adds to X-Forwarded-For.
        EXODUS_TRUST_PROXY_HOPS: '1',
        EXODUS_QUEUE: props.engineUrls.queue,
        EXODUS_STORE: props.engineUrls.store,
        EXODUS_LOG_FORMAT: 'json',
        // The heap below the task's 2 GiB, leaving room for buffers and code; load shedding starts at 90 % of it.
        NODE_OPTIONS: '--enable-source-maps --max-old-space-size=1536',
        ...props.otlp.environment,
      },
      secrets: {
        EXODUS_PASS_SECRET: ecs.Secret.fromSecretsManager(this.passSecret as secretsmanager.ISecret),
        ...props.otlp.containerSecrets(),
      },
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'frontend',
        logGroup: new logs.LogGroup(this, 'Logs', { retention: props.logRetention }),
      }),
      healthCheck: {
        command: ['CMD', 'node', '-e', HEALTHCHECK_SCRIPT],
        interval: Duration.seconds(10),
        timeout: Duration.seconds(3),
        retries: 3,
        startPeriod: Duration.seconds(15),
      },
      stopTimeout: STOP_TIMEOUT,
    });

    const https = props.certificate !== undefined;
    this.service = new ecsPatterns.ApplicationLoadBalancedFargateService(this, 'Service', {
      cluster: cluster as ecs.ICluster,
      taskDefinition,
      serviceName: `${names.prefix}-frontend`,
      desiredCount: SCALING.minTasks,
      publicLoadBalancer: true,
      taskSubnets: { subnetType: taskSubnetType },
      // Without NAT a task reaches SQS, ECR, Logs and the OTLP backend by its own public address; its
      // security group admits only the load balancer (the pattern's rule), so nothing else reaches it.
      assignPublicIp: natGateways === 0,
      // Deploys add new tasks before old ones go (never below the desired count), and a deploy whose
      // tasks do not get healthy is rolled back by itself.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: Duration.seconds(30),
      ...(https
        ? {
            certificate: props.certificate,
            protocol: elbv2.ApplicationProtocol.HTTPS,
            redirectHTTP: true,
            sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
          }
        : {}),
    });
    this.service.targetGroup.configureHealthCheck(TARGET_HEALTH_CHECK);
    this.service.targetGroup.setAttribute(
      'deregistration_delay.timeout_seconds',
      String(DEREGISTRATION_DELAY.toSeconds()),
    );
    // Requests with header names ALB cannot parse never reach the app.
    this.service.loadBalancer.setAttribute('routing.http.drop_invalid_header_fields.enabled', 'true');

    this.wishTargetGroup = this.service.listener.addTargets('Wishes', {
      priority: 10,
      conditions: [
        elbv2.ListenerCondition.pathPatterns(['/api/wishes']),
        elbv2.ListenerCondition.httpRequestMethods(['POST']),
      ],
      port: CONTAINER_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [
        this.service.service.loadBalancerTarget({ containerName: CONTAINER_NAME, containerPort: CONTAINER_PORT }),
      ],
      healthCheck: TARGET_HEALTH_CHECK,
      deregistrationDelay: DEREGISTRATION_DELAY,
    });

    const scaling = this.service.service.autoScaleTaskCount({
      minCapacity: SCALING.minTasks,
      maxCapacity: SCALING.maxTasks,
    });
    const cooldowns = { scaleOutCooldown: Duration.seconds(60), scaleInCooldown: Duration.minutes(5) };
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: SCALING.cpuPercent, ...cooldowns });
    scaling.scaleOnRequestCount('Requests', {
      targetGroup: this.service.targetGroup,
      requestsPerTarget: SCALING.requestsPerTargetPerMinute,
      ...cooldowns,
    });
    scaling.scaleOnRequestCount('Wishes', {
      targetGroup: this.wishTargetGroup,
      requestsPerTarget: SCALING.wishesPerTargetPerMinute,
      ...cooldowns,
    });

    // The frontend sends wishes to the intake and reads the store and the read model: nothing more.
    const taskRole = taskDefinition.taskRole;
    messaging.queues.intake.grantSendMessages(taskRole);
    messaging.grantLookup(taskRole);
    // Queue stats (the intake's depth and its dead letters) for its metrics.
    messaging.deadLetterQueues.intake.grant(taskRole, 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl');
    table.grant(taskRole, 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem');
  }
}
