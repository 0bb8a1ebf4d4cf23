import {
  decodeCursor,
  encodeCursor,
  toWallItem,
  type Destination,
  type ParsedWish,
  type WallItem,
} from '../../domain/index.js';
import type { CanaryNote, ReadModel, Tally, WallPage } from '../../ports/index.js';
import { TurnBatch } from '../shared/turn-batch.js';
import { newestPerEvacuee, toTally, versionTime } from '../stores/versions.js';
import { cursorTime } from './cursor-time.js';
import type { Database } from './database.js';
import { isolatable } from './errors.js';

/** Shards per destination in `tally` (see migration 0002): more than a process's pool of writers. */
const TALLY_SHARDS = 16;

/**
 * One statement, so one transaction, for a whole batch of wishes (at most one per evacuee: see
 * `applyAll`): the conditional upsert of each evacuee's wall row (`WHERE` the stored version is
 * older; ON CONFLICT locks the row and re-checks against its latest committed version, so
 * concurrent appliers of one evacuee are serialised and the newest wins in any order), then, for
 * each row that changed destination or is new, the counts move: -1 from the old destination, +1 to
 * the new, summed per destination. A duplicate or an older wish changes no row, so it moves nothing.
 * Wall rows are locked in evacuee order and tally rows in destination order, after the wall rows,
 * so two batches never deadlock.
 */
const APPLY = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::json[]) AS i(evacuee_id, wish_id, submitted_at, destination, item)
), changed AS (
  INSERT INTO wall AS w (evacuee_id, wish_id, submitted_at, destination, item, previous_destination)
  SELECT evacuee_id, wish_id, submitted_at, destination, item, NULL FROM input ORDER BY evacuee_id
  ON CONFLICT (evacuee_id) DO UPDATE
    SET wish_id = excluded.wish_id, submitted_at = excluded.submitted_at, destination = excluded.destination,
        item = excluded.item, previous_destination = w.destination
    WHERE (w.submitted_at, w.wish_id) < (excluded.submitted_at, excluded.wish_id)
  RETURNING wish_id, destination, previous_destination
), moves AS (
  SELECT destination, 1 AS delta FROM changed WHERE previous_destination IS DISTINCT FROM destination
  UNION ALL
  SELECT previous_destination, -1 FROM changed WHERE previous_destination <> destination
), counted AS (
  INSERT INTO tally AS t (destination, shard, evacuees)
  SELECT destination, $6::smallint, sum(delta) FROM moves GROUP BY destination ORDER BY destination
  ON CONFLICT (destination, shard) DO UPDATE SET evacuees = t.evacuees + excluded.evacuees
)
SELECT wish_id FROM changed`;

/**
 * The wall and the counts on PostgreSQL; every change to them is the one statement above, once per
 * turn of the event loop for all the wishes applied in it (a consumer's whole batch).
 */
export class PostgresReadModel implements ReadModel {
  private readonly applies = new TurnBatch<ParsedWish, boolean>((wishes) => this.applyAll(wishes), isolatable);

  constructor(private readonly db: Database) {}

  apply(wish: ParsedWish): Promise<boolean> {
    return this.applies.add(wish);
  }

  /**
   * Concurrent applies, answered as if the newest wish of each evacuee had come first: it alone goes
   * to the statement (which may touch a row once), and the others, older, change nothing.
   */
  private async applyAll(wishes: readonly ParsedWish[]): Promise<boolean[]> {
    const newest = newestPerEvacuee(wishes);
    const result = await this.db.query<{ wish_id: string }>({
      // Stryker disable next-line StringLiteral: a prepared statement's name; any name runs the same SQL
      name: 'exodus_apply_all',
      text: APPLY,
      values: [
        newest.map((wish) => wish.evacueeId),
        newest.map((wish) => wish.id),
        newest.map((wish) => versionTime(wish.submittedAt)),
        newest.map((wish) => wish.destination),
        newest.map((wish) => JSON.stringify(toWallItem(wish))),
        Math.floor(Math.random() * TALLY_SHARDS),
      ],
    });
    const changed = new Set(result.rows.map((row) => row.wish_id));
    // The same wish twice in a batch (a redelivery) went to the statement once: the second changed nothing.
    const sentAt = new Set(newest.map((wish) => wishes.indexOf(wish)));
    return wishes.map((wish, i) => sentAt.has(i) && changed.has(wish.id));
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

  /** One conditional upsert: the row changes only for a newer version, so redeliveries and late arrivals change nothing. */
  async noteCanary(wish: CanaryNote): Promise<boolean> {
    const result = await this.db.query<{ slot: number }>({
      text: `INSERT INTO canary AS c (slot, wish_id, version_at, submitted_at) VALUES (1, $1, $2::timestamptz, $3)
             ON CONFLICT (slot) DO UPDATE
               SET wish_id = excluded.wish_id, version_at = excluded.version_at, submitted_at = excluded.submitted_at
               WHERE (c.version_at, c.wish_id) < (excluded.version_at, excluded.wish_id)`,
      values: [wish.id, versionTime(wish.submittedAt), wish.submittedAt],
    });
    return result.rowCount === 1;
  }

  async lastCanary(): Promise<CanaryNote | undefined> {
    const result = await this.db.query<{ id: string; submittedAt: string }>({
      text: 'SELECT wish_id AS id, submitted_at AS "submittedAt" FROM canary WHERE slot = 1',
    });
    return result.rows[0];
  }
}
