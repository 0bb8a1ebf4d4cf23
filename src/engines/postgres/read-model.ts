import { decodeCursor, encodeCursor, toWallItem, type Destination, type ParsedWish, type WallItem } from '../../domain/index.js';
import type { ReadModel, Tally, WallPage } from '../../ports/index.js';
import type { Database } from './database.js';
import { cursorTime, toTally, versionTime } from './versions.js';

/** Shards per destination in `tally` (see migration 0002): more than a process's pool of writers. */
const TALLY_SHARDS = 16;

/**
 * One statement, so one transaction: the conditional upsert of the evacuee's wall row (`WHERE` the
 * stored version is older; ON CONFLICT locks the row and re-checks against its latest committed
 * version, so concurrent appliers of one evacuee are serialised and the newest wins in any order),
 * then, only if the row changed destination or is new, the count moves: -1 from the old
 * destination, +1 to the new. A duplicate or an older wish changes no row, so it moves nothing.
 * Tally rows are locked in destination order, after the wall row, so two moves in opposite
 * directions never deadlock.
 */
const APPLY = `
WITH changed AS (
  INSERT INTO wall AS w (evacuee_id, wish_id, submitted_at, destination, item, previous_destination)
  VALUES ($1, $2, $3, $4, $5, NULL)
  ON CONFLICT (evacuee_id) DO UPDATE
    SET wish_id = excluded.wish_id, submitted_at = excluded.submitted_at, destination = excluded.destination,
        item = excluded.item, previous_destination = w.destination
    WHERE (w.submitted_at, w.wish_id) < (excluded.submitted_at, excluded.wish_id)
  RETURNING destination, previous_destination
), moves AS (
  SELECT destination, 1 AS delta FROM changed WHERE previous_destination IS DISTINCT FROM destination
  UNION ALL
  SELECT previous_destination, -1 FROM changed WHERE previous_destination <> destination
), counted AS (
  INSERT INTO tally AS t (destination, shard, evacuees)
  SELECT destination, $6::smallint, delta FROM moves ORDER BY destination
  ON CONFLICT (destination, shard) DO UPDATE SET evacuees = t.evacuees + excluded.evacuees
)
SELECT count(*)::int AS changed FROM changed`;

/** The wall and the counts on PostgreSQL; every change to them is the one statement above. */
export class PostgresReadModel implements ReadModel {
  constructor(private readonly db: Database) {}

  async apply(wish: ParsedWish): Promise<boolean> {
    const result = await this.db.query<{ changed: number }>({
      // Stryker disable next-line StringLiteral: a prepared statement's name; any name runs the same SQL
      name: 'exodus_apply',
      text: APPLY,
      values: [
        wish.evacueeId,
        wish.id,
        versionTime(wish.submittedAt),
        wish.destination,
        JSON.stringify(toWallItem(wish)),
        Math.floor(Math.random() * TALLY_SHARDS),
      ],
    });
    return (result.rows[0]?.changed ?? 0) > 0;
  }

  async wall(query: { destination?: Destination; limit: number; cursor?: string }): Promise<WallPage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const conditions: string[] = [];
    const values: unknown[] = [];
    // Only the conditions asked for, so the planner sees a plain range on the matching index.
    if (query.destination !== undefined) {
      values.push(query.destination);
      conditions.push(`destination = $${values.length}`);
    }
    if (after !== undefined) {
      values.push(cursorTime(after.submittedAt), after.id);
      conditions.push(`(submitted_at, wish_id) < ($${values.length - 1}::timestamptz, $${values.length})`);
    }
    values.push(query.limit + 1);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const result = await this.db.query<{ item: WallItem }>({
      text: `SELECT item FROM wall ${where} ORDER BY submitted_at DESC, wish_id DESC LIMIT $${values.length}`,
      values,
    });
    const items = result.rows.slice(0, query.limit).map((row) => row.item);
    const last = items.at(-1);
    return { items, next: result.rows.length > query.limit && last ? encodeCursor(last) : null };
  }

  async tally(): Promise<Tally> {
    const result = await this.db.query<{ destination: string; n: number }>({
      // Stryker disable next-line StringLiteral: a prepared statement's name; any name runs the same SQL
      name: 'exodus_tally',
      text: 'SELECT destination, sum(evacuees)::int AS n FROM tally GROUP BY destination',
    });
    return toTally(result.rows);
  }
}
