import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { destroyNamespace, openMessaging } from '../../src/engines/index.js';
import { Connection } from '../../src/engines/nats/connection.js';
import { Layout } from '../../src/engines/nats/layout.js';
import { TopicTrim } from '../../src/engines/nats/topic-trim.js';
import { parseNatsUrl } from '../../src/engines/nats/url.js';
import { QUEUES, SUBSCRIPTIONS, TOPICS, type MessagingEngine, type QueueName } from '../../src/ports/index.js';
import { HAVE_NATS_SERVER, skipUnless, sleep, startPrivateNats, waitFor } from '../../testkit/index.js';
import { envelope } from '../contract/fixtures.js';
import { NATS_UNAVAILABLE, NATS_URL } from '../contract/nats-fixture.js';

const skip = skipUnless(
  HAVE_NATS_SERVER && NATS_UNAVAILABLE === undefined,
  `the NATS fan-out tests need nats-server and a shared server (${NATS_UNAVAILABLE ?? 'nats-server binary missing'})`,
);

/** The NATS engine's fan-out (one topic stream, a durable consumer per subscription), against real servers. */
describe.skipIf(skip)('NATS fan-out', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });
  const open = async (url: string): Promise<MessagingEngine> => {
    const engine = await openMessaging(url, { maxAttempts: 5 });
    cleanups.push(
      () => destroyNamespace(url),
      () => engine.close(),
    );
    return engine;
  };
  const subscribers = SUBSCRIPTIONS[TOPICS.wishParsed] ?? [];

  /** Receives and acks from `queue` until `stop()`, collecting the ids received; outages are waited out. */
  const consume = (engine: MessagingEngine, queue: QueueName): { ids: Set<string>; stop: () => Promise<void> } => {
    const ids = new Set<string>();
    let running = true;
    const loop = (async () => {
      while (running) {
        try {
          const batch = await engine.queue(queue).receive(100, 5_000);
          for (const delivery of batch) {
            // Received is delivered: an ack whose answer the restart swallowed may still have landed.
            ids.add(delivery.message.id);
            await delivery.ack();
          }
          if (batch.length === 0) await sleep(20);
        } catch {
          await sleep(50);
        }
      }
    })();
    return { ids, stop: () => ((running = false), loop) };
  };

  it('every publish acked before and during a restart (lame-duck mode) reaches every subscription after it', async () => {
    const nats = await startPrivateNats();
    cleanups.push(() => nats.destroy());
    const engine = await open(`${nats.url}?prefix=fanout`);
    const consumers = subscribers.map((queue) => ({ queue, ...consume(engine, queue) }));
    const acked: string[] = [];
    let publishing = true;
    const publishers = Array.from({ length: 8 }, async () => {
      while (publishing) {
        const message = envelope(randomUUID());
        try {
          await engine.topic(TOPICS.wishParsed).publish([message]);
          acked.push(message.id);
        } catch {
          await sleep(50);
        }
      }
    });
    await sleep(500);
    await nats.stop(); // lame-duck mode while publishes and acks are in flight
    publishing = false;
    await Promise.all(publishers);
    await nats.start();

    expect(acked.length).toBeGreaterThan(100);
    const missing = (ids: Set<string>): string[] => acked.filter((id) => !ids.has(id));
    await waitFor(
      () => consumers.every(({ ids }) => missing(ids).length === 0),
      30_000,
      'acked publishes never delivered',
    ).catch((error: unknown) => {
      for (const { queue, ids } of consumers)
        console.error(`${queue}: ${missing(ids).length} of ${acked.length} acked publishes never delivered`);
      throw error;
    });
    await Promise.all(consumers.map(({ stop }) => stop()));
  }, 90_000);

  it('a topic message is removed once every subscription acked it, and kept while one has not', async () => {
    const url = `${NATS_URL}?prefix=trim-${randomUUID().slice(0, 8)}`;
    const engine = await open(url);
    const { servers, prefix } = parseNatsUrl(url);
    const conn = await Connection.open(servers);
    cleanups.push(() => conn.close());
    const layout = new Layout(prefix);
    const stream = layout.topicStream(TOPICS.wishParsed);
    const trim = new TopicTrim(
      conn,
      stream,
      subscribers.map((queue) => layout.consumer(queue)),
    );
    const stored = async (): Promise<number> => (await conn.jsm.streams.info(stream)).state.messages;

    await engine.topic(TOPICS.wishParsed).publish(Array.from({ length: 10 }, (_, i) => envelope(`t${i}`)));
    // The store acks everything; the tally acks the first 6 and holds the rest.
    for (const delivery of await engine.queue(QUEUES.store).receive(10, 5_000)) await delivery.ack();
    const held = await engine.queue(QUEUES.tally).receive(10, 30_000);
    expect(held).toHaveLength(10);
    for (const delivery of held.slice(0, 6)) await delivery.ack();

    expect(await trim.trim()).toBe(6);
    expect(await stored()).toBe(4);
    expect(await trim.trim()).toBe(0);

    for (const delivery of held.slice(6)) await delivery.ack();
    expect(await trim.trim()).toBe(4);
    expect(await stored()).toBe(0);
    // Trimming took nothing a subscription still needed: both report nothing left to do.
    for (const queue of subscribers) expect(await engine.queue(queue).stats()).toMatchObject({ ready: 0, inFlight: 0 });
  });
});
