import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../../src/domain/index.js';
import { openMessaging } from '../../../src/engines/index.js';
import type { Delivery, MessagingEngine, Queue } from '../../../src/ports/index.js';
import {
  ConsumeLoop,
  backoffMs,
  createLogger,
  type ConsumeOptions,
  type MessageHandler,
} from '../../../src/runtime/index.js';
import { LogCapture } from '../../../testkit/in-process.js';
import { intercept, tempDir, waitFor } from '../../../testkit/index.js';
import { envelope } from '../../contract/fixtures.js';

const MAX_ATTEMPTS = 4;
const RETRY = { retryBaseMs: 40, retryMaxMs: 100 } as const;

/** A settle the loop made: which, on which attempt, with what delay. */
interface Settle {
  readonly how: 'ack' | 'retry' | 'deadLetter';
  readonly attempt: number;
  readonly delayMs?: number;
  readonly error?: string;
}

/** The real SQLite queue, with every settle of every delivery written down once the queue has done it. */
function recording(real: Queue, settles: Settle[]): Queue {
  const done = (settle: Settle) => (settled: boolean) => (settles.push(settle), settled);
  const watch = (delivery: Delivery): Delivery => ({
    message: delivery.message,
    attempt: delivery.attempt,
    lapses: delivery.lapses,
    extendLease: (leaseMs) => delivery.extendLease(leaseMs),
    ack: () => delivery.ack().then(done({ how: 'ack', attempt: delivery.attempt })),
    retry: (delayMs, error) =>
      delivery.retry(delayMs, error).then(done({ how: 'retry', attempt: delivery.attempt, delayMs, error })),
    deadLetter: (error) =>
      delivery.deadLetter(error).then(done({ how: 'deadLetter', attempt: delivery.attempt, error })),
  });
  return intercept(real, (method, call) =>
    method === 'receive' ? (call() as Promise<Delivery[]>).then((batch) => batch.map(watch)) : call(),
  );
}

describe('the consume loop settles each message by what its failure means', () => {
  let messaging: MessagingEngine | undefined;
  let loop: ConsumeLoop | undefined;
  afterEach(async () => {
    await loop?.stop();
    await messaging?.close();
    loop = undefined;
  });

  const run = async (handler: MessageHandler): Promise<{ queue: Queue; settles: Settle[] }> => {
    messaging = await openMessaging(`sqlite:${tempDir()}`, { maxAttempts: MAX_ATTEMPTS });
    const real = messaging.queue('intake');
    const settles: Settle[] = [];
    loop = new ConsumeLoop({
      queue: recording(real, settles),
      handler,
      logger: createLogger('test', 'silent'),
      batchSize: 8,
      leaseMs: 2000,
      idleWaitMs: 10,
      ...RETRY,
    });
    await real.send([envelope('m-1')]);
    loop.start();
    return { queue: real, settles };
  };

  it('a failure retries through the queue after a backoff within [0, min(max, base·2^(attempt−1))], and a later success acks', async () => {
    let calls = 0;
    const { queue, settles } = await run(async () => {
      if (++calls < 3) throw new Error('flaky');
    });
    await waitFor(async () => settles.some((s) => s.how === 'ack'), 5_000, 'never acked');
    expect(settles.map((s) => [s.how, s.attempt])).toEqual([
      ['retry', 1],
      ['retry', 2],
      ['ack', 3],
    ]);
    expect(settles[0]?.delayMs).toBeLessThanOrEqual(RETRY.retryBaseMs);
    expect(settles[1]?.delayMs).toBeLessThanOrEqual(2 * RETRY.retryBaseMs);
    expect(settles[0]?.error).toBe('Error: flaky');
    expect(await queue.stats()).toMatchObject({ ready: 0, inFlight: 0, dead: 0 });
  });

  it('a message that keeps failing is dead-lettered after maxAttempts with its last error, and its retries waited', async () => {
    let calls = 0;
    const { queue, settles } = await run(async () => {
      throw new Error(`boom ${++calls}`);
    });
    await waitFor(
      async () => settles.some((settle) => settle.how === 'deadLetter' || settle.attempt === MAX_ATTEMPTS),
      10_000,
      'never dead-lettered',
    );
    await waitFor(async () => (await queue.stats()).dead === 1, 5_000, 'not in the dead letters');
    expect(calls).toBe(MAX_ATTEMPTS);
    const [letter] = await queue.deadLetters.list(10);
    expect(letter).toMatchObject({ attempts: MAX_ATTEMPTS, lastError: `Error: boom ${MAX_ATTEMPTS}` });
    const delays = settles.filter((s) => s.how === 'retry').map((s) => s.delayMs ?? -1);
    expect(delays.length).toBeGreaterThanOrEqual(MAX_ATTEMPTS - 1);
    for (const [i, delay] of delays.entries())
      expect(delay).toBeLessThanOrEqual(Math.min(RETRY.retryMaxMs, RETRY.retryBaseMs * 2 ** i));
    // Full jitter is random, but never all zero: the retries did wait.
    expect(delays.some((delay) => delay > 0)).toBe(true);
  });

  it('a PermanentError dead-letters at once, on the first attempt', async () => {
    let calls = 0;
    const { queue, settles } = await run(async () => {
      calls++;
      throw new PermanentError('poison_message', 'cannot ever work');
    });
    await waitFor(async () => settles.length > 0, 5_000, 'never settled');
    expect(calls).toBe(1);
    expect(settles).toEqual([{ how: 'deadLetter', attempt: 1, error: 'PermanentError: cannot ever work' }]);
    expect((await queue.stats()).dead).toBe(1);
  });

  it('a TransientError (a dependency away) holds the message and tries again in place, spending no attempt', async () => {
    let calls = 0;
    const { queue, settles } = await run(async () => {
      if (++calls <= 3) throw new TransientError('store_unavailable', 'database restarting');
    });
    await waitFor(async () => settles.some((s) => s.how === 'ack'), 5_000, 'never acked');
    expect(calls).toBe(4);
    expect(settles).toEqual([{ how: 'ack', attempt: 1 }]);
    expect(await queue.stats()).toMatchObject({ ready: 0, inFlight: 0, dead: 0 });
  });

  it('stopping while a message is held hands it back to the queue for later, not to the dead letters', async () => {
    let calls = 0;
    const { queue, settles } = await run(async () => {
      calls++;
      throw new TransientError('store_unavailable', 'database away');
    });
    await waitFor(async () => calls >= 2, 5_000, 'never held');
    await loop?.stop();
    expect(settles.map((s) => s.how)).toEqual(['retry']);
    expect(await queue.stats()).toMatchObject({ inFlight: 0, dead: 0 });
  });
});

