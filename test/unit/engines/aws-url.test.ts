import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../../src/domain/index.js';
import { awsClientConfig, parseAwsUrl } from '../../../src/engines/aws/url.js';

describe('AWS engine URLs', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('reads region, name, endpoint and account; the name defaults to exodus', () => {
    expect(parseAwsUrl('sqs://us-east-1/wishes?endpoint=http://127.0.0.1:9324&account=123456789012', 'sqs')).toEqual({
      region: 'us-east-1',
      name: 'wishes',
      endpoint: 'http://127.0.0.1:9324',
      account: '123456789012',
    });
    expect(parseAwsUrl('dynamodb://eu-central-1', 'dynamodb')).toEqual({
      region: 'eu-central-1',
      name: 'exodus',
      endpoint: undefined,
      account: undefined,
    });
    expect(parseAwsUrl('dynamodb://us-gov-west-1/exodus', 'dynamodb').region).toBe('us-gov-west-1');
  });

  it.each([
    ['sqs://exodus', /not an AWS region/],
    ['sqs://us-east-1/exodus?secret=x', /unknown parameter "secret"/],
    ['sqs://us-east-1/a b', /name must match/],
    ['sqs://us-east-1/exodus?endpoint=ftp://host', /endpoint must be http\(s\):\/\/host:port/],
    ['sqs://us-east-1/exodus?account=12', /account must be 12 digits/],
    ['dynamodb://us-east-1/exodus', /expected sqs:\/\//],
  ])('refuses %s in one line naming what is wrong', (url, why) => {
    const error = (() => {
      try {
        parseAwsUrl(url, 'sqs');
        return undefined;
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(PermanentError);
    expect(String((error as Error).message)).toMatch(why);
    expect(String((error as Error).message)).not.toMatch(/\n/);
  });

  it('gives the SDK dummy credentials only for a local endpoint without credentials of its own, and never any on AWS', () => {
    delete process.env['AWS_ACCESS_KEY_ID'];
    delete process.env['AWS_PROFILE'];
    const local = parseAwsUrl('sqs://us-east-1/exodus?endpoint=http://127.0.0.1:9324', 'sqs');
    expect(awsClientConfig(local)).toEqual({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9324',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    process.env['AWS_PROFILE'] = 'dev';
    expect(awsClientConfig(local)).toEqual({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9324' });
    expect(awsClientConfig(parseAwsUrl('sqs://us-east-1/exodus', 'sqs'))).toEqual({ region: 'us-east-1' });
  });
});
