import { afterEach, describe, expect, it } from 'vitest';
import { QUEUES, TOPICS, type Delivery, type MessagingEngine, type Queue } from '../../../src/ports/index.js';
import { skipUnless } from '../../../testkit/index.js';
import { envelope } from '../../contract/fixtures.js';
import { NATS_UNAVAILABLE, openTestNatsMessaging } from '../../contract/nats-fixture.js';

const skip = skipUnless(NATS_UNAVAILABLE === undefined, `NATS holding: ${NATS_UNAVAILABLE ?? ''}`);

/**
 * `holding` on NATS beyond the contract (src/engines/nats/holding.ts): a topic lane keeps acked
 * messages above the ack floor, a redrive's `Nats-Msg-Id` is not the event id, a header loses an
 * id's surrounding whitespace, and a long stream is read in several runs at once.
 */
describe.skipIf(skip)('NATS engine: holding', () => {
  let messaging: MessagingEngine | undefined;
  afterEach(async () => messaging?.close());

  const open = async (): Promise<MessagingEngine> => (messaging = await openTestNatsMessaging({ maxAttempts: 3 }));
  const held = async (queue: Queue, ids: readonly string[]): Promise<string[]> =>
    [...((await queue.holding?.(ids)) ?? [])].sort();
  const byId = (deliveries: readonly Delivery[]): Map<string, Delivery> =>
    new Map(deliveries.map((d) => [d.message.id, d]));

  it('on a topic lane, names every message above the ack floor: acked out of order there cannot be told from unacked', async () => {
    const engine = await open();
    const store = engine.queue(QUEUES.store);
    await engine.topic(TOPICS.wishParsed).publish(['t1', 't2', 't3', 't4', 't5'].map((id) => envelope(id)));
    const got = byId(await store.receive(10, 5000));
    expect(got.size).toBe(5);
    await got.get('t2')?.retry(60_000, 'later'); // waits in the ledger
    await got.get('t4')?.ack(); // acked above the floor (t1 is unacked)
    await got.get('t5')?.deadLetter('poison'); // parked, acked
    // t1 and t3 are leased, but with t4 and t5 acked out of order the server cannot say which above
    // the floor (0) are unacked: holding names them all, the side on which the audit never calls an
    // in-flight wish lost (an acked one is in the store, which the audit reads last).
    expect(await held(store, ['t1', 't2', 't3', 't4', 't5'])).toEqual(['t1', 't2', 't3', 't4', 't5']);
    // The floor moves past what is settled below the first unsettled message (t2, waiting out its retry).
    await got.get('t1')?.ack();
    expect(await held(store, ['t1', 't2', 't3', 't4', 't5'])).toEqual(['t2', 't3', 't4', 't5']);
    // The tally subscription received nothing yet: all five are ready there.
    expect(await held(engine.queue(QUEUES.tally), ['t1', 't2', 't3', 't4', 't5'])).toEqual([
      't1',
      't2',
      't3',
      't4',
      't5',
    ]);
  });

  it('on a topic lane, names every message above the ack floor when none there was acked', async () => {
    const engine = await open();
    const store = engine.queue(QUEUES.store);
    await engine.topic(TOPICS.wishParsed).publish(['u1', 'u2', 'u3'].map((id) => envelope(id)));
    const got = byId(await store.receive(2, 5000));
    await got.get('u1')?.ack(); // the floor moves past it
    // u2 leased, u3 never delivered.
    expect(await held(store, ['u1', 'u2', 'u3'])).toEqual(['u2', 'u3']);
    await got.get('u2')?.ack();
    expect(await held(store, ['u1', 'u2', 'u3'])).toEqual(['u3']);
  });

  it('finds a redriven message, whose Nats-Msg-Id carries a suffix, and an id with surrounding spaces', async () => {
    const engine = await open();
    const intake = engine.queue(QUEUES.intake);
    await intake.send([envelope('r1'), envelope(' padded ')]);
    const got = byId(await intake.receive(10, 5000));
    await got.get('r1')?.deadLetter('poison');
    expect(await held(intake, ['r1', ' padded ', 'padded'])).toEqual([' padded ']);
    expect(await intake.deadLetters.redrive(['r1'])).toBe(1);
    expect(await held(intake, ['r1', 'r1:redrive:1', 'padded'])).toEqual(['r1']);
  });

  it('reads a long stream with gaps in several runs, boundaries included, and answers nothing for nothing', async () => {
    const engine = await open();
    const intake = engine.queue(QUEUES.intake);
    const ids = Array.from({ length: 1500 }, (_, i) => `m${i}`);
    await intake.send(ids.map((id) => envelope(id)));
    // Acking every third leaves gaps in the work-queue stream.
    const got = await intake.receive(1500, 30_000);
    const acked = new Set(got.filter((_, i) => i % 3 === 0).map((d) => d.message.id));
    await Promise.all(got.filter((d) => acked.has(d.message.id)).map((d) => d.ack()));
    const asked = [...ids.filter((_, i) => i % 7 === 0 || i > 1490), 'never-sent'];
    expect(await held(intake, asked)).toEqual(asked.filter((id) => id !== 'never-sent' && !acked.has(id)).sort());
    expect(await held(intake, [])).toEqual([]);
  });
});
