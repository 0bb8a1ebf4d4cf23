import Database from 'better-sqlite3';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** One SQLite database after a cut: whether it opened and `PRAGMA integrity_check` said ok, and what it said. */
export interface DatabaseCheck {
  /** Relative to the directory searched. */
  readonly file: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Every `*.db` under `dir` (not their -wal and -shm companions), depth first. */
export function databasesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return databasesUnder(path);
    return entry.isFile() && entry.name.endsWith('.db') ? [path] : [];
  });
}

/**
 * Opens each database under `dir` and runs the full `PRAGMA integrity_check` (`quick_check` skips
 * the indexes' agreement with their tables). Read-only: the check itself neither checkpoints nor
 * removes a WAL, so what the restart meets is what the cut left (the open still replays the WAL).
 */
export function checkDatabases(dir: string): DatabaseCheck[] {
  return databasesUnder(dir).map((path) => {
    const file = relative(dir, path);
    try {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      try {
        const rows = db.pragma('integrity_check') as { integrity_check: string }[];
        const said = rows.map((row) => row.integrity_check);
        return { file, ok: said.length === 1 && said[0] === 'ok', detail: said.slice(0, 5).join('; ') };
      } finally {
        db.close();
      }
    } catch (error) {
      return { file, ok: false, detail: `cannot open: ${(error as Error).message}` };
    }
  });
}
