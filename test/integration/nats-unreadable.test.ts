import { connect } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { destroyNamespace, openMessaging } from '../../src/engines/index.js';
import { QUEUES, type MessagingEngine } from '../../src/ports/index.js';
import { skipUnless } from '../../testkit/index.js';
import { envelope } from '../contract/fixtures.js';
import { NATS_UNAVAILABLE, NATS_URL } from '../contract/nats-fixture.js';

const skip = skipUnless(NATS_UNAVAILABLE === undefined, NATS_UNAVAILABLE ?? '');

/**
 * What the port's contract cannot send: bytes that are not our envelope, published to a queue's
 * subject by hand (another program, an operator's test). They must not block the queue by failing
 * every receive, and must not be lost: each is parked in the dead letters, as it came.
 */
describe.skipIf(skip)('NATS engine: messages that are not ours', () => {
  let messaging: MessagingEngine | undefined;
  let url = '';
  afterEach(async () => {
    await messaging?.close();
    await destroyNamespace(url);
  });

  it('are parked as dead letters with their bytes, and the queue goes on delivering what is ours', async () => {
    const prefix = `unreadable-${randomBytes(4).toString('hex')}`;
    url = `${NATS_URL}${NATS_URL.includes('?') ? '&' : '?'}prefix=${prefix}`;
    messaging = await openMessaging(url, { maxAttempts: 3 });
    const queue = messaging.queue(QUEUES.intake);
    await queue.send([envelope('ours-1')]);
    const bodies = ['not json at all', '{"no":"id"}', '{"id":""}', '["an","array"]', 'null'];
    const raw = await connect({ servers: new URL(NATS_URL.replace(/^nats:/, 'http:')).host });
    try {
      for (const body of bodies) raw.publish(`${prefix}.queue.${QUEUES.intake}`, body);
      await raw.flush();
    } finally {
      await raw.close();
    }
    await queue.send([envelope('ours-2')]);

    const delivered = [];
    for (let round = 0; round < 5 && delivered.length < 2; round++) delivered.push(...(await queue.receive(10, 5000)));
    expect(delivered.map((d) => d.message.id).sort()).toEqual(['ours-1', 'ours-2']);
    await Promise.all(delivered.map((d) => d.ack()));

    const letters = await queue.deadLetters.list(10);
    // Kept as they came: the message of each dead letter is the bytes, as a string.
    expect(letters.map((letter) => letter.message as unknown as string).sort()).toEqual(bodies.slice().sort());
    for (const letter of letters)
      expect(letter).toMatchObject({ lastError: 'unreadable: not a JSON envelope with an id', attempts: 1 });
    expect(await queue.stats()).toMatchObject({ ready: 0, inFlight: 0, dead: 5 });
  });
});