describe('the consume loop reports each dead-lettering as an event', () => {
  const run = async (handler: MessageHandler, options: Partial<ConsumeOptions> = {}) => {
    const messaging = await openMessaging(`sqlite:${tempDir()}`, { maxAttempts: MAX_ATTEMPTS });
    const settles: Settle[] = [];
    const logs = new LogCapture();
    const loop = new ConsumeLoop({
      queue: recording(messaging.queue('intake'), settles),
      handler,
      logger: createLogger('test', 'info', logs),
      batchSize: 8,
      leaseMs: 2000,
      idleWaitMs: 10,
      ...RETRY,
      ...options,
    });
    await messaging.queue('intake').send([envelope('m-1', { text: 'the content' })]);
    loop.start();
    await waitFor(async () => settles.some((s) => s.how === 'deadLetter'), 10_000, 'never dead-lettered');
    await loop.stop();
    await messaging.close();
    return {
      settles,
      events: logs.lines().filter((line) => line['event'] === 'message.dead_lettered'),
      raw: logs.raw.join('\n'),
    };
  };

  it('a PermanentError: the queue, the message id and the error code, never the content', async () => {
    const { events, raw } = await run(async () => {
      throw new PermanentError('poison_message', 'cannot ever work');
    });
    expect(events).toEqual([
      expect.objectContaining({ level: 40, queue: 'intake', messageId: 'm-1', code: 'poison_message', attempt: 1 }),
    ]);
    expect(raw).not.toContain('the content');
  });

  it('given maxAttempts, the last attempt of a failing message is dead-lettered by the loop and reported', async () => {
    const { settles, events } = await run(
      async () => {
        throw new TypeError('boom');
      },
      { maxAttempts: MAX_ATTEMPTS },
    );
    expect(settles.map((s) => [s.how, s.attempt])).toEqual([
      ...Array.from({ length: MAX_ATTEMPTS - 1 }, (_, i) => ['retry', i + 1]),
      ['deadLetter', MAX_ATTEMPTS],
    ]);
    expect(settles.at(-1)?.error).toBe('TypeError: boom');
    expect(events).toEqual([expect.objectContaining({ messageId: 'm-1', code: 'TypeError', attempt: MAX_ATTEMPTS })]);
  });
});

