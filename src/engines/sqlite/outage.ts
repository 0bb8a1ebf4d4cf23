import Database from 'better-sqlite3';
import { join } from 'node:path';

/**
 * Makes the embedded store unavailable for writes, as a stopped database server is to a writer: this
 * process takes `store.db`'s write lock and holds it, so every worker write finds it busy, retries for a
 * second (STORAGE_GIVE_UP_MS in index.ts) and then fails as transient: the consume loop holds the
 * message, names the outage in a `dependency.unavailable` event and tries again. Reads (the wall) go
 * on, as WAL lets them. The undo releases the lock; so does this process's death.
 */
export function lockSqliteStore(dir: string): { file: string; restore: () => Promise<void> } {
  const file = join(dir, 'store.db');
  const db = new Database(file, { fileMustExist: true, timeout: 10_000 });
  db.exec('BEGIN EXCLUSIVE');
  return {
    file,
    restore: async () => {
      db.exec('ROLLBACK');
      db.close();
    },
  };
}
