import { randomUUID } from 'node:crypto';
import type {
  DeadLetter,
  DeadLetterQueue,
  Delivery,
  Envelope,
  Queue,
  QueueStats,
  ReceiveWait,
} from '../../ports/index.js';
import type { EngineOptions } from '../options.js';
import type { Arrivals } from './arrivals.js';
import { statement, type Db, type WriteBatcher } from './database.js';

export const QUEUE_SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  queue       TEXT    NOT NULL,
  id          TEXT    NOT NULL,
  body        TEXT    NOT NULL,
  enqueued_at INTEGER NOT NULL,
  visible_at  INTEGER NOT NULL,           -- deliverable from (ms); while leased, the lease's end
  attempts    INTEGER NOT NULL DEFAULT 0, -- deliveries; those not ended by a retry are lapses
  failures    INTEGER NOT NULL DEFAULT 0, -- retries: the message's own failed attempts
  lease       TEXT,                       -- token of the current holder; NULL when not leased
  dead_at     INTEGER,                    -- set when dead-lettered
  last_error  TEXT,
  UNIQUE (queue, id)
);
CREATE INDEX IF NOT EXISTS messages_deliverable ON messages (queue, visible_at) WHERE dead_at IS NULL;
CREATE INDEX IF NOT EXISTS messages_dead ON messages (queue, dead_at) WHERE dead_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_leased ON messages (queue, visible_at) WHERE lease IS NOT NULL AND dead_at IS NULL;
`;

/** Adds what later versions added to a queue file made by an earlier one (the `failures` column). */
export function upgradeQueueSchema(db: Db): void {
  const columns = db.pragma('table_info(messages)') as { name: string }[];
  if (!columns.some((column) => column.name === 'failures')) {
    db.exec('ALTER TABLE messages ADD COLUMN failures INTEGER NOT NULL DEFAULT 0');
  }
}

// A topic sends the same envelope objects to each subscription queue: serialise each once.
const bodies = new WeakMap<Envelope, string>();
function serialised(message: Envelope): string {
  let body = bodies.get(message);
  if (body === undefined) bodies.set(message, (body = JSON.stringify(message)));
  return body;
}

interface Row {
  seq: number;
  id: string;
  body: string;
  attempts: number;
  failures: number;
}

/**
 * A queue as rows of one shared table: a lease is a token plus a time, settling checks the token.
 * `attempts` counts deliveries and `failures` retries, so a row's lapses are `attempts - failures`
 * (ack deletes the row and dead-lettering ends it, so every other delivery ended in a retry or a lapse).
 */
/** Ids per `holding` statement. */
const HOLDING_PAGE = 500;

export class SqliteQueue implements Queue {
  readonly deadLetters: DeadLetterQueue;
  private checkpointing = false;

  constructor(
    readonly name: string,
    private readonly db: Db,
    private readonly writes: WriteBatcher,
    private readonly limits: Required<EngineOptions>,
    private readonly arrivals: Arrivals,
  ) {
    this.deadLetters = new SqliteDeadLetters(name, db, writes);
    // WAL checkpoints stay off the request path: SQLite runs one inside whichever commit finds the
    // log past 1,000 pages, and on the intake that was most often a frontend's, holding its event
    // loop (and every request) for up to a second. Only the queue's consumers checkpoint (see receive).
    db.pragma('wal_autocheckpoint = 0');
  }

  async send(messages: readonly Envelope[]): Promise<void> {
    await this.writes.run((db) => {
      const insert = statement(
        db,
        'INSERT OR IGNORE INTO messages (queue, id, body, enqueued_at, visible_at) VALUES (?, ?, ?, ?, ?)',
      );
      const now = Date.now();
      for (const message of messages) insert.run(this.name, message.id, serialised(message), now, now);
    });
    this.arrivals.changed();
  }

  /**
   * Waiting (`wait`), an empty look is followed by sleeping until a change to the queue's file (a
   * send here, another process's write), the next lease or retry delay to run out, the wait's end or
   * its abort, then another look: no polling, so an idle consumer costs nothing between messages.
   */
  async receive(max: number, leaseMs: number, wait?: ReceiveWait): Promise<Delivery[]> {
    const first = await this.take(max, leaseMs);
    if (first.length > 0 || wait === undefined || wait.ms <= 0) return first;
    const until = Date.now() + wait.ms;
    // Watching from before the next look: a send committed after it is a change, one before it is found.
    this.arrivals.watch();
    try {
      for (;;) {
        const seen = this.arrivals.generation;
        const taken = await this.take(max, leaseMs);
        const now = Date.now();
        if (taken.length > 0 || now >= until || wait.signal?.aborted === true) return taken;
        if (this.arrivals.generation !== seen) continue;
        const due = this.nextDueAt() ?? until;
        await this.arrivals.next(Math.min(until, due) - now, wait.signal);
      }
    } finally {
      this.arrivals.unwatch();
    }
  }

  /** When the next message not yet deliverable becomes so (a lease or a retry delay running out), in epoch ms. */
  private nextDueAt(): number | undefined {
    const row = statement(
      this.db,
      'SELECT MIN(visible_at) AS due FROM messages WHERE queue = ? AND dead_at IS NULL',
    ).get(this.name) as { due: number | null };
    return row.due ?? undefined;
  }

  private async take(max: number, leaseMs: number): Promise<Delivery[]> {
    // Stryker disable ConditionalExpression,BooleanLiteral: setting it again on every receive changes nothing but the cost
    if (!this.checkpointing) {
      this.db.pragma('wal_autocheckpoint = 1000');
      this.checkpointing = true;
    }
    // Stryker restore ConditionalExpression,BooleanLiteral
    const lease = randomUUID();
    const rows = await this.writes.run((db) => {
      const now = Date.now();
      // A message whose lease lapsed for the last allowed time (it kills its holders) is dead now.
      // Only an expired lease can be in that state (a retry clears the lease), so this reads the few
      // leased rows, not the backlog.
      statement(
        db,
        `UPDATE messages SET dead_at = ?, lease = NULL,
           last_error = 'lease expired ' || (attempts - failures) || ' times' || COALESCE(' (last error: ' || last_error || ')', '')
         WHERE queue = ? AND lease IS NOT NULL AND dead_at IS NULL AND visible_at <= ? AND attempts - failures >= ?`,
      ).run(now, this.name, now, this.limits.maxLeaseLapses);
      return statement(
        db,
        `UPDATE messages SET lease = ?, attempts = attempts + 1, visible_at = ?
           WHERE seq IN (SELECT seq FROM messages WHERE queue = ? AND dead_at IS NULL AND visible_at <= ?
                         ORDER BY visible_at, seq LIMIT ?)
           RETURNING seq, id, body, attempts, failures`,
      ).all(lease, now + leaseMs, this.name, now, max) as Row[];
    }, 'relaxed');
    rows.sort((a, b) => a.seq - b.seq);
    return rows.map((row) => this.delivery(row, lease));
  }

  /** Looked up in pages of ids (SQLite binds at most 32,766 parameters a statement). */
  async holding(ids: readonly string[]): Promise<ReadonlySet<string>> {
    const held = new Set<string>();
    for (let start = 0; start < ids.length; start += HOLDING_PAGE) {
      const page = ids.slice(start, start + HOLDING_PAGE);
      const rows = this.db
        .prepare(
          `SELECT id FROM messages WHERE queue = ? AND dead_at IS NULL AND id IN (${page.map(() => '?').join(', ')})`,
        )
        .all(this.name, ...page) as { id: string }[];
      for (const row of rows) held.add(row.id);
    }
    return held;
  }

  /** Exact: `visible_at` says when a message is deliverable, `lease` whether someone holds it until then. */
  async stats(): Promise<QueueStats> {
    const now = Date.now();
    const row = statement(
      this.db,
      `SELECT
           COALESCE(SUM(dead_at IS NULL AND visible_at <= ?), 0) AS ready,
           COALESCE(SUM(dead_at IS NULL AND visible_at > ? AND lease IS NOT NULL), 0) AS inFlight,
           COALESCE(SUM(dead_at IS NULL AND visible_at > ? AND lease IS NULL), 0) AS delayed,
           COALESCE(SUM(dead_at IS NOT NULL), 0) AS dead,
           MIN(CASE WHEN dead_at IS NULL AND visible_at <= ? THEN enqueued_at END) AS oldest
         FROM messages WHERE queue = ?`,
    ).get(now, now, now, now, this.name) as {
      ready: number;
      inFlight: number;
      delayed: number;
      dead: number;
      oldest: number | null;
    };
    return {
      ready: row.ready,
      inFlight: row.inFlight,
      delayed: row.delayed,
      dead: row.dead,
      oldestReadyAgeMs: row.oldest === null ? 0 : now - row.oldest,
    };
  }

  private delivery(row: Row, lease: string): Delivery {
    // Settling is relaxed: if a power cut loses it, the message is delivered again (at-least-once).
    const settle = (sql: string, ...params: unknown[]): Promise<boolean> =>
      this.writes.run((db) => statement(db, sql).run(...params, row.seq, lease).changes > 0, 'relaxed');
    return {
      message: JSON.parse(row.body) as Envelope,
      attempt: row.failures + 1,
      // This delivery is counted in `attempts` and is neither a failure nor a lapse yet.
      lapses: row.attempts - 1 - row.failures,
      ack: () => settle('DELETE FROM messages WHERE seq = ? AND lease = ?'),
      retry: (delayMs, error) =>
        row.failures + 1 >= this.limits.maxAttempts
          ? settle(
              'UPDATE messages SET dead_at = ?, lease = NULL, failures = failures + 1, last_error = ? WHERE seq = ? AND lease = ?',
              Date.now(),
              error,
            )
          : settle(
              'UPDATE messages SET visible_at = ?, lease = NULL, failures = failures + 1, last_error = ? WHERE seq = ? AND lease = ?',
              Date.now() + delayMs,
              error,
            ),
      deadLetter: (error) =>
        settle(
          'UPDATE messages SET dead_at = ?, lease = NULL, last_error = ? WHERE seq = ? AND lease = ?',
          Date.now(),
          error,
        ),
      extendLease: (leaseMs) =>
        settle('UPDATE messages SET visible_at = ? WHERE seq = ? AND lease = ?', Date.now() + leaseMs),
    };
  }
}

class SqliteDeadLetters implements DeadLetterQueue {
  constructor(
    private readonly queue: string,
    private readonly db: Db,
    private readonly writes: WriteBatcher,
  ) {}

  async list(limit: number): Promise<DeadLetter[]> {
    const rows = statement(
      this.db,
      'SELECT body, attempts, last_error, dead_at FROM messages WHERE queue = ? AND dead_at IS NOT NULL ORDER BY dead_at, seq LIMIT ?',
    ).all(this.queue, limit) as DeadRow[];
    return rows.map(toDeadLetter);
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const row = statement(
      this.db,
      'SELECT body, attempts, last_error, dead_at FROM messages WHERE queue = ? AND id = ? AND dead_at IS NOT NULL',
    ).get(this.queue, id) as DeadRow | undefined;
    return row && toDeadLetter(row);
  }

  redrive(ids?: readonly string[]): Promise<number> {
    return this.each(
      ids,
      'UPDATE messages SET dead_at = NULL, lease = NULL, attempts = 0, failures = 0, last_error = NULL, visible_at = ?',
      [Date.now()],
    );
  }

  purge(ids?: readonly string[]): Promise<number> {
    return this.each(ids, 'DELETE FROM messages', []);
  }

  private each(ids: readonly string[] | undefined, sql: string, params: unknown[]): Promise<number> {
    return this.writes.run((db) => {
      const where = ' WHERE queue = ? AND dead_at IS NOT NULL';
      if (ids === undefined) return statement(db, sql + where).run(...params, this.queue).changes;
      const one = statement(db, `${sql}${where} AND id = ?`);
      return ids.reduce((n, id) => n + one.run(...params, this.queue, id).changes, 0);
    });
  }
}

interface DeadRow {
  body: string;
  attempts: number;
  last_error: string | null;
  dead_at: number;
}

function toDeadLetter(row: DeadRow): DeadLetter {
  return {
    message: JSON.parse(row.body) as Envelope,
    attempts: row.attempts,
    lastError: row.last_error ?? '',
    deadAt: new Date(row.dead_at).toISOString(),
  };
}