describe('the consume loop, started and stopped', () => {
  const setUp = async (handler: MessageHandler, options: Partial<ConsumeOptions> = {}) => {
    const messaging = await openMessaging(`sqlite:${tempDir()}`, { maxAttempts: MAX_ATTEMPTS });
    const queue = messaging.queue('intake');
    const logs = new LogCapture();
    const loop = new ConsumeLoop({
      queue,
      handler,
      logger: createLogger('test', 'debug', logs),
      batchSize: 8,
      leaseMs: 2000,
      idleWaitMs: 10,
      ...RETRY,
      ...options,
    });
    return { messaging, queue, logs, loop };
  };

  it('start twice runs one loop; after stop() resolves the handler is never called again', async () => {
    let calls = 0;
    const { messaging, queue, loop } = await setUp(async () => {
      calls++;
    });
    try {
      loop.start();
      loop.start();
      await queue.send([envelope('one')]);
      await waitFor(async () => calls === 1, 5_000, 'never handled');
      await loop.stop();
      await queue.send([envelope('after-stop')]);
      await new Promise((done) => setTimeout(done, 200));
      expect(calls).toBe(1);
      expect((await queue.stats()).ready).toBe(1);
    } finally {
      await loop.stop();
      await messaging.close();
    }
  });

  it('stop() does not wait out the backoff of a held message (a minute here)', async () => {
    let calls = 0;
    const { messaging, queue, loop } = await setUp(
      async () => {
        calls++;
        throw new TransientError('store_unavailable', 'away');
      },
      { retryBaseMs: 60_000, retryMaxMs: 60_000 },
    );
    try {
      await queue.send([envelope('held')]);
      loop.start();
      await waitFor(async () => calls === 1, 5_000, 'never handled');
      // If stop waited for the backoff, this test would run into its timeout.
      await loop.stop();
      expect(await queue.stats()).toMatchObject({ dead: 0 });
    } finally {
      await messaging.close();
    }
  }, 10_000);

  it('a held message logs when the outage starts and then once per doubling, not at every try', async () => {
    let calls = 0;
    const { messaging, queue, logs, loop } = await setUp(
      async () => {
        if (++calls <= 9) throw new TransientError('store_unavailable', 'away');
      },
      { retryBaseMs: 1, retryMaxMs: 2 },
    );
    try {
      await queue.send([envelope('held')]);
      loop.start();
      await waitFor(
        async () => (await queue.stats()).ready + (await queue.stats()).inFlight === 0,
        5_000,
        'never acked',
      );
      const held = logs.lines().filter((line) => line['msg'] === 'dependency unavailable; holding the message');
      expect(held.map((line) => line['held'])).toEqual([1, 2, 4, 8]);
      expect(
        logs
          .lines()
          .filter((line) => line['msg'] === 'dependency back; message handled')
          .map((line) => line['held']),
      ).toEqual([10]);
    } finally {
      await loop.stop();
      await messaging.close();
    }
  });

  it('a settle that fails does not stop the loop: the message comes back when its lease runs out', async () => {
    const messaging = await openMessaging(`sqlite:${tempDir()}`, { maxAttempts: MAX_ATTEMPTS });
    const queue = messaging.queue('intake');
    // The first retry cannot be recorded (say, the disk is full for a moment).
    let retryFailed = false;
    const failFirstRetry = (delivery: Delivery): Delivery => ({
      message: delivery.message,
      attempt: delivery.attempt,
      lapses: delivery.lapses,
      ack: () => delivery.ack(),
      extendLease: (leaseMs) => delivery.extendLease(leaseMs),
      deadLetter: (error) => delivery.deadLetter(error),
      retry: (delayMs, error) =>
        retryFailed ? delivery.retry(delayMs, error) : ((retryFailed = true), Promise.reject(new Error('disk full'))),
    });
    const flaky = intercept(queue, (method, call) =>
      method === 'receive' ? (call() as Promise<Delivery[]>).then((batch) => batch.map(failFirstRetry)) : call(),
    );
    let calls = 0;
    const loop = new ConsumeLoop({
      queue: flaky,
      handler: async () => {
        if (++calls === 1) throw new Error('first try fails');
      },
      logger: createLogger('test', 'silent'),
      batchSize: 8,
      leaseMs: 200,
      idleWaitMs: 10,
      ...RETRY,
    });
    try {
      await queue.send([envelope('comes-back')]);
      loop.start();
      await waitFor(
        async () => {
          const { ready, inFlight } = await queue.stats();
          return calls >= 2 && ready + inFlight === 0;
        },
        5_000,
        'never handled after the failed settle',
      );
      expect(retryFailed).toBe(true);
    } finally {
      await loop.stop();
      await messaging.close();
    }
  });
});

describe('the consume loop keeps its leases while it works', () => {
  it('a handler slower than the lease is not handed to a second consumer: one call, one ack', async () => {
    const messaging = await openMessaging(`sqlite:${tempDir()}`, { maxAttempts: MAX_ATTEMPTS });
    const queue = messaging.queue('intake');
    let calls = 0;
    const handler: MessageHandler = async () => {
      calls++;
      await new Promise((done) => setTimeout(done, 1_200));
    };
    const options = {
      queue,
      handler,
      logger: createLogger('test', 'silent'),
      batchSize: 8,
      leaseMs: 300,
      idleWaitMs: 10,
      ...RETRY,
    };
    const loops = [new ConsumeLoop(options), new ConsumeLoop(options)];
    await queue.send([envelope('slow-1')]);
    loops.forEach((loop) => loop.start());
    try {
      await waitFor(
        async () => {
          const { ready, inFlight } = await queue.stats();
          return ready + inFlight === 0;
        },
        10_000,
        'never acked',
      );
      expect(calls).toBe(1);
    } finally {
      await Promise.all(loops.map((loop) => loop.stop()));
      await messaging.close();
    }
  });
});

