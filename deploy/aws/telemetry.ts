import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface OtlpProps {
  /** The backend's OTLP/HTTP endpoint, e.g. `https://otlp.nr-data.net` (New Relic, US); undefined: nothing is exported. */
  readonly endpoint?: string | undefined;
  /**
   * The complete ARN (with Secrets Manager's 6-character suffix) of an existing secret whose value is
   * the whole `OTEL_EXPORTER_OTLP_HEADERS` string, e.g. `api-key=<New Relic licence key>` (New Relic's
   * OTLP intake takes the key in an `api-key` header). Created by you, not by the stack, which could
   * only generate a value, never know your key. The complete ARN because ECS fetches a container
   * secret by its exact ARN: a name or a partial ARN fails the task at start (aws-cdk#20744).
   * Undefined: no headers (a collector that needs none).
   */
  readonly headersSecretArn?: string | undefined;
}

/**
 * The standard OTEL_EXPORTER_OTLP_* settings, the only ones src/runtime/otlp-export.ts reads to turn
 * export on: the endpoint, `http/protobuf` (the smaller payload; gRPC is not built in), and the headers.
 */
export class OtlpSettings extends Construct {
  /** Plain variables for the Lambdas and the task; empty when there is no endpoint. */
  readonly environment: Readonly<Record<string, string>>;
  readonly headersSecret: secretsmanager.ISecret | undefined;

  constructor(scope: Construct, id: string, props: OtlpProps) {
    super(scope, id);
    const endpoint = props.endpoint?.trim() ?? '';
    if (endpoint !== '' && !/^https?:\/\/[^\s]+$/.test(endpoint))
      throw new Error(`otlpEndpoint must be an http(s) URL, got "${endpoint}"`);
    const arn = props.headersSecretArn;
    if (endpoint === '' && arn !== undefined)
      throw new Error('otlpHeadersSecretArn is set but otlpEndpoint is not: nothing would be exported');
    if (arn !== undefined && !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/.test(arn)) {
      throw new Error(`otlpHeadersSecretArn must be a secret's complete ARN (…:secret:NAME-AbCdEf), got "${arn}"`);
    }
    this.environment =
      endpoint === '' ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' };
    this.headersSecret =
      arn === undefined ? undefined : secretsmanager.Secret.fromSecretCompleteArn(this, 'Headers', arn);
  }

  /** On ECS the headers are a container secret: the agent reads it when the task starts; it never sits in the task definition. */
  containerSecrets(): Record<string, ecs.Secret> {
    return this.headersSecret === undefined
      ? {}
      : { OTEL_EXPORTER_OTLP_HEADERS: ecs.Secret.fromSecretsManager(this.headersSecret) };
  }

  /**
   * Lambda has no secret injection, and the handlers are not ours to teach to fetch one. So the value
   * goes in as a CloudFormation dynamic reference (`{{resolve:secretsmanager:…}}`), resolved when the
   * stack is deployed. What that means: the key is stored in the function's configuration (encrypted
   * at rest with Lambda's key, but shown in plain text to anyone allowed lambda:GetFunctionConfiguration),
   * and a rotated key reaches the functions only on the next deploy. The template itself holds only the
   * reference. The alternative, a handler that reads the secret at cold start (or the Parameters and
   * Secrets Lambda extension), keeps it out of the configuration: worth doing if that exposure matters.
   */
  lambdaEnvironment(): Record<string, string> {
    if (this.headersSecret === undefined) return { ...this.environment };
    return { ...this.environment, OTEL_EXPORTER_OTLP_HEADERS: this.headersSecret.secretValue.unsafeUnwrap() };
  }
}
