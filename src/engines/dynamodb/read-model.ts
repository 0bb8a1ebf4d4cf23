import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  type DynamoDBClient,
  type Put,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import {
  decodeCursor,
  DESTINATIONS,
  encodeCursor,
  type Destination,
  type ParsedWish,
  type WallItem,
} from '../../domain/index.js';
import type { CanaryNote, ReadModel, Tally, WallPage } from '../../ports/index.js';
import { toTally } from '../stores/versions.js';
import { cancellationCodes, classified, isContention, isNamed } from './errors.js';
import { tallyKey, tallyPk, text, unchangedSince, versionOf, WALL_INDEX, wallItem, type Current } from './items.js';
import { Lanes } from './lanes.js';
import { queryUpTo, type CurrentReader } from './reads.js';
import { decided, type TryAgain } from './retry.js';

/** The canary's note (see ReadModel.noteCanary): one item of its own, outside every evacuee's partition and index. */
const CANARY_KEY = { pk: { S: 'CANARY' }, sk: { S: 'NOTE' } };

/** What one try of an apply came to: an answer, or why to try again (after a re-read; after a pause too when busy). */
type Try = boolean | TryAgain;

/**
 * The wall and the counts on DynamoDB. An apply reads the evacuee's WALL item (strongly consistent,
 * batched per turn); a wish no newer than it changes nothing. A newer one replaces it, conditional
 * on the version read, and when the destination is new or changed, the same transaction moves the
 * counts: +1 on a random counter shard of the new destination, -1 on one of the old. A condition
 * that fails means another applier got there first: read again and decide again. So a duplicate or
 * an older wish never moves a count, and a change of destination moves it exactly once.
 * Applies of one evacuee queue in this process (Lanes), so only replicas race to a condition.
 */
export class DynamoReadModel implements ReadModel {
  private readonly lanes = new Lanes();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly currents: CurrentReader,
  ) {}

  apply(wish: ParsedWish): Promise<boolean> {
    return classified(() =>
      this.lanes.run(wish.evacueeId, () =>
        decided(
          async () => this.tryApply(wish, await this.currents.read(wish.evacueeId, 'WALL')),
          `apply ${wish.id} of ${wish.evacueeId}`,
        ),
      ),
    );
  }

  private async tryApply(wish: ParsedWish, shown: Current | undefined): Promise<Try> {
    const version = versionOf(wish);
    if (shown !== undefined && shown.version >= version) return false;
    const put: Put = { TableName: this.table, Item: wallItem(wish, version), ...unchangedSince(shown) };
    const moves: TransactWriteItem[] = [];
    if (shown?.destination !== wish.destination) moves.push(this.count(wish.destination, 1));
    if (shown !== undefined && shown.destination !== wish.destination) moves.push(this.count(shown.destination, -1));
    try {
      // No count moves: one conditional put, no transaction (which costs twice the capacity).
      if (moves.length === 0) await this.client.send(new PutItemCommand(put));
      else await this.client.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: put }, ...moves] }));
      return true;
    } catch (error) {
      if (
        isNamed(error, 'ConditionalCheckFailedException') ||
        cancellationCodes(error)?.[0] === 'ConditionalCheckFailed'
      )
        return 'moved';
      if (isContention(error)) return 'busy';
      throw error;
    }
  }

  private count(destination: Destination, delta: number): TransactWriteItem {
    return {
      Update: {
        TableName: this.table,
        Key: tallyKey(destination),
        UpdateExpression: 'ADD #n :delta',
        ExpressionAttributeNames: { '#n': 'n' },
        ExpressionAttributeValues: { ':delta': { N: String(delta) } },
      },
    };
  }

  /**
   * Newest first by version, from the `wall` index: per destination one query for `limit + 1` rows
   * (the extra one says whether there is a next page), older than the cursor if one is given;
   * across destinations those queries merged. The index is eventually consistent, which a wall can be.
   */
  wall(query: { destination?: Destination; limit: number; cursor?: string }): Promise<WallPage> {
    return classified(async () => {
      const before = query.cursor === undefined ? undefined : versionOf(decodeCursor(query.cursor), 'cursor');
      const destinations = query.destination === undefined ? DESTINATIONS : [query.destination];
      const pages = await Promise.all(
        destinations.map((destination) =>
          queryUpTo(
            this.client,
            {
              TableName: this.table,
              IndexName: WALL_INDEX,
              KeyConditionExpression: before === undefined ? 'gsi1pk = :wall' : 'gsi1pk = :wall AND gsi1sk < :before',
              ExpressionAttributeValues: {
                ':wall': { S: `WALL#${destination}` },
                ...(before === undefined ? {} : { ':before': { S: before } }),
              },
              ProjectionExpression: 'gsi1sk, #item',
              ExpressionAttributeNames: { '#item': 'item' },
              ScanIndexForward: false,
            },
            query.limit + 1,
          ),
        ),
      );
      const version = (row: (typeof pages)[number][number]): string => text(row, 'gsi1sk');
      const rows = pages.flat().sort((a, b) => (version(a) < version(b) ? 1 : version(a) > version(b) ? -1 : 0));
      const items = rows.slice(0, query.limit).map((row) => JSON.parse(text(row, 'item')) as WallItem);
      const last = items.at(-1);
      return { items, next: rows.length > query.limit && last ? encodeCursor(last) : null };
    });
  }

  /** The counter shards of each destination, summed (strongly consistent). */
  tally(): Promise<Tally> {
    return classified(async () => {
      const rows = await Promise.all(
        DESTINATIONS.map(async (destination) => {
          const out = await this.client.send(
            new QueryCommand({
              TableName: this.table,
              KeyConditionExpression: 'pk = :tally',
              ExpressionAttributeValues: { ':tally': { S: tallyPk(destination) } },
              ProjectionExpression: '#n',
              ExpressionAttributeNames: { '#n': 'n' },
              ConsistentRead: true,
            }),
          );
          return { destination, n: (out.Items ?? []).reduce((sum, item) => sum + Number(item['n']?.N ?? 0), 0) };
        }),
      );
      return toTally(rows);
    });
  }

  /** One conditional put: it lands only over an older version (or none), so a redelivery changes nothing. */
  noteCanary(wish: CanaryNote): Promise<boolean> {
    return classified(async () => {
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.table,
            Item: {
              ...CANARY_KEY,
              id: { S: wish.id },
              submittedAt: { S: wish.submittedAt },
              version: { S: versionOf(wish) },
            },
            ConditionExpression: 'attribute_not_exists(pk) OR #version < :version',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version': { S: versionOf(wish) } },
          }),
        );
        return true;
      } catch (error) {
        if (isNamed(error, 'ConditionalCheckFailedException')) return false;
        throw error;
      }
    });
  }

  lastCanary(): Promise<CanaryNote | undefined> {
    return classified(async () => {
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.table, Key: CANARY_KEY, ConsistentRead: true }),
      );
      return out.Item === undefined
        ? undefined
        : { id: text(out.Item, 'id'), submittedAt: text(out.Item, 'submittedAt') };
    });
  }
}
