import {
  decodeCursor,
  encodeCursor,
  isNewer,
  toWallItem,
  type Destination,
  type ParsedWish,
  type WallItem,
} from '../../domain/index.js';
import type { CanaryNote, ReadModel, Tally, WallPage } from '../../ports/index.js';
import { statement, type Db, type WriteBatcher } from './database.js';
import { countBy } from './wish-store.js';

export const READ_MODEL_SCHEMA = `
CREATE TABLE IF NOT EXISTS wall (
  evacuee_id   TEXT PRIMARY KEY,
  wish_id      TEXT NOT NULL,
  submitted_at TEXT NOT NULL,
  destination  TEXT NOT NULL,
  item         TEXT NOT NULL               -- the WallItem as JSON, ready to serve
);
CREATE INDEX IF NOT EXISTS wall_newest ON wall (submitted_at DESC, wish_id DESC);
CREATE INDEX IF NOT EXISTS wall_newest_by_destination ON wall (destination, submitted_at DESC, wish_id DESC);
CREATE TABLE IF NOT EXISTS tally (
  destination TEXT PRIMARY KEY,
  evacuees    INTEGER NOT NULL
);
-- The newest synthetic canary wish the tally took (one row): never on the wall, never counted.
CREATE TABLE IF NOT EXISTS canary (
  slot         INTEGER PRIMARY KEY CHECK (slot = 1),
  wish_id      TEXT NOT NULL,
  submitted_at TEXT NOT NULL
);
`;

/** The wall and the counts move together in one transaction, so they can never disagree. */
export class SqliteReadModel implements ReadModel {
  constructor(
    private readonly db: Db,
    private readonly writes: WriteBatcher,
  ) {}

  apply(wish: ParsedWish): Promise<boolean> {
    return this.writes.run((db) => {
      const current = statement(
        db,
        'SELECT wish_id AS id, submitted_at AS submittedAt, destination FROM wall WHERE evacuee_id = ?',
      ).get(wish.evacueeId) as { id: string; submittedAt: string; destination: Destination } | undefined;
      if (!isNewer(wish, current)) return false;
      statement(
        db,
        `INSERT INTO wall (evacuee_id, wish_id, submitted_at, destination, item) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (evacuee_id) DO UPDATE SET wish_id = excluded.wish_id, submitted_at = excluded.submitted_at,
           destination = excluded.destination, item = excluded.item`,
      ).run(wish.evacueeId, wish.id, wish.submittedAt, wish.destination, JSON.stringify(toWallItem(wish)));
      if (current?.destination !== wish.destination) {
        const move = statement(
          db,
          'INSERT INTO tally (destination, evacuees) VALUES (?, ?) ON CONFLICT (destination) DO UPDATE SET evacuees = evacuees + excluded.evacuees',
        );
        if (current) move.run(current.destination, -1);
        move.run(wish.destination, 1);
      }
      return true;
    });
  }

  async wall(query: { destination?: Destination; limit: number; cursor?: string }): Promise<WallPage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (query.destination !== undefined) {
      conditions.push('destination = ?');
      params.push(query.destination);
    }
    if (after !== undefined) {
      conditions.push('(submitted_at, wish_id) < (?, ?)');
      params.push(after.submittedAt, after.id);
    }
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const rows = statement(
      this.db,
      `SELECT item FROM wall ${where} ORDER BY submitted_at DESC, wish_id DESC LIMIT ?`,
    ).all(...params, query.limit + 1) as { item: string }[];
    const items = rows.slice(0, query.limit).map((row) => JSON.parse(row.item) as WallItem);
    const last = items.at(-1);
    return { items, next: rows.length > query.limit && last ? encodeCursor(last) : null };
  }

  async tally(): Promise<Tally> {
    return countBy(this.db, 'SELECT destination, evacuees AS n FROM tally');
  }

  noteCanary(wish: CanaryNote): Promise<boolean> {
    return this.writes.run((db) => {
      if (!isNewer(wish, this.canaryIn(db))) return false;
      statement(
        db,
        `INSERT INTO canary (slot, wish_id, submitted_at) VALUES (1, ?, ?)
         ON CONFLICT (slot) DO UPDATE SET wish_id = excluded.wish_id, submitted_at = excluded.submitted_at`,
      ).run(wish.id, wish.submittedAt);
      return true;
    });
  }

  async lastCanary(): Promise<CanaryNote | undefined> {
    return this.canaryIn(this.db);
  }

  private canaryIn(db: Db): CanaryNote | undefined {
    return statement(db, 'SELECT wish_id AS id, submitted_at AS submittedAt FROM canary WHERE slot = 1').get() as
      CanaryNote | undefined;
  }
}
