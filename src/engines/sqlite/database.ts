import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PermanentError, TransientError } from '../../domain/index.js';

export type Db = Database.Database;

/**
 * Opens one SQLite file shared by many processes: WAL (readers never block the writer) and
 * `synchronous=FULL`, because a resolved write here is a promise made to someone (a 202, an ack);
 * group commit (below) pays for the fsync. The busy timeout is tiny on purpose: better-sqlite3 waits
 * for a lock *synchronously*, freezing the event loop (a frontend would stop answering), so a
 * writer that finds the lock taken gives up at once and `WriteBatcher` retries without blocking.
 */
export function openDatabase(file: string, schema: string): Db {
  mkdirSync(dirname(file), { recursive: true });
  // Several processes may open and create the schema at once: wait for the lock while starting up.
  const db = new Database(file, { timeout: STARTUP_LOCK_WAIT_MS });
  switchToWal(db);
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.transaction(() => db.exec(schema)).immediate();
  db.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
  return db;
}

const STARTUP_LOCK_WAIT_MS = 10_000;
/** What a synchronous pause waits on (nothing ever wakes it: it times out). */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * SQLite answers a journal-mode switch with SQLITE_BUSY at once, without its busy handler, while
 * another process holds the write lock of a file still in rollback mode: the first start of
 * `exodus up`, where every process opens a new file at once, crashed one of them that way. The
 * switch is retried (synchronously: nothing is served before the databases are open).
 */
function switchToWal(db: Db): void {
  const deadline = Date.now() + STARTUP_LOCK_WAIT_MS;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if (!isBusy(error) || Date.now() > deadline) throw error;
      Atomics.wait(PAUSE, 0, 0, 5);
    }
  }
}

/** How long one attempt at the write lock may block the event loop. */
const LOCK_WAIT_MS = 2;
/**
 * How long a write keeps retrying a busy database before it fails as transient, by default: a
 * frontend's send behind a 202 would rather wait out a long checkpoint than answer 503.
 */
const GIVE_UP_AFTER_MS = 10_000;

/**
 * `durable`: on disk before the promise resolves (a send behind a 202, a store write behind an ack).
 * `relaxed`: committed, but flushed to disk with the next durable commit or checkpoint. For leases
 * and acks: losing one in a power cut only means a redelivery, which every consumer absorbs, and
 * it halves the fsyncs a consumer pays per batch.
 */
export type Durability = 'durable' | 'relaxed';

interface PendingWrite {
  run(db: Db): unknown;
  readonly durability: Durability;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  readonly since: number;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit: every write asked for in the same turn of the event loop runs in one IMMEDIATE
 * transaction, so concurrent requests share one fsync (~11.7k fsync/s on these machines would
 * otherwise cap a durable 202 near 10k/s). Each write runs in its own savepoint: one that throws is
 * undone alone and rejects alone; nothing resolves before the commit. When another process holds
 * the write lock the whole batch waits (asynchronously, 1-3 ms at a time) and meanwhile grows.
 */
export class WriteBatcher {
  private pending: PendingWrite[] = [];
  private scheduled = false;
  private synchronous: 'FULL' | 'NORMAL' = 'FULL';
  private readonly inSavepoint: (write: PendingWrite) => unknown;
  private readonly commitIsolated: { immediate(batch: readonly PendingWrite[]): Outcome[] };
  private readonly commitTogether: { immediate(batch: readonly PendingWrite[]): Outcome[] };

  private readonly giveUpAfterMs: number;

  /**
   * `giveUpAfterMs`: how long a busy database is retried before the writes fail as transient (default
   * 10 s). Writers that hold their work through a transient failure anyway (consumers) give up sooner,
   * so an outage is named in a second rather than hidden for ten.
   */
  constructor(
    private readonly db: Db,
    options: { readonly giveUpAfterMs?: number } = {},
  ) {
    this.giveUpAfterMs = options.giveUpAfterMs ?? GIVE_UP_AFTER_MS;
    this.inSavepoint = db.transaction((write: PendingWrite) => write.run(db));
    this.commitIsolated = db.transaction((batch: readonly PendingWrite[]) =>
      batch.map((write): Outcome => {
        try {
          return { ok: true, value: this.inSavepoint(write) };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
    this.commitTogether = db.transaction((batch: readonly PendingWrite[]) =>
      batch.map((write): Outcome => ({ ok: true, value: write.run(db) })),
    );
  }

  /**
   * Nearly every batch succeeds whole, so it first runs without a savepoint per write (two statements
   * each, a fifth of a small write's cost). If any write throws, that transaction is rolled back and
   * the batch runs again with savepoints, where a failing write is undone and rejected alone.
   */
  private commit(batch: readonly PendingWrite[]): Outcome[] {
    try {
      return this.commitTogether.immediate(batch);
    } catch (error) {
      if (isBusy(error)) throw error;
      return this.commitIsolated.immediate(batch);
    }
  }

  run<T>(write: (db: Db) => T, durability: Durability = 'durable'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run: write, durability, resolve: resolve, reject, since: Date.now() });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    let outcomes: Outcome[];
    try {
      // In WAL mode FULL fsyncs the log at commit, NORMAL leaves it to the next FULL commit.
      const synchronous = batch.some((write) => write.durability === 'durable') ? 'FULL' : 'NORMAL';
      if (synchronous !== this.synchronous) {
        this.db.pragma(`synchronous = ${synchronous}`);
        this.synchronous = synchronous;
      }
      outcomes = this.commit(batch);
    } catch (error) {
      if (isBusy(error) && Date.now() - (batch[0]?.since ?? 0) < this.giveUpAfterMs) {
        this.pending = batch.concat(this.pending);
        setTimeout(() => this.flush(), 1 + Math.random() * 2);
        return;
      }
      this.scheduled = false;
      const failure = classify(error);
      for (const write of batch) write.reject(failure);
      return;
    }
    this.scheduled = false;
    batch.forEach((write, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) write.resolve(outcome.value);
      else write.reject(classify(outcome?.error));
    });
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
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
