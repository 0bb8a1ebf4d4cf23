import { afterEach, describe, expect, test } from 'vitest';
import { openSqliteMessaging } from '../../../src/engines/sqlite/index.js';
import { QUEUES, type MessagingEngine } from '../../../src/ports/index.js';
import { createEnvelope } from '../../../src/runtime/index.js';
import { sleep, tempDir } from '../../../testkit/index.js';

const ENGINE = { maxAttempts: 3, maxLeaseLapses: 4 };

describe('SQLite queue: a waiting receive is woken, it does not poll', () => {
  const opened: MessagingEngine[] = [];
  const open = (dir: string): MessagingEngine => {
    const messaging = openSqliteMessaging(dir, ENGINE);
    opened.push(messaging);
    return messaging;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((messaging) => messaging.close()));
  });

  test('by a send through another handle on the file (as from another process): the change to its log', async () => {
    const dir = tempDir();
    const consumer = open(dir).queue(QUEUES.intake);
    const producer = open(dir).queue(QUEUES.intake);
    const started = Date.now();
    const waiting = consumer.receive(10, 5_000, { ms: 30_000 });
    await sleep(300);
    await producer.send([createEnvelope('exodus.wish.accepted', '/test', 'from-elsewhere', {})]);
    const got = await waiting;
    expect(got.map((delivery) => delivery.message.id)).toEqual(['from-elsewhere']);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  test('idle, it spends next to no CPU: a poll every few milliseconds would spend far more', async () => {
    const queue = open(tempDir()).queue(QUEUES.intake);
    const before = process.cpuUsage();
    expect(await queue.receive(10, 5_000, { ms: 2_000 })).toEqual([]);
    const { user, system } = process.cpuUsage(before);
    // Two seconds of 1 ms polls of SQLite cost ~500 ms of CPU here; a woken wait costs a few looks.
    expect((user + system) / 1000).toBeLessThan(100);
  });
});
