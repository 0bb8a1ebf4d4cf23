import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openMessaging } from '../../src/engines/index.js';
import { tempDir } from '../../testkit/index.js';
import { envelope } from '../contract/fixtures.js';

/** The queue table as the version before lapses were told apart from failures made it. */
const BEFORE_FAILURES = `
CREATE TABLE messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
  enqueued_at INTEGER NOT NULL, visible_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  lease TEXT, dead_at INTEGER, last_error TEXT, UNIQUE (queue, id)
);`;

describe('a SQLite queue file from the previous version', () => {
  it('opens with its messages, which count their past deliveries as lapses, not failures', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'queues'));
    const message = envelope('w-1');
    const old = new Database(join(dir, 'queues', 'intake.db'));
    old.exec(BEFORE_FAILURES);
    old
      .prepare('INSERT INTO messages (queue, id, body, enqueued_at, visible_at, attempts) VALUES (?, ?, ?, ?, ?, ?)')
      .run('intake', 'w-1', JSON.stringify(message), Date.now(), 0, 2);
    old.close();

    const messaging = await openMessaging(`sqlite:${dir}`, { maxAttempts: 2 });
    try {
      const queue = messaging.queue('intake');
      const [delivery] = await queue.receive(10, 5000);
      expect(delivery?.message).toEqual(message);
      expect({ attempt: delivery?.attempt, lapses: delivery?.lapses }).toEqual({ attempt: 1, lapses: 2 });
      expect(await delivery?.retry(0, 'first failure')).toBe(true);
      const [again] = await queue.receive(10, 5000);
      expect(again?.attempt).toBe(2);
      expect(await again?.retry(0, 'second failure')).toBe(true);
      expect(await queue.stats()).toMatchObject({ ready: 0, dead: 1 });
    } finally {
      await messaging.close();
    }
  });
});