describe('the consume loop keeps a message that may kill its consumer apart', () => {
  it('messages whose earlier deliveries lapsed run after their batch-mates are settled, one at a time, fewest lapses first', async () => {
    const messaging = await openMessaging(`sqlite:${tempDir()}`, { maxAttempts: MAX_ATTEMPTS });
    const queue = messaging.queue('intake');
    // 'often' lapses three times and 'once' once (their holder "died"), then two fresh messages join them.
    await queue.send([envelope('often')]);
    for (let i = 0; i < 2; i++) {
      await queue.receive(1, 30);
      await new Promise((done) => setTimeout(done, 50));
    }
    await queue.send([envelope('once')]);
    await queue.receive(2, 30);
    await new Promise((done) => setTimeout(done, 50));
    await queue.send([envelope('fresh-1'), envelope('fresh-2')]);

    const log: string[] = [];
    const handler: MessageHandler = async (message) => {
      log.push(`start ${message.id}`);
      await new Promise((done) => setTimeout(done, 20));
      log.push(`end ${message.id}`);
    };
    const loop = new ConsumeLoop({
      queue,
      handler,
      logger: createLogger('test', 'silent'),
      batchSize: 8,
      leaseMs: 2000,
      idleWaitMs: 10,
      ...RETRY,
    });
    loop.start();
    try {
      await waitFor(async () => log.length === 8, 5_000, 'not all handled');
      // The fresh ones run together; each suspect starts only after everything before it ended.
      expect(log.slice(0, 4).sort()).toEqual(['end fresh-1', 'end fresh-2', 'start fresh-1', 'start fresh-2']);
      expect(log.slice(4)).toEqual(['start once', 'end once', 'start often', 'end often']);
      expect(await queue.stats()).toMatchObject({ ready: 0, inFlight: 0, dead: 0 });
    } finally {
      await loop.stop();
      await messaging.close();
    }
  });
});

describe('backoffMs: exponential with full jitter', () => {
  it('spans [0, min(max, base·2^(attempt−1))]', () => {
    const top = () => 1;
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffMs(attempt, 100, 1000, top))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoffMs(0, 100, 1000, top)).toBe(100);
    expect(backoffMs(3, 100, 1000, () => 0)).toBe(0);
    expect(backoffMs(3, 100, 1000, () => 0.5)).toBe(200);
    expect(backoffMs(2, 3, 1000, () => 0.5)).toBe(3);
  });
});

describe('the consume loop names a dependency outage once, at once', () => {
  it('one dependency.unavailable when its batch starts being held, one dependency.available when all are through', async () => {
    const messaging = await openMessaging(`sqlite:${tempDir()}`, { maxAttempts: MAX_ATTEMPTS });
    const queue = messaging.queue('intake');
    const logs = new LogCapture();
    const failures = new Map<string, number>();
    let handled = 0;
    const loop = new ConsumeLoop({
      queue,
      // Each message finds the store away twice, then gets through.
      handler: async (message) => {
        const seen = failures.get(message.id) ?? 0;
        failures.set(message.id, seen + 1);
        if (seen < 2) throw new TransientError('postgres_unavailable', 'connect ECONNREFUSED');
        handled++;
      },
      logger: createLogger('test', 'info', logs),
      batchSize: 8,
      leaseMs: 2000,
      idleWaitMs: 10,
      ...RETRY,
    });
    try {
      await queue.send(['a', 'b', 'c', 'd', 'e'].map((id) => envelope(id)));
      loop.start();
      await waitFor(async () => handled === 5, 5_000, 'not all handled after the outage');
      await waitFor(
        async () => logs.lines().some((line) => line['event'] === 'dependency.available'),
        5_000,
        'never said available',
      );
      const events = logs.lines().filter((line) => String(line['event']).startsWith('dependency.'));
      expect(events).toEqual([
        expect.objectContaining({ event: 'dependency.unavailable', dependency: 'postgres', queue: 'intake', held: 5 }),
        expect.objectContaining({
          event: 'dependency.available',
          dependency: 'postgres',
          queue: 'intake',
          heldPeak: 5,
        }),
      ]);
      expect(events[1]?.['outageMs']).toBeGreaterThanOrEqual(0);
    } finally {
      await loop.stop();
      await messaging.close();
    }
  });
});
