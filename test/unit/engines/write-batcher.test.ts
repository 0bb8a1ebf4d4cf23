import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { PermanentError } from '../../../src/domain/index.js';
import { openDatabase, WriteBatcher, type Db } from '../../../src/engines/sqlite/database.js';
import { tempDir } from '../../../testkit/index.js';

const SCHEMA = 'CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL CHECK (n >= 0));';

describe('WriteBatcher (group commit)', () => {
  let dir: string | undefined;
  let db: Db | undefined;
  afterEach(() => {
    db?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  function open(): { db: Db; writes: WriteBatcher } {
    dir = tempDir('exodus-batcher-');
    db = openDatabase(join(dir, 'test.db'), SCHEMA);
    return { db, writes: new WriteBatcher(db) };
  }

  const insert = (id: number, n: number) => (conn: Db) =>
    conn.prepare('INSERT INTO t (id, n) VALUES (?, ?)').run(id, n).changes;

  test('the writes of one turn commit together, each answered with its own result', async () => {
    const { db, writes } = open();
    expect(
      await Promise.all([
        writes.run(insert(1, 1)),
        writes.run(insert(2, 2)),
        writes.run((conn) => (conn.prepare('SELECT count(*) AS c FROM t').get() as { c: number }).c),
      ]),
    ).toEqual([1, 1, 2]);
    expect(db.prepare('SELECT id FROM t ORDER BY id').pluck().all()).toEqual([1, 2]);
  });

  test('a write that fails is undone and rejected alone: the others of its batch commit', async () => {
    const { db, writes } = open();
    const results = await Promise.allSettled([
      writes.run(insert(1, 1)),
      // Two statements: the first succeeds, the second breaks the CHECK; neither may remain.
      writes.run((conn) => {
        insert(2, 2)(conn);
        return insert(3, -1)(conn);
      }),
      writes.run(() => {
        throw new Error('not even SQL');
      }),
      writes.run(insert(4, 4)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(results[1]?.status === 'rejected' && results[1].reason).toBeInstanceOf(PermanentError);
    expect(db.prepare('SELECT id FROM t ORDER BY id').pluck().all()).toEqual([1, 4]);
  });
});
