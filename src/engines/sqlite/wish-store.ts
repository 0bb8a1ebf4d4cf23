import { emptyTally, isNewer, type Evacuee, type ParsedWish } from '../../domain/index.js';
import type { PutOutcome, Rejection, Tally, WishRecord, WishStore } from '../../ports/index.js';
import { toWishRecord, type WishRow as SqlWishRow } from '../stores/wish-row.js';
import { statement, type Db, type WriteBatcher } from './database.js';

export const STORE_SCHEMA = `
CREATE TABLE IF NOT EXISTS wishes (
  id           TEXT PRIMARY KEY,
  evacuee_id   TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('stored', 'superseded', 'rejected')),
  reason       TEXT,
  submitted_at TEXT NOT NULL,
  body         TEXT,                     -- the parsed wish as JSON; NULL for a rejection
  recorded_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS current_wishes (
  evacuee_id   TEXT PRIMARY KEY,
  wish_id      TEXT NOT NULL,
  submitted_at TEXT NOT NULL,
  destination  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS current_by_destination ON current_wishes (destination);
CREATE TABLE IF NOT EXISTS evacuees (
  id   TEXT PRIMARY KEY,
  name TEXT NOT NULL
);
`;

type WishRow = SqlWishRow<string>;

export class SqliteWishStore implements WishStore {
  constructor(
    private readonly db: Db,
    private readonly writes: WriteBatcher,
  ) {}

  put(wish: ParsedWish): Promise<PutOutcome> {
    return this.writes.run((db): PutOutcome => {
      if (statement(db, 'SELECT 1 FROM wishes WHERE id = ?').get(wish.id) !== undefined) return 'duplicate';
      const current = statement(
        db,
        'SELECT wish_id AS id, submitted_at AS submittedAt FROM current_wishes WHERE evacuee_id = ?',
      ).get(wish.evacueeId) as { id: string; submittedAt: string } | undefined;
      const wins = isNewer(wish, current);
      statement(
        db,
        'INSERT INTO wishes (id, evacuee_id, status, submitted_at, body, recorded_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(
        wish.id,
        wish.evacueeId,
        wins ? 'stored' : 'superseded',
        wish.submittedAt,
        JSON.stringify(wish),
        Date.now(),
      );
      if (!wins) return 'superseded';
      if (current) statement(db, "UPDATE wishes SET status = 'superseded' WHERE id = ?").run(current.id);
      statement(
        db,
        `INSERT INTO current_wishes (evacuee_id, wish_id, submitted_at, destination) VALUES (?, ?, ?, ?)
         ON CONFLICT (evacuee_id) DO UPDATE SET wish_id = excluded.wish_id, submitted_at = excluded.submitted_at, destination = excluded.destination`,
      ).run(wish.evacueeId, wish.id, wish.submittedAt, wish.destination);
      return 'stored';
    });
  }

  async reject({ id, evacueeId, submittedAt, reason }: Rejection): Promise<void> {
    await this.writes.run((db) =>
      statement(
        db,
        "INSERT OR IGNORE INTO wishes (id, evacuee_id, status, reason, submitted_at, recorded_at) VALUES (?, ?, 'rejected', ?, ?, ?)",
      ).run(id, evacueeId, reason, submittedAt, Date.now()),
    );
  }

  async get(id: string): Promise<WishRecord | undefined> {
    const row = statement(
      this.db,
      'SELECT id, evacuee_id, status, reason, submitted_at, body FROM wishes WHERE id = ?',
    ).get(id) as WishRow | undefined;
    return row && toRecord(row);
  }

  registerEvacuees(evacuees: readonly Evacuee[]): Promise<number> {
    return this.writes.run((db) => {
      const upsert = statement(
        db,
        'INSERT INTO evacuees (id, name) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name',
      );
      for (const evacuee of evacuees) upsert.run(evacuee.id, evacuee.name);
      return evacuees.length;
    });
  }

  async scan(afterId: string | undefined, limit: number): Promise<WishRecord[]> {
    const rows = statement(
      this.db,
      'SELECT id, evacuee_id, status, reason, submitted_at, body FROM wishes WHERE id > ? ORDER BY id LIMIT ?',
    ).all(afterId ?? '', limit) as WishRow[];
    return rows.map(toRecord);
  }

  async countCurrent(): Promise<Tally> {
    return countBy(this.db, 'SELECT destination, COUNT(*) AS n FROM current_wishes GROUP BY destination');
  }
}

function toRecord(row: WishRow): WishRecord {
  return toWishRecord(row, (body) => JSON.parse(body) as ParsedWish);
}

/** Rows of (destination, n) as a tally with every destination present. */
export function countBy(db: Db, sql: string): Tally {
  const tally = emptyTally();
  for (const row of statement(db, sql).all() as { destination: keyof Tally; n: number }[])
    tally[row.destination] = row.n;
  return tally;
}
