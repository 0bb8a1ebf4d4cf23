import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { openDatabase } from '../../../src/engines/sqlite/database.js';
import { packageRoot } from '../../../src/runtime/index.js';
import { tempDir } from '../../../testkit/index.js';

/** Another process that made a new file (still in rollback mode) and holds its write lock for a while. */
const HOLDER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.exec('CREATE TABLE early (id INTEGER)');
db.exec('BEGIN IMMEDIATE');
db.exec('INSERT INTO early VALUES (1)');
process.stdout.write('held\\n');
setTimeout(() => db.exec('COMMIT'), 800);
`;

describe('opening a SQLite file that another process is creating', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test('waits for the other start to commit instead of failing its switch to WAL', async () => {
    dir = tempDir('exodus-open-');
    const file = join(dir, 'queue.db');
    const holder = spawn(process.execPath, ['-e', HOLDER, file], {
      cwd: packageRoot(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(holder, 'exit');
    await once(holder.stdout, 'data');

    const db = openDatabase(file, 'CREATE TABLE IF NOT EXISTS later (id INTEGER)');
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT count(*) FROM early').pluck().get()).toBe(1);
    db.close();
    await exited;

    const again = new Database(file, { readonly: true });
    expect(again.pragma('integrity_check', { simple: true })).toBe('ok');
    again.close();
  });
});
