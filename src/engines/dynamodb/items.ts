import type { AttributeValue, Put } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { toWallItem, ValidationError, type Destination, type ParsedWish, type Versioned } from '../../domain/index.js';
import type { WishRecord } from '../../ports/index.js';
import { versionTime } from '../stores/versions.js';
import { toWishRecord } from '../stores/wish-row.js';

/**
 * The one table's items (single-table design). Keys and index names are fixed: the CDK stack
 * creates the same table (see table.ts). Per evacuee, three items share the partition `EVACUEE#<id>`.
 *
 * | item                      | pk                    | sk         | index: partition / sort key           |
 * |---------------------------|-----------------------|------------|---------------------------------------|
 * | a wish's record           | `WISH#<id>`           | `WISH`     | scan: `SCAN#<00..15>` / `<id>`        |
 * | an evacuee's current wish | `EVACUEE#<id>`        | `CURRENT`  |                                       |
 * | an evacuee's registration | `EVACUEE#<id>`        | `PROFILE`  |                                       |
 * | an evacuee's wall row     | `EVACUEE#<id>`        | `WALL`     | wall: `WALL#<destination>` / version  |
 * | a tally counter shard     | `TALLY#<destination>` | `<00..15>` |                                       |
 *
 * A wish's scan shard is a hash of its id; the CURRENT item is the store's truth (`countCurrent`
 * counts them), the WALL item and the counters are the read model's.
 */
export type Item = Record<string, AttributeValue>;

export const WALL_INDEX = 'wall';
export const SCAN_INDEX = 'scan';

/** Partitions of the `scan` index, so a burst of new wishes does not write one hot index partition. */
export const SCAN_SHARDS = 16;
/** Counter items per destination, so a burst does not make one hot item; `tally` sums them. */
export const TALLY_SHARDS = 16;

export type EvacueeItem = 'CURRENT' | 'PROFILE' | 'WALL';

export const wishKey = (id: string): Item => ({ pk: { S: `WISH#${id}` }, sk: { S: 'WISH' } });
export const evacueeKey = (evacueeId: string, sk: EvacueeItem): Item => ({
  pk: { S: `EVACUEE#${evacueeId}` },
  sk: { S: sk },
});
export const tallyPk = (destination: Destination): string => `TALLY#${destination}`;
export const scanPk = (shard: number): string => `SCAN#${String(shard).padStart(2, '0')}`;

/** A random counter shard of a destination: concurrent appliers spread over its items. */
export function tallyKey(destination: Destination): Item {
  return {
    pk: { S: tallyPk(destination) },
    sk: { S: String(Math.floor(Math.random() * TALLY_SHARDS)).padStart(2, '0') },
  };
}

/**
 * A version as one string whose byte order is the domain's `compareVersions`: the instant, as a
 * fixed-width ISO string (24 characters for the years 0000–9999), then the id. DynamoDB sorts the
 * wall's index by it and conditions compare it for equality; outside those years the width, and so
 * the order, would break, so such a time is refused.
 */
export function versionOf(version: Versioned, field = 'submittedAt'): string {
  const time = versionTime(version.submittedAt);
  if (time.length !== 24) throw new ValidationError([{ field, reason: 'is outside the years 0000–9999' }]);
  return `${time}#${version.id}`;
}

/** The wish's record; a rejection has a reason and no body. */
export function wishItem(record: {
  id: string;
  evacueeId: string;
  submittedAt: string;
  status: WishRecord['status'];
  reason?: string;
  wish?: ParsedWish;
}): Item {
  const shard = createHash('md5').update(record.id).digest().readUInt8(0) % SCAN_SHARDS;
  return {
    ...wishKey(record.id),
    id: { S: record.id },
    evacueeId: { S: record.evacueeId },
    status: { S: record.status },
    submittedAt: { S: record.submittedAt },
    ...(record.reason === undefined ? {} : { reason: { S: record.reason } }),
    ...(record.wish === undefined ? {} : { body: { S: JSON.stringify(record.wish) } }),
    gsi2pk: { S: scanPk(shard) },
    gsi2sk: { S: record.id },
  };
}

export function toRecord(item: Item): WishRecord {
  return toWishRecord(
    {
      id: text(item, 'id'),
      evacuee_id: text(item, 'evacueeId'),
      status: text(item, 'status') as WishRecord['status'],
      reason: item['reason']?.S ?? null,
      submitted_at: text(item, 'submittedAt'),
      body: item['body']?.S ?? null,
    },
    (body) => JSON.parse(body) as ParsedWish,
  );
}

/** What the store keeps of an evacuee's current wish: enough to judge a newer one and to count. */
export interface Current {
  readonly wishId: string;
  readonly version: string;
  readonly destination: Destination;
}

export function currentItem(wish: ParsedWish, version: string): Item {
  return {
    ...evacueeKey(wish.evacueeId, 'CURRENT'),
    wishId: { S: wish.id },
    version: { S: version },
    destination: { S: wish.destination },
  };
}

/** The wall row: the item as the wall shows it, indexed by destination, newest first by version. */
export function wallItem(wish: ParsedWish, version: string): Item {
  return {
    ...evacueeKey(wish.evacueeId, 'WALL'),
    item: { S: JSON.stringify(toWallItem(wish)) },
    version: { S: version },
    destination: { S: wish.destination },
    gsi1pk: { S: `WALL#${wish.destination}` },
    gsi1sk: { S: version },
  };
}

/**
 * The attributes `Current` reads (a CURRENT or a WALL item: the wall's has no wishId). Every name in
 * an expression goes by an alias: DynamoDB reserves hundreds of words (STATUS, NAME, ITEM, …).
 */
export const CURRENT_PROJECTION = {
  expression: 'pk, sk, #wishId, #version, #destination',
  names: { '#wishId': 'wishId', '#version': 'version', '#destination': 'destination' },
} as const;

/** The condition of a write over an item read as `read`: it still holds that version, or is still absent. */
export function unchangedSince(
  read: Current | undefined,
): Pick<Put, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  if (read === undefined) return { ConditionExpression: 'attribute_not_exists(pk)' };
  return {
    ConditionExpression: '#version = :read',
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: { ':read': { S: read.version } },
  };
}

export function toCurrent(item: Item | undefined): Current | undefined {
  if (item === undefined) return undefined;
  return {
    wishId: item['wishId']?.S ?? '',
    version: text(item, 'version'),
    destination: text(item, 'destination') as Destination,
  };
}

/** A string attribute every item of its kind has; its absence is a broken item, not a missing value. */
export function text(item: Item, name: string): string {
  const value = item[name]?.S;
  if (value === undefined)
    throw new Error(`DynamoDB item ${item['pk']?.S ?? '?'}/${item['sk']?.S ?? '?'} has no ${name}`);
  return value;
}
