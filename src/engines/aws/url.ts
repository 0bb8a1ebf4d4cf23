import { PermanentError } from '../../domain/index.js';

/**
 * What an `sqs://REGION/NAME?…` or `dynamodb://REGION/NAME?…` URL names. Credentials are never in
 * the URL: the SDK's default chain finds them (environment, profile, container or Lambda role).
 */
export interface AwsUrl {
  readonly region: string;
  /** SQS: the prefix of every queue and topic name; DynamoDB: the table's name. */
  readonly name: string;
  /** A local emulator's address (`?endpoint=http://127.0.0.1:9324`); undefined on AWS. */
  readonly endpoint: string | undefined;
  /** The account id (`?account=123456789012`), so ARNs can be built without a lookup. */
  readonly account: string | undefined;
}

export const DEFAULT_AWS_NAME = 'exodus';

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$/;
// Queue names allow 80 characters of [A-Za-z0-9_-] (the longest suffix we add is "-intake-dlq"), and
// DynamoDB table names 3–255 of [A-Za-z0-9_.-]: the intersection, with room for the suffixes.
const NAME = /^[A-Za-z0-9_-]{3,64}$/;
const ACCOUNT = /^\d{12}$/;

/** Parses an AWS engine URL; a bad one fails fast with one line naming what is wrong. */
export function parseAwsUrl(url: string, scheme: 'sqs' | 'dynamodb'): AwsUrl {
  const match = new RegExp(`^${scheme}://([^/?]*)(?:/([^?]*))?(?:\\?(.*))?$`, 'i').exec(url.trim());
  const usage = `expected ${scheme}://REGION[/NAME][?endpoint=http://host:port][&account=ID]`;
  if (match === null) throw invalid(url, usage);
  const region = match[1] ?? '';
  if (!REGION.test(region)) throw invalid(url, `"${region}" is not an AWS region (${usage})`);
  const name = match[2] === undefined || match[2] === '' ? DEFAULT_AWS_NAME : match[2];
  if (!NAME.test(name)) throw invalid(url, `name must match ${NAME.source}`);
  const params = new URLSearchParams(match[3] ?? '');
  for (const key of params.keys())
    if (key !== 'endpoint' && key !== 'account')
      throw invalid(url, `unknown parameter "${key}" (known: endpoint, account)`);
  const endpoint = params.get('endpoint') ?? undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(endpoint))
    throw invalid(url, `endpoint must be http(s)://host:port, not "${endpoint}"`);
  const account = params.get('account') ?? undefined;
  if (account !== undefined && !ACCOUNT.test(account)) throw invalid(url, 'account must be 12 digits');
  return { region, name, endpoint, account };
}

/**
 * What the SDK clients are built with. Against a local emulator (an endpoint given) and with no
 * credentials in the environment, a dummy pair: emulators check none, and the default chain would
 * otherwise fail after probing the instance metadata service for seconds.
 */
export function awsClientConfig(url: AwsUrl): {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
} {
  if (url.endpoint === undefined) return { region: url.region };
  const fromEnvironment = process.env['AWS_ACCESS_KEY_ID'] !== undefined || process.env['AWS_PROFILE'] !== undefined;
  return {
    region: url.region,
    endpoint: url.endpoint,
    ...(fromEnvironment ? {} : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  };
}

function invalid(url: string, why: string): PermanentError {
  // The URL holds no secret (credentials never go in it), so it may be shown.
  return new PermanentError('invalid_engine_url', `bad ${url.split(':')[0] ?? 'AWS'} URL "${url}": ${why}`);
}
