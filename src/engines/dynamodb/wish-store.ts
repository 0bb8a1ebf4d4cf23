import {
  BatchWriteItemCommand,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  type DynamoDBClient,
  type TransactWriteItem,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { type Destination, type Evacuee, type ParsedWish } from '../../domain/index.js';
import type { PutOutcome, Rejection, Tally, WishRecord, WishStore } from '../../ports/index.js';
import { toTally } from '../stores/versions.js';
import { cancellationCodes, classified, isContention, isNamed } from './errors.js';
import {
  currentItem,
  evacueeKey,
  text,
  toRecord,
  unchangedSince,
  versionOf,
  wishItem,
  wishKey,
  type Current,
} from './items.js';
import { Lanes } from './lanes.js';
import { scanAll, type CurrentReader } from './reads.js';
import { decided, untilAllProcessed, type TryAgain } from './retry.js';
import { scanInIdOrder } from './scan-index.js';

/** Items per BatchWriteItem (the service's limit) and such batches in flight at once when registering evacuees. */
const ITEMS_PER_BATCH = 25;
const BATCHES_IN_FLIGHT = 8;

/** What one try of a put came to: an answer, or why to try again (after a re-read; after a pause too when busy). */
type Try = PutOutcome | TryAgain;

/**
 * The system of record on DynamoDB. A put reads the evacuee's CURRENT item (strongly consistent,
 * batched per turn) and then writes once:
 * - newer than the current wish: one transaction puts the wish's record (only if the id is new),
 *   puts CURRENT (only if it still holds the version read) and marks the replaced wish superseded.
 *   Cancelled on the record: the id was there, `duplicate`. Cancelled on CURRENT: another writer
 *   moved it since the read, so read again and decide again.
 * - older: the record alone, as `superseded` (only if the id is new, else `duplicate`). CURRENT
 *   only ever moves to newer versions, so an older wish stays older whatever happens meanwhile.
 * - the same version: that wish is current already, `duplicate`.
 * Puts of one evacuee queue in this process (Lanes), so only replicas race to a condition.
 */
export class DynamoWishStore implements WishStore {
  private readonly lanes = new Lanes();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly currents: CurrentReader,
  ) {}

  put(wish: ParsedWish): Promise<PutOutcome> {
    return classified(() =>
      this.lanes.run(wish.evacueeId, () =>
        decided(
          async () => this.tryPut(wish, await this.currents.read(wish.evacueeId, 'CURRENT')),
          `put ${wish.id} of ${wish.evacueeId}`,
        ),
      ),
    );
  }

  private async tryPut(wish: ParsedWish, current: Current | undefined): Promise<Try> {
    const version = versionOf(wish);
    if (current !== undefined && current.version >= version) {
      return current.version === version ? 'duplicate' : this.recordSuperseded(wish);
    }
    const items: TransactWriteItem[] = [
      {
        Put: {
          TableName: this.table,
          Item: wishItem({ ...wish, status: 'stored', wish }),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      { Put: { TableName: this.table, Item: currentItem(wish, version), ...unchangedSince(current) } },
    ];
    if (current !== undefined) {
      items.push({
        Update: {
          TableName: this.table,
          Key: wishKey(current.wishId),
          UpdateExpression: 'SET #status = :superseded',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':superseded': { S: 'superseded' } },
        },
      });
    }
    try {
      await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
      return 'stored';
    } catch (error) {
      const codes = cancellationCodes(error);
      if (codes?.[0] === 'ConditionalCheckFailed') return 'duplicate';
      if (codes?.[1] === 'ConditionalCheckFailed') return 'moved';
      if (isContention(error)) return 'busy';
      throw error;
    }
  }

  /** An older wish: recorded, never current. */
  private async recordSuperseded(wish: ParsedWish): Promise<Try> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: wishItem({ ...wish, status: 'superseded', wish }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return 'superseded';
    } catch (error) {
      if (isNamed(error, 'ConditionalCheckFailedException')) return 'duplicate';
      if (isContention(error)) return 'busy';
      throw error;
    }
  }

  reject({ id, evacueeId, submittedAt, reason }: Rejection): Promise<void> {
    return classified(async () => {
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.table,
            Item: wishItem({ id, evacueeId, submittedAt, status: 'rejected', reason }),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (error) {
        // Recorded already (rejected before, or put): a rejection is recorded once.
        if (!isNamed(error, 'ConditionalCheckFailedException')) throw error;
      }
    });
  }

  get(id: string): Promise<WishRecord | undefined> {
    return classified(async () => {
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.table, Key: wishKey(id), ConsistentRead: true }),
      );
      return out.Item && toRecord(out.Item);
    });
  }

  /** Upserts, last one wins within a call as it would one by one; nothing unprocessed is dropped (see untilAllProcessed). */
  registerEvacuees(evacuees: readonly Evacuee[]): Promise<number> {
    return classified(async () => {
      // BatchWriteItem refuses a request naming one key twice.
      const byId = new Map(evacuees.map((evacuee) => [evacuee.id, evacuee.name]));
      const requests: WriteRequest[] = [...byId].map(([id, name]) => ({
        PutRequest: { Item: { ...evacueeKey(id, 'PROFILE'), name: { S: name } } },
      }));
      let next = 0;
      const writer = async (): Promise<void> => {
        while (next < requests.length) {
          const chunk = requests.slice(next, (next += ITEMS_PER_BATCH));
          await untilAllProcessed(chunk, (pending) => this.writeBatch(pending), 'evacuees');
        }
      };
      await Promise.all(Array.from({ length: BATCHES_IN_FLIGHT }, writer));
      return evacuees.length;
    });
  }

  private async writeBatch(requests: readonly WriteRequest[]): Promise<readonly WriteRequest[]> {
    const out = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: [...requests] } }));
    return out.UnprocessedItems?.[this.table] ?? [];
  }

  /** Every record in id order, from the `scan` index: eventually consistent (an audit runs after the burst has settled). */
  scan(afterId: string | undefined, limit: number): Promise<WishRecord[]> {
    return classified(async () => (await scanInIdOrder(this.client, this.table, afterId, limit)).map(toRecord));
  }

  /** Counted from the CURRENT items themselves (the audit's truth, not a counter): a strongly consistent scan of the table. */
  countCurrent(): Promise<Tally> {
    return classified(async () => {
      const counts = new Map<string, number>();
      await scanAll(
        this.client,
        {
          TableName: this.table,
          ConsistentRead: true,
          FilterExpression: 'sk = :current',
          ProjectionExpression: '#destination',
          ExpressionAttributeNames: { '#destination': 'destination' },
          ExpressionAttributeValues: { ':current': { S: 'CURRENT' } },
        },
        (item) => {
          const destination = text(item, 'destination') as Destination;
          counts.set(destination, (counts.get(destination) ?? 0) + 1);
        },
      );
      return toTally([...counts].map(([destination, n]) => ({ destination, n })));
    });
  }
}
