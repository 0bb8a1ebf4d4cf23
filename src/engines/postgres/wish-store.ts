import type { Evacuee, ParsedWish } from '../../domain/index.js';
import type { PutOutcome, Rejection, Tally, WishRecord, WishStore } from '../../ports/index.js';
import { TurnBatch } from '../shared/turn-batch.js';
import { newestPerEvacuee, toTally, versionTime } from '../stores/versions.js';
import { toWishRecord, type WishRow as SqlWishRow } from '../stores/wish-row.js';
import type { Database } from './database.js';
import { isolatable } from './errors.js';

type WishRow = SqlWishRow<unknown>;

const COLUMNS = 'id, evacuee_id, status, reason, submitted_at, body';

/** Rows per statement when registering evacuees: large enough to be quick, small enough to stay well under the 1 GB message limit. */
const EVACUEES_PER_STATEMENT = 10_000;

/**
 * The system of record on PostgreSQL. The puts of one turn of the event loop (a consumer's batch)
 * are one READ COMMITTED transaction of up to three statements, each safe against concurrent
 * writers without a read-then-write race:
 * 1. claim the ids: `INSERT ... ON CONFLICT (id) DO NOTHING`. A concurrent put of the same id waits
 *    for its claimer to commit, then finds the row: `duplicate`. A rejected id is a duplicate too.
 * 2. the conditional upsert of each evacuee's `current_wishes` row with the batch's newest wish of
 *    that evacuee, `WHERE` the stored version is older. ON CONFLICT locks the row and re-checks the
 *    condition against its latest committed version, so concurrent writers of one evacuee are
 *    serialised on that row and the newest wins whatever the arrival order. It returns the wish
 *    each row replaced; a wish it does not return lost.
 * 3. mark the losers `superseded`, in a statement of its own: its snapshot is taken after step 2
 *    waited, so it sees a replaced wish whose writer committed only a moment ago.
 * Rows are locked in order (wishes by id, then evacuees by id), so writers never deadlock.
 */
export class PostgresWishStore implements WishStore {
  private readonly puts = new TurnBatch<ParsedWish, PutOutcome>((wishes) => this.putAll(wishes), isolatable);

  constructor(private readonly db: Database) {}

  put(wish: ParsedWish): Promise<PutOutcome> {
    return this.puts.add(wish);
  }

  /** Concurrent puts, answered as if each evacuee's newest wish had come first and the same id twice came one after the other. */
  private putAll(wishes: readonly ParsedWish[]): Promise<PutOutcome[]> {
    // The same id twice (a redelivery racing its first delivery): the second is a duplicate. Both go
    // to the claim, where ON CONFLICT DO NOTHING inserts the first and skips the other.
    const firstIndexOf = new Map<string, number>();
    wishes.forEach((wish, i) => firstIndexOf.has(wish.id) || firstIndexOf.set(wish.id, i));
    return this.db.transaction(async (tx): Promise<PutOutcome[]> => {
      const claimed = await tx.query<{ id: string }>({
        // Stryker disable next-line StringLiteral: a prepared statement's name; any name runs the same SQL
        name: 'exodus_put_claim_all',
        text: `INSERT INTO wishes (id, evacuee_id, status, submitted_at, body)
               SELECT id, evacuee_id, 'stored', submitted_at, body
               FROM unnest($1::text[], $2::text[], $3::text[], $4::json[]) AS i(id, evacuee_id, submitted_at, body) ORDER BY id
               ON CONFLICT (id) DO NOTHING
               RETURNING id`,
        values: [
          wishes.map((wish) => wish.id),
          wishes.map((wish) => wish.evacueeId),
          wishes.map((wish) => wish.submittedAt),
          wishes.map((wish) => JSON.stringify(wish)),
        ],
      });
      const claimedIds = new Set(claimed.rows.map((row) => row.id));
      const mine = wishes.filter((wish) => claimedIds.has(wish.id));
      const newest = newestPerEvacuee(mine);
      const current = await tx.query<{ wish_id: string; replaced_wish_id: string | null }>({
        // Stryker disable next-line StringLiteral: a prepared statement's name; any name runs the same SQL
        name: 'exodus_put_current_all',
        text: `INSERT INTO current_wishes AS c (evacuee_id, wish_id, submitted_at, destination, replaced_wish_id)
               SELECT evacuee_id, wish_id, submitted_at, destination, NULL
               FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) AS i(evacuee_id, wish_id, submitted_at, destination) ORDER BY evacuee_id
               ON CONFLICT (evacuee_id) DO UPDATE
                 SET wish_id = excluded.wish_id, submitted_at = excluded.submitted_at,
                     destination = excluded.destination, replaced_wish_id = c.wish_id
                 WHERE (c.submitted_at, c.wish_id) < (excluded.submitted_at, excluded.wish_id)
               RETURNING wish_id, replaced_wish_id`,
        values: [
          newest.map((wish) => wish.evacueeId),
          newest.map((wish) => wish.id),
          newest.map((wish) => versionTime(wish.submittedAt)),
          newest.map((wish) => wish.destination),
        ],
      });
      const won = new Set(current.rows.map((row) => row.wish_id));
      // A row inserted, not replaced, names no loser: NULL, which `= ANY` matches to nothing.
      const losers = [
        ...mine.filter((wish) => !won.has(wish.id)).map((wish) => wish.id),
        ...current.rows.map((row) => row.replaced_wish_id),
      ];
      // Stryker disable next-line ConditionalExpression,EqualityOperator: saves a round trip; an empty list supersedes nothing
      if (losers.length > 0) {
        await tx.query({
          // Stryker disable next-line StringLiteral: a prepared statement's name; any name runs the same SQL
          name: 'exodus_put_supersede_all',
          text: "UPDATE wishes SET status = 'superseded' WHERE id = ANY($1::text[])",
          values: [losers],
        });
      }
      return wishes.map((wish, i) =>
        firstIndexOf.get(wish.id) !== i || !claimedIds.has(wish.id)
          ? 'duplicate'
          : won.has(wish.id)
            ? 'stored'
            : 'superseded',
      );
    });
  }

