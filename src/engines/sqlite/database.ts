import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PermanentError, TransientError } from '../../domain/index.js';

export type Db = Database.Database;

/**
 * Opens one SQLite file shared by many processes: WAL (readers never block the writer), a busy
 * timeout instead of instant SQLITE_BUSY, and `synchronous=FULL` because a resolved write here is a
 * promise made to someone (a 202, an ack). Group commit (below) pays for the fsync.
 */
export function openDatabase(file: string, schema: string): Db {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { timeout: 10_000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // Several processes may create the schema at once; the write lock serialises them.
  db.transaction(() => db.exec(schema)).immediate();
  return db;
}

interface PendingWrite {
  run(db: Db): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Group commit: every write asked for in the same turn of the event loop runs in one IMMEDIATE
 * transaction, so concurrent requests share one fsync (~11.7k fsync/s on these machines would
 * otherwise cap a durable 202 near 10k/s). Each write runs in its own savepoint: one that throws is
 * undone alone and rejects alone; a failed commit rejects them all, and nothing resolves before it.
 */
export class WriteBatcher {
  private pending: PendingWrite[] = [];
  private scheduled = false;

  constructor(private readonly db: Db) {}

  run<T>(write: (db: Db) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run: write, resolve: resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    const results: { ok: boolean; value: unknown }[] = [];
    try {
      this.db
        .transaction(() => {
          for (const write of batch) {
            try {
              results.push({ ok: true, value: this.db.transaction(() => write.run(this.db))() });
            } catch (error) {
              results.push({ ok: false, value: error });
            }
          }
        })
        .immediate();
    } catch (error) {
      const failure = classify(error);
      for (const write of batch) write.reject(failure);
      return;
    }
    batch.forEach((write, i) => {
      const result = results[i];
      if (result?.ok) write.resolve(result.value);
      else write.reject(classify(result?.value));
    });
  }
}

/**
 * Bad data (constraint, type, size) will fail again: permanent. Everything else (busy, locked, I/O,
 * a full disk) may pass with time, and a retry that keeps failing still ends in the dead-letter queue.
 */
export function classify(error: unknown): Error {
  if (error instanceof TransientError || error instanceof PermanentError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code)) {
    return new PermanentError('sqlite_bad_data', message, { cause: error });
  }
  return new TransientError('sqlite_unavailable', message, { cause: error });
}

const statements = new WeakMap<Db, Map<string, Database.Statement>>();

/** Prepared once per connection: preparing costs more than running a small statement. */
export function statement(db: Db, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (cache === undefined) statements.set(db, (cache = new Map<string, Database.Statement>()));
  let prepared = cache.get(sql);
  if (prepared === undefined) cache.set(sql, (prepared = db.prepare(sql)));
  return prepared;
}
