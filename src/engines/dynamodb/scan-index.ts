import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SCAN_INDEX, SCAN_SHARDS, scanPk, text, type Item } from './items.js';
import { queryUpTo } from './reads.js';

interface Shard {
  readonly index: number;
  /** Fetched and not yet known to be in the answer's range, in id order. */
  readonly items: Item[];
  /** The greatest id fetched so far (or where the scan starts). */
  last: string | undefined;
  done: boolean;
}

const idOf = (item: Item): string => text(item, 'gsi2sk');

/**
 * The first `limit` wish records after `afterId`, in id order, from the 16 shards of the `scan`
 * index: a lazy merge. Each shard is read a little over its share (ids spread evenly over shards),
 * and what every unfinished shard has passed is final; only when that is short of `limit` are the
 * shards holding it back read further. So a page costs about `limit` items read, not 16 × `limit`
 * (which querying every shard for `limit` would, on each of an audit's pages).
 */
export async function scanInIdOrder(
  client: DynamoDBClient,
  table: string,
  afterId: string | undefined,
  limit: number,
): Promise<Item[]> {
  if (limit <= 0) return [];
  const chunk = Math.min(limit, Math.ceil((limit / SCAN_SHARDS) * 1.25) + 4);
  const shards: Shard[] = Array.from({ length: SCAN_SHARDS }, (_, index) => ({
    index,
    items: [],
    last: afterId,
    done: false,
  }));
  let behind = shards;
  for (;;) {
    await Promise.all(behind.map((shard) => readMore(client, table, shard, chunk)));
    const open = shards.filter((shard) => !shard.done);
    // Every open shard has given all it holds up to its last id: up to the least of those, the merge is complete.
    const bound = open.reduce<string | undefined>(
      (least, shard) => (least === undefined || (shard.last ?? '') < least ? shard.last : least),
      undefined,
    );
    const ready = shards
      .flatMap((shard) => shard.items)
      .filter((item) => open.length === 0 || idOf(item) <= (bound ?? ''))
      .sort((a, b) => (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0));
    if (ready.length >= limit || open.length === 0) return ready.slice(0, limit);
    behind = open.filter((shard) => shard.last === bound);
  }
}

async function readMore(client: DynamoDBClient, table: string, shard: Shard, count: number): Promise<void> {
  const after = shard.last;
  const items = await queryUpTo(
    client,
    {
      TableName: table,
      IndexName: SCAN_INDEX,
      // A key condition may not compare with an empty string: no afterId, no condition.
      KeyConditionExpression: after === undefined ? 'gsi2pk = :shard' : 'gsi2pk = :shard AND gsi2sk > :after',
      ExpressionAttributeValues: {
        ':shard': { S: scanPk(shard.index) },
        ...(after === undefined ? {} : { ':after': { S: after } }),
      },
    },
    count,
  );
  shard.items.push(...items);
  const last = items.at(-1);
  shard.last = last === undefined ? after : idOf(last);
  shard.done = items.length < count;
}