  async reject({ id, evacueeId, submittedAt, reason }: Rejection): Promise<void> {
    await this.db.query({
      // Stryker disable next-line StringLiteral: a prepared statement's name; any name runs the same SQL
      name: 'exodus_reject',
      text: `INSERT INTO wishes (id, evacuee_id, status, reason, submitted_at) VALUES ($1, $2, 'rejected', $3, $4)
             ON CONFLICT (id) DO NOTHING`,
      values: [id, evacueeId, reason, submittedAt],
    });
  }

  async get(id: string): Promise<WishRecord | undefined> {
    const result = await this.db.query<WishRow>({
      // Stryker disable next-line StringLiteral: a prepared statement's name; any name runs the same SQL
      name: 'exodus_get',
      text: `SELECT ${COLUMNS} FROM wishes WHERE id = $1`,
      values: [id],
    });
    const row = result.rows[0];
    return row && toRecord(row);
  }

  async registerEvacuees(evacuees: readonly Evacuee[]): Promise<number> {
    // Last one wins within a call, as it would one by one; ON CONFLICT may not touch a row twice in one statement.
    const byId = new Map(evacuees.map((evacuee) => [evacuee.id, evacuee.name]));
    const rows = [...byId];
    await this.db.transaction(async (tx) => {
      for (let start = 0; start < rows.length; start += EVACUEES_PER_STATEMENT) {
        const chunk = rows.slice(start, start + EVACUEES_PER_STATEMENT);
        await tx.query({
          text: `INSERT INTO evacuees (id, name) SELECT * FROM unnest($1::text[], $2::text[])
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name`,
          values: [chunk.map(([id]) => id), chunk.map(([, name]) => name)],
        });
      }
    });
    return evacuees.length;
  }

  async scan(afterId: string | undefined, limit: number): Promise<WishRecord[]> {
    const result = await this.db.query<WishRow>({
      // Stryker disable next-line StringLiteral: a prepared statement's name; any name runs the same SQL
      name: 'exodus_scan',
      text: `SELECT ${COLUMNS} FROM wishes WHERE id > $1 ORDER BY id LIMIT $2`,
      values: [afterId ?? '', limit],
    });
    return result.rows.map(toRecord);
  }

  async countCurrent(): Promise<Tally> {
    const result = await this.db.query<{ destination: string; n: number }>({
      // Stryker disable next-line StringLiteral: a prepared statement's name; any name runs the same SQL
      name: 'exodus_count_current',
      text: 'SELECT destination, count(*)::int AS n FROM current_wishes GROUP BY destination',
    });
    return toTally(result.rows);
  }
}

function toRecord(row: WishRow): WishRecord {
  return toWishRecord(row, (body) => body as ParsedWish);
}
