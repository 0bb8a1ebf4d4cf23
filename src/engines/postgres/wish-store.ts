import type { Evacuee, ParsedWish } from '../../domain/index.js';
import type { PutOutcome, Tally, WishRecord, WishStore } from '../../ports/index.js';
import type { Database } from './database.js';
import { toTally, versionTime } from './versions.js';
import { toWishRecord, type WishRow as SqlWishRow } from '../wish-row.js';

type WishRow = SqlWishRow<unknown>;

const COLUMNS = 'id, evacuee_id, status, reason, submitted_at, body';

/** Rows per statement when registering evacuees: large enough to be quick, small enough to stay well under the 1 GB message limit. */
const EVACUEES_PER_STATEMENT = 10_000;

/**
 * The system of record on PostgreSQL. A put is one READ COMMITTED transaction of up to three
 * statements, each safe against concurrent writers without a read-then-write race:
 * 1. claim the id: `INSERT ... ON CONFLICT (id) DO NOTHING`. A concurrent put of the same id waits
 *    for this one to commit, then finds the row: `duplicate`. A rejected id is a duplicate too.
 * 2. the conditional upsert of the evacuee's `current_wishes` row, `WHERE` the stored version is
 *    older. ON CONFLICT locks the row and re-checks the condition against its latest committed
 *    version, so concurrent writers of one evacuee are serialised on that row and the newest wins
 *    whatever the arrival order. It returns the wish it replaced, or no row when this one lost.
 * 3. mark the loser `superseded`, in a statement of its own: its snapshot is taken after step 2
 *    waited, so it sees a replaced wish whose writer committed only a moment ago.
 * Lock order is always wish row, then evacuee row, so writers never deadlock.
 */
export class PostgresWishStore implements WishStore {
  constructor(private readonly db: Database) {}

  async put(wish: ParsedWish): Promise<PutOutcome> {
    const version = versionTime(wish.submittedAt);
    return this.db.transaction(async (tx): Promise<PutOutcome> => {
      const claimed = await tx.query({
        // Stryker disable next-line StringLiteral: a prepared statement's name; any name runs the same SQL
        name: 'exodus_put_claim',
        text: `INSERT INTO wishes (id, evacuee_id, status, submitted_at, body) VALUES ($1, $2, 'stored', $3, $4)
               ON CONFLICT (id) DO NOTHING`,
        values: [wish.id, wish.evacueeId, wish.submittedAt, JSON.stringify(wish)],
      });
      if (claimed.rowCount === 0) return 'duplicate';
      const current = await tx.query<{ replaced_wish_id: string | null }>({
        // Stryker disable next-line StringLiteral: a prepared statement's name; any name runs the same SQL
        name: 'exodus_put_current',
        text: `INSERT INTO current_wishes AS c (evacuee_id, wish_id, submitted_at, destination, replaced_wish_id)
               VALUES ($1, $2, $3, $4, NULL)
               ON CONFLICT (evacuee_id) DO UPDATE
                 SET wish_id = excluded.wish_id, submitted_at = excluded.submitted_at,
                     destination = excluded.destination, replaced_wish_id = c.wish_id
                 WHERE (c.submitted_at, c.wish_id) < (excluded.submitted_at, excluded.wish_id)
               RETURNING replaced_wish_id`,
        values: [wish.evacueeId, wish.id, version, wish.destination],
      });
      const won = current.rows[0];
      const loser = won === undefined ? wish.id : won.replaced_wish_id;
      if (loser !== null) {
        await tx.query({
          // Stryker disable next-line StringLiteral: a prepared statement's name; any name runs the same SQL
          name: 'exodus_put_supersede',
          text: "UPDATE wishes SET status = 'superseded' WHERE id = $1",
          values: [loser],
        });
      }
      return won === undefined ? 'superseded' : 'stored';
    });
  }

  async reject(id: string, evacueeId: string, submittedAt: string, reason: string): Promise<void> {
    await this.db.query({
      // Stryker disable next-line StringLiteral: a prepared statement's name; any name runs the same SQL
      name: 'exodus_reject',
      text: `INSERT INTO wishes (id, evacuee_id, status, reason, submitted_at) VALUES ($1, $2, 'rejected', $3, $4)
             ON CONFLICT (id) DO NOTHING`,
      values: [id, evacueeId, reason, submittedAt],
    });
  }

  async get(id: string): Promise<WishRecord | undefined> {
    // Stryker disable next-line StringLiteral: a prepared statement's name; any name runs the same SQL
    const result = await this.db.query<WishRow>({ name: 'exodus_get', text: `SELECT ${COLUMNS} FROM wishes WHERE id = $1`, values: [id] });
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
