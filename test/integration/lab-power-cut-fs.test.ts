import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDatabases } from '../../lab/power-cut/integrity.js';
import { lossyFsSupport, mountLossyFs, type LossyFs } from '../../lab/power-cut/lossy-fs.js';
import { openDatabase } from '../../src/engines/sqlite/database.js';
import { packageRoot } from '../../src/runtime/index.js';
import { skipUnless, tempDir, waitFor } from '../../testkit/index.js';

const support = lossyFsSupport();
const skip = skipUnless(
  !('missing' in support),
  `the lossy FUSE layer cannot run: ${'missing' in support ? support.missing : ''}`,
);

/**
 * A writer process: synchronous=FULL, one row per transaction; prints each row's id once its commit
 * returned (so the test knows what was committed), until killed. The test makes the database (WAL, the
 * table) before the writers start: two processes racing to switch the journal mode and create the table
 * left one dead on SQLITE_BUSY before its first row (a: 21,039 rows, b: 0, in a CI beside the suite). A
 * busy commit is retried, never printed. It pauses between commits: back to back, one writer kept the
 * lock and starved the other (49,102 rows to 216 on a busy machine).
 */
const WRITER = `
const Database = require('better-sqlite3');
const [file, name] = process.argv.slice(1);
const db = new Database(file, { timeout: 10000 });
db.pragma('synchronous = FULL');
const insert = db.prepare('INSERT INTO rows (id, body) VALUES (?, ?)');
let i = 0;
const tick = () => {
  const id = name + '-' + i;
  try {
    insert.run(id, id.repeat(40));
    i++;
    process.stdout.write(id + '\\n');
  } catch (error) {
    if (error.code !== 'SQLITE_BUSY') throw error;
  }
  setTimeout(tick, 5);
};
tick();
`;

/** The writers' table, made by the engines' own opening (WAL, the schema) before they start. */
const SCHEMA = 'CREATE TABLE rows (id TEXT PRIMARY KEY, body TEXT NOT NULL); CREATE INDEX rows_body ON rows (body);';

describe.skipIf(skip)('the lossy FUSE layer (lab power-cut)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function mounted(): Promise<{ backing: string; mount: string; fs: LossyFs }> {
    const root = tempDir('exodus-lossyfs-');
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const backing = join(root, 'backing');
    const mount = join(root, 'mount');
    mkdirSync(backing);
    const fs = await mountLossyFs(backing, mount);
    cleanups.push(() => fs.unmount());
    return { backing, mount, fs };
  }

  it('loses a write that was never fsynced and keeps one that was', async () => {
    const { backing, mount, fs } = await mounted();
    const fd = openSync(join(mount, 'file'), 'w');
    writeSync(fd, 'synced;');
    fsyncSync(fd);
    writeSync(fd, 'never synced');
    expect(readFileSync(join(mount, 'file'), 'utf8')).toBe('synced;never synced'); // served from the layer's cache
    expect(readFileSync(join(backing, 'file'), 'utf8')).toBe('synced;');
    const unsynced = openSync(join(mount, 'unsynced'), 'w');
    writeSync(unsynced, 'gone');
    closeSync(unsynced); // close is not fsync

    const report = await fs.cut();
    expect(report.droppedBytes).toBe('never synced'.length + 'gone'.length);
    expect(() => writeSync(fd, 'after the cut')).toThrow(/EIO/);
    expect(() => readFileSync(join(mount, 'file'))).toThrow(/EIO/);
    expect(() => closeSync(fd)).toThrow(/EIO/); // its flush fails; the descriptor is closed all the same
    await fs.unmount();

    const again = await mountLossyFs(backing, mount);
    cleanups.push(() => again.unmount());
    expect(readFileSync(join(mount, 'file'), 'utf8')).toBe('synced;');
    // Creating a name is metadata: it survived, its bytes did not.
    expect(readFileSync(join(mount, 'unsynced'), 'utf8')).toBe('');
  });

  it('forgets a truncation that was never fsynced, and writes one that was', async () => {
    const { backing, mount, fs } = await mounted();
    const fd = openSync(join(mount, 'file'), 'w');
    writeSync(fd, 'abcdefgh');
    fsyncSync(fd);
    closeSync(fd);
    const shrink = openSync(join(mount, 'file'), 'r+');
    ftruncateSync(shrink, 3);
    writeSync(shrink, 'XY', 6); // past the new end: the gap reads as zeros
    expect(readFileSync(join(mount, 'file'))).toEqual(Buffer.from('abc\0\0\0XY'));
    await fs.cut();
    expect(() => closeSync(shrink)).toThrow(/EIO/);
    await fs.unmount();
    expect(readFileSync(join(backing, 'file'), 'utf8')).toBe('abcdefgh');

    const again = await mountLossyFs(backing, mount);
    cleanups.push(() => again.unmount());
    const synced = openSync(join(mount, 'file'), 'r+');
    ftruncateSync(synced, 3);
    writeSync(synced, 'XY', 6);
    fsyncSync(synced);
    closeSync(synced);
    expect(readFileSync(join(backing, 'file'))).toEqual(Buffer.from('abc\0\0\0XY'));
  });

  it('keeps every committed row of a WAL database written by two processes, and its integrity', async () => {
    const { backing, mount, fs } = await mounted();
    const file = join(mount, 'two-writers.db');
    openDatabase(file, SCHEMA).close();
    const committed = new Set<string>();
    const ends: string[] = [];
    const writers: ChildProcess[] = ['a', 'b'].map((name) => {
      const child = spawn(process.execPath, ['-e', WRITER, file, name], {
        cwd: packageRoot(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', (code, signal) => ends.push(`${name} exited (${code ?? signal}): ${stderr.trim()}`));
      let partial = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const id of lines) committed.add(id);
      });
      cleanups.push(() => void child.kill('SIGKILL'));
      return child;
    });
    const by = (name: string): number => [...committed].filter((id) => id.startsWith(`${name}-`)).length;
    // Both write at once (their commits interleave under the WAL's lock), past a checkpoint: SQLite copies
    // the WAL into the database once it holds 1,000 pages, and only then does the database file grow past
    // its few schema pages. Each commit here is an fsync through a FUSE layer written in Python: fast
    // alone (1,500 rows in 8 s), twenty times slower beside the whole suite on two cores.
    const databaseBytes = (): number => statSync(file, { throwIfNoEntry: false })?.size ?? 0;
    await waitFor(
      () => {
        if (ends.length > 0) throw new Error(`a writer died: ${ends.join('; ')}`);
        return by('a') >= 100 && by('b') >= 100 && databaseBytes() > 16 * 4096;
      },
      150_000,
      'the two writers never committed 100 rows each past a checkpoint',
    ).catch((error: unknown) => {
      throw new Error(`${String(error)} (a: ${by('a')}, b: ${by('b')}, database ${databaseBytes()} bytes)`);
    });

    const report = await fs.cut(); // the power goes; then the processes die with it
    for (const writer of writers) writer.kill('SIGKILL');
    const seen = new Set(committed);
    await fs.unmount();
    expect(report.droppedBytes + report.droppedShmBytes).toBeGreaterThan(0);

    const again = await mountLossyFs(backing, mount);
    cleanups.push(() => again.unmount());
    expect(checkDatabases(mount)).toEqual([{ file: 'two-writers.db', ok: true, detail: 'ok' }]);
    const db = new Database(file, { readonly: true });
    const rows = new Set((db.prepare('SELECT id FROM rows').all() as { id: string }[]).map((row) => row.id));
    db.close();
    const missing = [...seen].filter((id) => !rows.has(id));
    expect(missing).toEqual([]);
  }, 240_000);
});
