import {
  BatchGetItemCommand,
  QueryCommand,
  ScanCommand,
  type DynamoDBClient,
  type QueryCommandInput,
  type ScanCommandInput,
} from '@aws-sdk/client-dynamodb';
import { TurnBatch } from '../shared/turn-batch.js';
import { classified, isolatable } from './errors.js';
import { CURRENT_PROJECTION, evacueeKey, toCurrent, type Current, type Item } from './items.js';
import { untilAllProcessed } from './retry.js';

/** Keys per BatchGetItem: the service's limit. */
const KEYS_PER_BATCH = 100;

/**
 * Strongly consistent reads of evacuees' CURRENT and WALL items (the versions a conditional write
 * is checked against), gathered per turn of the event loop into BatchGetItem calls: a consumer's
 * batch of wishes costs one round trip of reads, not one per wish.
 */
export class CurrentReader {
  private readonly reads = new TurnBatch<Item, Current | undefined>(
    (keys) => classified(() => this.readAll(keys)),
    isolatable,
  );

  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  read(evacueeId: string, sk: 'CURRENT' | 'WALL'): Promise<Current | undefined> {
    return this.reads.add(evacueeKey(evacueeId, sk));
  }

  private async readAll(keys: readonly Item[]): Promise<(Current | undefined)[]> {
    // BatchGetItem refuses a request naming one key twice.
    const unique = [...new Map(keys.map((key) => [keyId(key), key])).values()];
    const found = new Map<string, Item>();
    const chunks = Array.from({ length: Math.ceil(unique.length / KEYS_PER_BATCH) }, (_, i) =>
      unique.slice(i * KEYS_PER_BATCH, (i + 1) * KEYS_PER_BATCH),
    );
    await Promise.all(
      chunks.map((chunk) =>
        untilAllProcessed(
          chunk,
          async (pending) => {
            const out = await this.client.send(
              new BatchGetItemCommand({
                RequestItems: {
                  [this.table]: {
                    Keys: [...pending],
                    ConsistentRead: true,
                    ProjectionExpression: CURRENT_PROJECTION.expression,
                    ExpressionAttributeNames: CURRENT_PROJECTION.names,
                  },
                },
              }),
            );
            for (const item of out.Responses?.[this.table] ?? []) found.set(keyId(item), item);
            return out.UnprocessedKeys?.[this.table]?.Keys ?? [];
          },
          'keys',
        ),
      ),
    );
    return keys.map((key) => toCurrent(found.get(keyId(key))));
  }
}

const keyId = (item: Item): string => `${item['pk']?.S ?? ''}\n${item['sk']?.S ?? ''}`;

/** Up to `limit` items of a query, following its pages (a page stops at 1 MB). */
export async function queryUpTo(client: DynamoDBClient, input: QueryCommandInput, limit: number): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  while (items.length < limit) {
    const out = await client.send(
      new QueryCommand({ ...input, Limit: limit - items.length, ExclusiveStartKey: start }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
    if (start === undefined) break;
  }
  return items;
}

/** Every item a scan finds, page by page, each handed to `take` (the pages of a big table never sit in memory together). */
export async function scanAll(
  client: DynamoDBClient,
  input: ScanCommandInput,
  take: (item: Item) => void,
): Promise<void> {
  let start: Item | undefined;
  do {
    const out = await client.send(new ScanCommand({ ...input, ExclusiveStartKey: start }));
    for (const item of out.Items ?? []) take(item);
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
}
