import { Annotations, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { Names } from './names.js';

/**
 * Requests one client address may make per minute, over every task together, before the WAF blocks it
 * for a while. Generous on purpose: a boarding hall's phones share one NAT address (README "The front
 * door"), and their page polls; this stops one host flooding the door, while the frontend's own limits
 * (per evacuee, per address for writes without a valid pass) do the fine work, per task.
 */
export const DEFAULT_WAF_REQUESTS_PER_MINUTE = 20_000;

/**
 * AWS's common rules inspect bodies for markup, paths and size (8 KB). A wish is free text that may
 * hold anything, `<script>` included, and is kept exactly (markup is flagged, never refused, src/domain),
 * up to the frontend's own 16 KB limit: those body rules only count, so they show in the WAF's metrics
 * without turning away an evacuee's last words.
 */
export const COUNTED_BODY_RULES = [
  'SizeRestrictions_BODY',
  'CrossSiteScripting_BODY',
  'GenericLFI_BODY',
  'GenericRFI_BODY',
  'EC2MetaDataSSRF_BODY',
] as const;

/** How long the load balancer's access logs are kept. */
export const ACCESS_LOG_RETENTION = Duration.days(90);

export interface EdgeProps {
  readonly names: Names;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly requestsPerMinute: number;
}

/** In front of the frontend: a web ACL on the load balancer, and the load balancer's access logs. */
export class Edge extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  /** Undefined when the region is unknown at synth (see below). */
  readonly accessLogs: s3.Bucket | undefined;

  constructor(scope: Construct, id: string, props: EdgeProps) {
    super(scope, id);
    const { names } = props;
    if (!Number.isInteger(props.requestsPerMinute) || props.requestsPerMinute < 10)
      throw new Error(`wafRequestsPerMinute must be an integer ≥ 10 (WAF's minimum), got ${props.requestsPerMinute}`);
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `${names.prefix}-frontend`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`${names.prefix}-frontend`),
      rules: [
        {
          name: 'per-address-rate',
          priority: 0,
          // WAF counts across every task behind the load balancer, which the frontend's in-memory limits cannot.
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              evaluationWindowSec: 60,
              limit: props.requestsPerMinute,
            },
          },
          action: { block: {} },
          visibilityConfig: visibility(`${names.prefix}-per-address-rate`),
        },
        {
          name: 'aws-common-rules',
          priority: 1,
          statement: {
            managedRuleGroupStatement: {
              vendorName: 'AWS',
              name: 'AWSManagedRulesCommonRuleSet',
              ruleActionOverrides: COUNTED_BODY_RULES.map((name) => ({ name, actionToUse: { count: {} } })),
            },
          },
          overrideAction: { none: {} },
          visibilityConfig: visibility(`${names.prefix}-aws-common-rules`),
        },
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.loadBalancer.loadBalancerArn,
      webAclArn: this.webAcl.attrArn,
    });

    // The bucket policy names ELB's log-delivery account of the region (or, in newer regions, its
    // service principal), so it needs the region at synth: deploys through the CDK CLI give it (app.ts).
    if (Token.isUnresolved(Stack.of(this).region)) {
      Annotations.of(this).addWarningV2(
        'exodus:no-access-logs',
        'No region at synth (environment-agnostic): the load balancer keeps no access logs. Synthesize with the CDK CLI (it sets CDK_DEFAULT_REGION) to have them.',
      );
      return;
    }
    // ALB access logs accept only SSE-S3. Kept after the stack (RETAIN): they are the record of who
    // knocked, and CloudFormation cannot delete a bucket that holds objects anyway.
    const bucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: ACCESS_LOG_RETENTION, abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // `as`: the exactOptionalPropertyTypes mismatch of aws-cdk-lib's classes (see frontend.ts).
    props.loadBalancer.logAccessLogs(bucket as s3.IBucket, 'alb');
    this.accessLogs = bucket;
  }
}
