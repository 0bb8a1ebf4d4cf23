import { DynamoDBClient, QueryCommand, type AttributeValue, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { openStorage } from '../../../src/engines/index.js';

// The audit pages through every record with scan(afterId, 1000). DynamoDB Local shows the order is
// right; only a count of the items read shows what a page costs.
const dynamo = mockClient(DynamoDBClient);
afterEach(() => void dynamo.reset());

type Item = Record<string, AttributeValue>;

/** The `scan` index as DynamoDB answers a Query on it: one shard, ids after `:after`, at most `Limit`. */
function serveShards(shards: ReadonlyMap<string, string[]>): { itemsRead: () => number } {
  let read = 0;
  dynamo.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    const values = input.ExpressionAttributeValues ?? {};
    const after = values[':after']?.S ?? '';
    const ids = (shards.get(values[':shard']?.S ?? '') ?? []).filter((id) => id > after);
    const page = ids.slice(0, input.Limit ?? ids.length);
    read += page.length;
    const items: Item[] = page.map((id) => ({
      id: { S: id },
      evacueeId: { S: 'EV-00001' },
      status: { S: 'stored' },
      submittedAt: { S: '2045-01-01T00:00:00.000Z' },
      gsi2sk: { S: id },
    }));
    const last = items.at(-1);
    return { Items: items, ...(page.length < ids.length && last !== undefined ? { LastEvaluatedKey: last } : {}) };
  });
  return { itemsRead: () => read };
}

/** `count` ids in order, dealt to the 16 shards by `shardOf`. */
function shardsOf(count: number, shardOf: (i: number) => number): { ids: string[]; shards: Map<string, string[]> } {
  const ids = Array.from({ length: count }, (_, i) => `01900000-0000-7000-8000-${String(i).padStart(12, '0')}`);
  const shards = new Map<string, string[]>();
  ids.forEach((id, i) => {
    const pk = `SCAN#${String(shardOf(i)).padStart(2, '0')}`;
    shards.set(pk, [...(shards.get(pk) ?? []), id]);
  });
  return { ids, shards };
}

async function scanEverything(pageSize: number): Promise<string[]> {
  const { store } = await openStorage('dynamodb://eu-west-1/exodus');
  const seen: string[] = [];
  for (
    let page = await store.scan(undefined, pageSize);
    page.length > 0;
    page = await store.scan(page.at(-1)?.id, pageSize)
  )
    seen.push(...page.map((record) => record.id));
  return seen;
}

describe('DynamoDB store: scan over the sharded index', () => {
  it('pages of 1000 over ids spread evenly read about what they return, not 16 times as much', async () => {
    // A fixed, uneven-enough deal (as a hash gives): i·7 mod 16, perturbed every 5th.
    const { ids, shards } = shardsOf(5000, (i) => (i * 7 + (i % 5 === 0 ? 3 : 0)) % 16);
    const { itemsRead } = serveShards(shards);
    expect(await scanEverything(1000)).toEqual(ids);
    expect(itemsRead()).toBeLessThan(ids.length * 1.5);
  });

  it.each([
    ['all in one shard', () => 9],
    ['two shards, one far fuller', (i: number) => (i % 10 === 0 ? 2 : 14)],
    ['runs of one shard after another', (i: number) => Math.floor(i / 40) % 16],
  ])('gives every record once, in id order, however the ids fall: %s', async (_, shardOf) => {
    const { ids, shards } = shardsOf(700, shardOf);
    serveShards(shards);
    expect(await scanEverything(3)).toEqual(ids);
    expect(await scanEverything(250)).toEqual(ids);
  });
});
