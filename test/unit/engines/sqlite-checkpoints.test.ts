import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { openSqliteMessaging } from '../../../src/engines/sqlite/index.js';
import { QUEUES, type MessagingEngine } from '../../../src/ports/index.js';
import { createEnvelope } from '../../../src/runtime/index.js';
import { tempDir } from '../../../testkit/index.js';

/** 2,000 messages of ~2 KB: about 1,000 WAL pages more than SQLite's auto-checkpoint threshold. */
async function sendRound(producer: MessagingEngine, round: number): Promise<void> {
  const text = 'x'.repeat(2000);
  for (let i = 0; i < 2000; i += 100) {
    await producer
      .queue(QUEUES.intake)
      .send(
        Array.from({ length: 100 }, (_, j) =>
          createEnvelope('exodus.wish.accepted', '/test', `r${round}-${i + j}`, { text }),
        ),
      );
  }
}

async function drain(consumer: MessagingEngine): Promise<void> {
  for (;;) {
    const batch = await consumer.queue(QUEUES.intake).receive(500, 10_000);
    if (batch.length === 0) return;
    await Promise.all(batch.map((delivery) => delivery.ack()));
  }
}

describe('SQLite queue WAL checkpoints', () => {
  const opened: MessagingEngine[] = [];
  let dir: string | undefined;
  afterEach(async () => {
    for (const engine of opened.splice(0)) await engine.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test('a producer (the frontend) never checkpoints; the consumer does, so the log is reused instead of growing', async () => {
    dir = tempDir('exodus-checkpoint-');
    const producer = openSqliteMessaging(dir, { maxAttempts: 5 });
    const consumer = openSqliteMessaging(dir, { maxAttempts: 5 });
    opened.push(producer, consumer);
    const wal = join(dir, 'queues', `${QUEUES.intake}.db-wal`);

    await sendRound(producer, 1);
    const afterFirst = statSync(wal).size;
    await sendRound(producer, 2);
    // No checkpoint in the producer's commits: the log only grows.
    expect(statSync(wal).size).toBeGreaterThan(afterFirst * 1.8);

    await drain(consumer); // its commits checkpoint the whole log
    const checkpointed = statSync(wal).size;
    await sendRound(producer, 3);
    // Checkpointed and unread, the log starts over from its beginning: the file does not grow.
    expect(statSync(wal).size).toBeLessThanOrEqual(checkpointed * 1.05);
  });
});
