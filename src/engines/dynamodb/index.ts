import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PermanentError } from '../../domain/index.js';
import type { StorageEngine } from '../../ports/index.js';
import { awsClientConfig, parseAwsUrl } from '../aws/url.js';
import type { Engine } from '../engine.js';
import { classified } from './errors.js';
import { DynamoReadModel } from './read-model.js';
import { CurrentReader } from './reads.js';
import { deleteTable, ensureTable } from './table.js';
import { DynamoWishStore } from './wish-store.js';

/**
 * The serverless store: the system of record and the read model in one DynamoDB table
 * (`dynamodb://REGION/TABLE?endpoint=http://host:port`, table default `exodus`; credentials from
 * the SDK's default chain, never the URL). On AWS the table is the CDK stack's and is never created
 * here; against a local emulator (an endpoint given) opening creates it if missing and resolves once
 * it is ACTIVE.
 */
export async function openDynamoStorage(url: string): Promise<StorageEngine> {
  const target = parseAwsUrl(url, 'dynamodb');
  const client = new DynamoDBClient(awsClientConfig(target));
  try {
    if (target.endpoint !== undefined) await classified(() => ensureTable(client, target.name));
  } catch (error) {
    client.destroy();
    throw error;
  }
  // One reader for both: the store's and the read model's reads of a turn share a BatchGetItem.
  const currents = new CurrentReader(client, target.name);
  return {
    store: new DynamoWishStore(client, target.name, currents),
    readModel: new DynamoReadModel(client, target.name, currents),
    ping: () =>
      classified(async () => {
        await client.send(new DescribeTableCommand({ TableName: target.name }));
      }),
    close: async () => client.destroy(),
  };
}

/**
 * Deletes the URL's table: for tests, benchmarks and demos on a local emulator. On AWS (no
 * endpoint) it refuses: the table belongs to the CDK stack, and deleting it would break the stack.
 */
export async function deleteDynamoTable(url: string): Promise<void> {
  const target = parseAwsUrl(url, 'dynamodb');
  if (target.endpoint === undefined) {
    throw new PermanentError(
      'refused',
      `will not delete DynamoDB table ${target.name} on AWS: the CDK stack owns it (delete the stack instead)`,
    );
  }
  const client = new DynamoDBClient(awsClientConfig(target));
  try {
    await classified(() => deleteTable(client, target.name));
  } finally {
    client.destroy();
  }
}

export const engine: Engine = { openStorage: openDynamoStorage, destroyNamespace: deleteDynamoTable };
