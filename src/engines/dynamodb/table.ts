import {
  CreateTableCommand,
  DeleteTableCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { isNamed } from './errors.js';
import { SCAN_INDEX, WALL_INDEX } from './items.js';

/** How long a table may take to become ACTIVE or to go (seconds); DynamoDB Local takes none. */
const WAIT_SECONDS = 120;

/**
 * The table, exactly as the CDK stack declares it (keys and index names are a contract with it):
 * `pk`/`sk` strings, on demand, and two global indexes projecting every attribute: `wall`
 * (`gsi1pk`/`gsi1sk`) and `scan` (`gsi2pk`/`gsi2sk`). See items.ts for what goes in them.
 */
export function tableDefinition(name: string): CreateTableCommandInput {
  const index = (indexName: string, pk: string, sk: string) => ({
    IndexName: indexName,
    KeySchema: [
      { AttributeName: pk, KeyType: 'HASH' as const },
      { AttributeName: sk, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'].map((attribute) => ({
      AttributeName: attribute,
      AttributeType: 'S' as const,
    })),
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [index(WALL_INDEX, 'gsi1pk', 'gsi1sk'), index(SCAN_INDEX, 'gsi2pk', 'gsi2sk')],
  };
}

/**
 * Creates the table unless it exists, and waits until it is ACTIVE. Only against a local emulator:
 * on AWS the CDK stack owns the table. Concurrent openers are safe (the loser's create is refused as
 * in use, and it waits like the winner).
 */
export async function ensureTable(client: DynamoDBClient, name: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(tableDefinition(name)));
  } catch (error) {
    if (!isNamed(error, 'ResourceInUseException')) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: WAIT_SECONDS, minDelay: 1, maxDelay: 5 }, { TableName: name });
}

/** Deletes the table if it is there, and waits until it is gone. */
export async function deleteTable(client: DynamoDBClient, name: string): Promise<void> {
  try {
    await client.send(new DeleteTableCommand({ TableName: name }));
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) return;
    throw error;
  }
  await waitUntilTableNotExists({ client, maxWaitTime: WAIT_SECONDS, minDelay: 1, maxDelay: 5 }, { TableName: name });
}
