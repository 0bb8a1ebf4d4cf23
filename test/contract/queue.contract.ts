import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineOptions } from '../../src/engines/index.js';
import {
  QUEUES,
  SUBSCRIPTIONS,
  TOPICS,
  type Delivery,
  type Envelope,
  type MessagingEngine,
  type Queue,
} from '../../src/ports/index.js';
import { anyText, NASTY_CHARACTERS } from './any-text.js';
import type { EngineUnderTest } from './engines.js';
import { envelope, sleep } from './fixtures.js';

/** The `Queue` and `Topic` guarantees (see src/ports/queue.ts), for one engine. */
export function queueContract(
  engine: EngineUnderTest,
  open: (options: EngineOptions) => Promise<MessagingEngine>,
): void {
  // A case an engine cannot meet is skipped by name, with the reason kept in ENGINES.
  // The contract's times (leases, delays, waits), stretched for an engine that counts in whole seconds.
  const scale = engine.timeScale ?? 1;
  const t = (ms: number): number => ms * scale;
  const test = (name: string, body: () => Promise<void>): void =>
    (name in engine.skip ? it.skip : it)(name, body, 30_000 * scale);

  describe(`Queue contract: ${engine.name}`, () => {
    let messaging: MessagingEngine;
    let queue: Queue;
    beforeEach(async () => {
      messaging = await open({ maxAttempts: 3, maxLeaseLapses: 4 });
      queue = messaging.queue(QUEUES.intake);
    });
    afterEach(async () => messaging.close());

    test('delivers what was sent, intact, and ack removes it', async () => {
      const sent = [envelope('a', { text: 'héllo <b>' }), envelope('b')];
      await queue.send(sent);
      const got = await queue.receive(10, t(5000));
      expect(got.map((d) => d.message)).toEqual(sent);
      expect(got.every((d) => d.attempt === 1)).toBe(true);
      await Promise.all(got.map((d) => d.ack()));
      expect(await queue.receive(10, t(5000))).toEqual([]);
      expect(await queue.stats()).toMatchObject({ ready: 0, inFlight: 0, dead: 0 });
    });

    test('receive takes at most max and leases them away from others', async () => {
      await queue.send(Array.from({ length: 5 }, (_, i) => envelope(`m${i}`)));
      const first = await queue.receive(3, t(5000));
      const second = await queue.receive(10, t(5000));
      expect(first).toHaveLength(3);
      expect(second).toHaveLength(2);
      expect(new Set([...first, ...second].map((d) => d.message.id)).size).toBe(5);
      expect(await queue.stats()).toMatchObject({ ready: 0, inFlight: 5 });
    });

    test('deduplicates a resent event id while the queue holds it', async () => {
      await queue.send([envelope('dup')]);
      await queue.send([envelope('dup'), envelope('other')]);
      // A receive may hand out fewer than are ready (on a replicated stream, the second send can reach
      // the consumer's node a moment after the first), so take until both are held, then look for a third.
      const got = await receiveAll(queue, [envelope('dup'), envelope('other')], t(5000));
      expect(got.map((d) => d.message.id).sort()).toEqual(['dup', 'other']);
      expect(await queue.receive(10, t(5000), { ms: t(200) })).toEqual([]);
    });

    test('holding names what the queue holds (ready, in flight, delayed), not what was acked or dead-lettered', async () => {
      if (queue.holding === undefined) return; // the engine cannot look without receiving: the audit counts instead (see the port)
      await queue.send(['ready', 'leased', 'delayed', 'acked', 'dead'].map((id) => envelope(id)));
      const byId = new Map((await queue.receive(10, t(5000))).map((d) => [d.message.id, d]));
      await byId.get('ready')?.retry(0, 'back at once');
      await byId.get('delayed')?.retry(t(60_000), 'later');
      await byId.get('acked')?.ack();
      await byId.get('dead')?.deadLetter('poison');
      const asked = ['ready', 'leased', 'delayed', 'acked', 'dead', 'never-sent'];
      expect([...(await queue.holding(asked))].sort()).toEqual(['delayed', 'leased', 'ready']);
      // Through the topic too: the subscription queues hold what was published to them.
      await messaging.topic(TOPICS.wishParsed).publish([envelope('fanned')]);
      for (const name of SUBSCRIPTIONS[TOPICS.wishParsed] ?? [])
        expect([...((await messaging.queue(name).holding?.(['fanned', 'ready'])) ?? [])], name).toEqual(['fanned']);
    });

    test('redelivers when a lease expires unsettled', async () => {
      await queue.send([envelope('crash')]);
      const [first] = await queue.receive(1, t(150));
      expect(first?.attempt).toBe(1);
      expect(await queue.receive(1, t(150))).toEqual([]);
      await sleep(t(250));
      const [again] = await queue.receive(1, t(5000));
      expect(again?.message.id).toBe('crash');
      expect({ attempt: again?.attempt, lapses: again?.lapses }).toEqual({ attempt: 1, lapses: 1 });
      // The first holder's lease is gone: its late ack must not remove the message from its new holder.
      expect(await first?.ack()).toBe(false);
      expect(await again?.ack()).toBe(true);
    });

    test('a waiting receive answers as soon as a message is sent, to the queue or through the topic', async () => {
      const subscriber = messaging.queue(SUBSCRIPTIONS[TOPICS.wishParsed]?.[0] ?? QUEUES.store);
      const started = Date.now();
      const waiting = [
        queue.receive(10, t(5000), { ms: t(30_000) }),
        subscriber.receive(10, t(5000), { ms: t(30_000) }),
      ];
      await sleep(t(300));
      await queue.send([envelope('awaited')]);
      await messaging.topic(TOPICS.wishParsed).publish([envelope('fanned-out')]);
      const [direct, fanned] = await Promise.all(waiting);
      expect([direct?.map((d) => d.message.id), fanned?.map((d) => d.message.id)]).toEqual([
        ['awaited'],
        ['fanned-out'],
      ]);
      // Woken, not waited out: far sooner than the wait asked for.
      expect(Date.now() - started).toBeLessThan(t(15_000));
    });

    test('a waiting receive ends empty when its wait is over, and at once when aborted', async () => {
      const short = Date.now();
      expect(await queue.receive(10, t(5000), { ms: t(300) })).toEqual([]);
      expect(Date.now() - short).toBeGreaterThanOrEqual(t(300) - 50);
      const stopping = new AbortController();
      const started = Date.now();
      const waiting = queue.receive(10, t(5000), { ms: t(60_000), signal: stopping.signal });
      await sleep(t(200));
      stopping.abort();
      expect(await waiting).toEqual([]);
      expect(Date.now() - started).toBeLessThan(t(30_000));
    });

    test('a waiting receive is woken by a lease that lapses', async () => {
      await queue.send([envelope('lapsing')]);
      expect(await queue.receive(1, t(400))).toHaveLength(1);
      const started = Date.now();
      const [again] = await queue.receive(1, t(5000), { ms: t(30_000) });
      expect({ id: again?.message.id, lapses: again?.lapses }).toEqual({ id: 'lapsing', lapses: 1 });
      expect(Date.now() - started).toBeLessThan(t(15_000));
    });

    test('extending a lease keeps the message away from others', async () => {
      await queue.send([envelope('slow')]);
      const [held] = await queue.receive(1, t(200));
      await sleep(t(120));
      expect(await held?.extendLease(t(500))).toBe(true);
      await sleep(t(150));
      expect(await queue.receive(1, t(5000))).toEqual([]);
    });

    test('retry makes the message deliverable again only after the delay, keeping the error', async () => {
      await queue.send([envelope('flaky')]);
      const [first] = await queue.receive(1, t(5000));
      expect(await first?.retry(t(200), 'store down')).toBe(true);
      expect(await queue.receive(1, t(5000))).toEqual([]);
      expect(await queue.stats()).toMatchObject({ ready: 0, inFlight: 0, delayed: 1 });
      await sleep(t(250));
      const [second] = await queue.receive(1, t(5000));
      expect(second?.attempt).toBe(2);
    });

    test('stats: a retry with no delay is ready at once; one with a delay is delayed, not ready or in flight', async () => {
      await queue.send([envelope('now'), envelope('later')]);
      const got = await queue.receive(2, t(5000));
      await got.find((d) => d.message.id === 'now')?.retry(t(0), 'again at once');
      await got.find((d) => d.message.id === 'later')?.retry(t(60_000), 'again in a minute');
      expect(await queue.stats()).toMatchObject({ ready: 1, inFlight: 0, delayed: 1, dead: 0 });
    });

    // SQLite counts a due retry as ready; JetStream cannot say when a delay falls due, so NATS counts it
    // delayed until it is delivered again (see QueueStats). Either way it waits, and it is delivered.
    test('stats: a retry whose delay has passed waits (ready, or delayed where the engine cannot tell) and is delivered', async () => {
      await queue.send([envelope('due')]);
      const [first] = await queue.receive(1, t(5000));
      await first?.retry(t(100), 'store down');
      await sleep(t(150));
      const stats = await queue.stats();
      expect({ waiting: stats.ready + stats.delayed, inFlight: stats.inFlight }).toEqual({ waiting: 1, inFlight: 0 });
      expect((await queue.receive(1, t(5000))).map((d) => d.message.id)).toEqual(['due']);
    });

    test('dead-letters after maxAttempts with the last error, and redrive restores it intact', async () => {
      const poison = envelope('poison', { bad: true });
      await queue.send([poison]);
      for (let attempt = 1; attempt <= 3; attempt++) {
        const [delivery] = await queue.receive(1, t(5000));
        expect({ attempt: delivery?.attempt, lapses: delivery?.lapses }).toEqual({ attempt, lapses: 0 });
        await delivery?.retry(t(0), `failure ${attempt}`);
      }
      expect(await queue.receive(1, t(5000))).toEqual([]);
      expect(await queue.stats()).toMatchObject({ ready: 0, inFlight: 0, dead: 1 });
      const [letter] = await queue.deadLetters.list(10);
      expect(letter).toMatchObject({ message: poison, attempts: 3, lastError: 'failure 3' });
      expect(await queue.deadLetters.get('poison')).toEqual(letter);

      expect(await queue.deadLetters.redrive()).toBe(1);
      const [back] = await queue.receive(1, t(5000));
      expect(back?.message).toEqual(poison);
      expect(back?.attempt).toBe(1);
    });

    test('a lapsed lease spends no attempt; the maxLeaseLapses-th lapse dead-letters the message at its next receive', async () => {
      await queue.send([envelope('killer')]);
      const seen: { attempt: number | undefined; lapses: number | undefined }[] = [];
      // The message comes back once its lease lapsed, which a busy server may take a moment to notice:
      // each receive waits for it rather than asking once.
      const next = async (leaseMs: number): Promise<Delivery | undefined> => {
        for (const deadline = Date.now() + t(5000); Date.now() < deadline; await sleep(t(10))) {
          const [delivery] = await queue.receive(1, leaseMs);
          if (delivery !== undefined) return delivery;
        }
        return undefined;
      };
      const lapse = async (): Promise<void> => {
        const delivery = await next(t(50));
        seen.push({ attempt: delivery?.attempt, lapses: delivery?.lapses });
        await sleep(t(80));
      };
      await lapse();
      await lapse();
      const failing = await next(t(5000));
      seen.push({ attempt: failing?.attempt, lapses: failing?.lapses });
      await failing?.retry(t(0), 'boom');
      await lapse();
      await lapse();
      expect(seen).toEqual([
        { attempt: 1, lapses: 0 },
        { attempt: 1, lapses: 1 },
        { attempt: 1, lapses: 2 },
        { attempt: 2, lapses: 2 },
        { attempt: 2, lapses: 3 },
      ]);
      // The next receive after the last lapse dead-letters it instead of delivering it.
      for (const deadline = Date.now() + t(5000); (await queue.stats()).dead === 0 && Date.now() < deadline;)
        expect(await queue.receive(1, t(50))).toEqual([]);
      const [letter] = await queue.deadLetters.list(10);
      expect(letter?.message.id).toBe('killer');
      expect(letter?.lastError).toMatch(/^lease expired 4 times \(last error: boom\)$/);
      expect(await queue.stats()).toMatchObject({ ready: 0, inFlight: 0, dead: 1 });
    });

    test('deadLetter parks a message at once; purge drops it', async () => {
      await queue.send([envelope('bad'), envelope('good')]);
      const got = await queue.receive(2, t(5000));
      await got.find((d) => d.message.id === 'bad')?.deadLetter('PermanentError: unreadable');
      expect((await queue.stats()).dead).toBe(1);
      expect(await queue.deadLetters.purge(['bad'])).toBe(1);
      expect((await queue.stats()).dead).toBe(0);
      expect(await queue.deadLetters.get('bad')).toBeUndefined();
    });

    test('a settle on a lease that expired is ignored: ack, retry and deadLetter resolve false and change nothing', async () => {
      await queue.send([envelope('late')]);
      const [stale] = await queue.receive(1, t(100));
      await sleep(t(180));
      const [current] = await queue.receive(1, t(5000));
      expect(current?.lapses).toBe(1);
      expect(await stale?.retry(t(0), 'late retry')).toBe(false);
      expect(await stale?.deadLetter('late dead-letter')).toBe(false);
      expect(await stale?.ack()).toBe(false);
      expect(await queue.stats()).toMatchObject({ ready: 0, inFlight: 1, dead: 0 });
      expect(await current?.deadLetter('PermanentError: for real')).toBe(true);
      expect(await queue.stats()).toMatchObject({ ready: 0, inFlight: 0, dead: 1 });
    });

    test('each settle of a live lease resolves true, once', async () => {
      await queue.send([envelope('s1'), envelope('s2'), envelope('s3')]);
      const [a, b, c] = (await queue.receive(3, t(5000))).sort((x, y) => x.message.id.localeCompare(y.message.id));
      expect(await a?.ack()).toBe(true);
      expect(await b?.retry(t(0), 'again')).toBe(true);
      expect(await c?.deadLetter('PermanentError: no')).toBe(true);
      // Settled already: a second settle of the same delivery changes nothing.
      expect(await a?.ack()).toBe(false);
      expect(await c?.retry(t(0), 'undo?')).toBe(false);
      expect(await queue.stats()).toMatchObject({ ready: 1, inFlight: 0, dead: 1 });
    });

    test('the dead-letter queue: list honours its limit; get, redrive and purge by id touch only those ids', async () => {
      await queue.send(['d1', 'd2', 'd3'].map((id) => envelope(id)));
      for (const delivery of await queue.receive(3, t(5000)))
        await delivery.deadLetter(`PermanentError: ${delivery.message.id}`);
      expect(await queue.deadLetters.list(2)).toHaveLength(2);
      expect((await queue.deadLetters.list(10)).map((letter) => letter.message.id).sort()).toEqual(['d1', 'd2', 'd3']);
      expect(await queue.deadLetters.get('d2')).toMatchObject({ lastError: 'PermanentError: d2', attempts: 1 });
      expect(await queue.deadLetters.redrive(['d2'])).toBe(1);
      expect(await queue.deadLetters.purge(['d3'])).toBe(1);
      expect((await queue.deadLetters.list(10)).map((letter) => letter.message.id)).toEqual(['d1']);
      expect((await queue.receive(10, t(5000))).map((delivery) => delivery.message.id)).toEqual(['d2']);
      expect(await queue.deadLetters.redrive(['nope'])).toBe(0);
      expect(await queue.deadLetters.purge()).toBe(1);
      expect(await queue.stats()).toMatchObject({ dead: 0 });
    });

    test('stats: the oldest ready message has an age; none ready is 0', async () => {
      expect((await queue.stats()).oldestReadyAgeMs).toBe(0);
      await queue.send([envelope('aging')]);
      await sleep(t(120));
      const { oldestReadyAgeMs } = await queue.stats();
      expect(oldestReadyAgeMs).toBeGreaterThanOrEqual(t(100));
      expect(oldestReadyAgeMs).toBeLessThan(t(60_000));
      await Promise.all((await queue.receive(1, t(5000))).map((delivery) => delivery.ack()));
      expect((await queue.stats()).oldestReadyAgeMs).toBe(0);
    });

    test('a subscription queue takes at most max from its topic and its own sends together, and all of both', async () => {
      const [name] = SUBSCRIPTIONS[TOPICS.wishParsed] ?? [];
      const subscription = messaging.queue(name ?? QUEUES.store);
      await messaging.topic(TOPICS.wishParsed).publish([envelope('t1'), envelope('t2'), envelope('t3')]);
      await subscription.send([envelope('own1'), envelope('own2'), envelope('own3')]);
      const first = await subscription.receive(4, t(5000));
      expect(first).toHaveLength(4);
      const rest = await subscription.receive(10, t(5000));
      expect([...first, ...rest].map((delivery) => delivery.message.id).sort()).toEqual([
        'own1',
        'own2',
        'own3',
        't1',
        't2',
        't3',
      ]);
      expect(await subscription.stats()).toMatchObject({ ready: 0, inFlight: 6 });
    });

    // Every text the door accepts must come out of every engine exactly as it went in: no engine may
    // refuse a character (the intake queue would turn the wish away) or change one (the wall would show
    // another text than was written). Event ids are fresh per run, so runs never see each other's messages.
    let run = 0;
    const withTexts = (texts: readonly string[]): Envelope[] => {
      run++;
      return texts.map((text, i) => envelope(`text-${run}-${i}`, { message: text, to: [...text].reverse().join('') }));
    };

    test('carries any Unicode text exactly, through a send, a retry and a receive (property)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(anyText, { minLength: 1, maxLength: 5 }), async (texts) => {
          const sent = withTexts(texts);
          await queue.send(sent);
          const first = await receiveAll(queue, sent, t(5000));
          expect(byId(first.map((d) => d.message))).toEqual(byId(sent));
          // A retry sends the body again (SQS: a delayed copy): it must pass the engine a second time.
          await Promise.all(first.map((d) => d.retry(0, 'again')));
          const again = await receiveAll(queue, sent, t(5000));
          await Promise.all(again.map((d) => d.ack()));
          expect(byId(again.map((d) => d.message))).toEqual(byId(sent));
        }),
        { numRuns: 25 },
      );
    });

    test('a topic carries any Unicode text exactly to every subscription (property)', async () => {
      const topic = messaging.topic(TOPICS.wishParsed);
      await fc.assert(
        fc.asyncProperty(fc.array(anyText, { minLength: 1, maxLength: 5 }), async (texts) => {
          const sent = withTexts(texts);
          await topic.publish(sent);
          for (const name of SUBSCRIPTIONS[TOPICS.wishParsed] ?? []) {
            const got = await receiveAll(messaging.queue(name), sent, t(5000));
            await Promise.all(got.map((d) => d.ack()));
            expect(byId(got.map((d) => d.message)), name).toEqual(byId(sent));
          }
        }),
        { numRuns: 25 },
      );
    });

    test('the longest wish of the nastiest characters survives the topic, a dead-letter and a redrive exactly', async () => {
      // 2,000 + 120 characters (the door's limits), each astral: the most bytes a wish can take on any wire.
      const longest = {
        message: '\u{1F600}'.repeat(2000),
        to: '\u{10FFFF}'.repeat(120),
        every: NASTY_CHARACTERS.join(''),
      };
      const sent = envelope('longest', longest);
      await messaging.topic(TOPICS.wishParsed).publish([sent]);
      const [name = QUEUES.store] = SUBSCRIPTIONS[TOPICS.wishParsed] ?? [];
      const subscription = messaging.queue(name);
      const [delivery] = await receiveAll(subscription, [sent], t(5000));
      expect(delivery?.message).toEqual(sent);
      expect(await delivery?.deadLetter('PermanentError: parked with its text')).toBe(true);
      expect((await subscription.deadLetters.get('longest'))?.message).toEqual(sent);
      expect(await subscription.deadLetters.redrive(['longest'])).toBe(1);
      const [back] = await receiveAll(subscription, [sent], t(5000));
      expect(back?.message).toEqual(sent);
    });

    test('queues are independent', async () => {
      await queue.send([envelope('x')]);
      expect(await messaging.queue(QUEUES.store).receive(10, t(5000))).toEqual([]);
    });

    test('a topic fans out every message to every subscription queue', async () => {
      const topic = messaging.topic(TOPICS.wishParsed);
      await topic.publish([envelope('p1'), envelope('p2')]);
      for (const name of SUBSCRIPTIONS[TOPICS.wishParsed] ?? []) {
        const got = await messaging.queue(name).receive(10, t(5000));
        expect(got.map((d) => d.message.id).sort()).toEqual(['p1', 'p2']);
      }
    });
  });
}

/** Envelopes in id order: engines need not keep the order they were sent in. */
function byId(messages: readonly Envelope[]): Envelope[] {
  return [...messages].sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Receives until every one of `expected` is held (an engine may hand out fewer than are ready per
 * call); anything else received is given back at once. Fails after a few empty rounds.
 */
async function receiveAll(queue: Queue, expected: readonly Envelope[], leaseMs: number): Promise<Delivery[]> {
  const wanted = new Set(expected.map((message) => message.id));
  const held: Delivery[] = [];
  for (let empty = 0; held.length < wanted.size && empty < 5;) {
    const got = await queue.receive(wanted.size - held.length, leaseMs);
    if (got.length === 0) empty++;
    for (const delivery of got) {
      if (wanted.has(delivery.message.id)) held.push(delivery);
      else await delivery.retry(0, 'a message of another run');
    }
  }
  return held;
}
