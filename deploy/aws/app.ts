// The CDK app: `npm run aws:synth` builds, bundles the Lambdas into dist/lambda/<name>/index.mjs, and
// runs this (node dist/deploy/aws/app.js), writing the cloud assembly to deploy/aws/cdk.out. Deploy
// that with the CDK CLI from deploy/aws (cdk.json there): `npx aws-cdk deploy -c alarmEmail=…`.
//
// Context (-c key=value, or "context" in cdk.json): certificateArn (required, unless insecureHttp=true
// for a demo), alarmEmail (warned about when missing), prefix, otlpEndpoint, otlpHeadersSecretArn,
// natGateways, warmWriteUnitsPerSecond, warmReadUnitsPerSecond, wafRequestsPerMinute.
// Run directly (npm run aws:synth), context comes from CDK_CONTEXT_JSON, e.g. '{"insecureHttp":"true"}'.
import { App, IgnoreMode } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/runtime/package-root.js';
import { ExodusStack } from './exodus-stack.js';
import { FRONTEND_CPU_ARCHITECTURE } from './frontend.js';
import { CONSUMERS, DEFAULT_PREFIX, type ConsumerName } from './names.js';

const root = packageRoot();
const bundleDir = (name: ConsumerName): string => join(root, 'dist', 'lambda', name);
const missing = CONSUMERS.filter((name) => !existsSync(join(bundleDir(name), 'index.mjs')));
if (missing.length > 0) {
  console.error(
    `no Lambda bundle in ${missing.map((name) => `dist/lambda/${name}/index.mjs`).join(', ')}: run \`npm run aws:synth\` (it builds and bundles them first)`,
  );
  process.exit(1);
}

// Under the CDK CLI, CDK_OUTDIR says where it wants the assembly; run directly, deploy/aws/cdk.out.
// cdk.json's context (the recommended feature flags) applies when run directly too, as under the CLI.
const { context: cdkJsonContext } = JSON.parse(readFileSync(join(root, 'deploy', 'aws', 'cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};
const app = new App({
  outdir: process.env['CDK_OUTDIR'] ?? join(root, 'deploy', 'aws', 'cdk.out'),
  context: cdkJsonContext,
});
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  // -c gives strings; cdk.json may give numbers and booleans.
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
};
const number = (key: string): number | undefined => {
  const value = context(key);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`-c ${key} must be a whole number, got "${value}"`);
  return Number(value);
};
const prefix = context('prefix') ?? DEFAULT_PREFIX;
const warmWriteUnitsPerSecond = number('warmWriteUnitsPerSecond');
const warmReadUnitsPerSecond = number('warmReadUnitsPerSecond');

// A refused option (no certificate, a bad value) is one line naming it, not a stack trace.
try {
  new ExodusStack(app, prefix === DEFAULT_PREFIX ? 'Exodus' : `Exodus-${prefix.replace(/_/g, '-')}`, {
    description: 'Exodus: last wishes at burst scale (frontend on Fargate, SQS/SNS, Lambda consumers, DynamoDB)',
    // The region the CDK CLI deploys to (from the profile), when known: the access logs' bucket policy
    // needs it. The account stays a token: the stack deploys to the credentials' account.
    ...(process.env['CDK_DEFAULT_REGION'] === undefined ? {} : { env: { region: process.env['CDK_DEFAULT_REGION'] } }),
    prefix,
    lambdaCode: (name) => lambda.Code.fromAsset(bundleDir(name)),
    // The repository is the build context; .dockerignore lets in only what the image build needs, which
    // also keeps hashing the context (on every synth) fast. Built for the tasks' architecture (ARM64):
    // on an x86 machine that takes Docker Buildx with QEMU.
    frontendImage: ecs.ContainerImage.fromAsset(root, {
      file: 'Dockerfile',
      platform: FRONTEND_CPU_ARCHITECTURE === ecs.CpuArchitecture.ARM64 ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64,
      ignoreMode: IgnoreMode.DOCKER,
    }),
    alarmEmail: context('alarmEmail'),
    otlpEndpoint: context('otlpEndpoint'),
    otlpHeadersSecretArn: context('otlpHeadersSecretArn'),
    certificateArn: context('certificateArn'),
    insecureHttp: context('insecureHttp') === 'true',
    natGateways: number('natGateways'),
    warmThroughput: {
      ...(warmWriteUnitsPerSecond === undefined ? {} : { writeUnitsPerSecond: warmWriteUnitsPerSecond }),
      ...(warmReadUnitsPerSecond === undefined ? {} : { readUnitsPerSecond: warmReadUnitsPerSecond }),
    },
    wafRequestsPerMinute: number('wafRequestsPerMinute'),
  });
} catch (error) {
  console.error(`exodus stack: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
app.synth();
