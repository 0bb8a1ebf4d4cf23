import { afterEach, describe, expect, it } from 'vitest';
import { MessageRefusedError } from '../../../src/domain/index.js';
import { QUEUES, TOPICS, type MessagingEngine } from '../../../src/ports/index.js';
import { skipUnless } from '../../../testkit/index.js';
import { envelope } from '../../contract/fixtures.js';
import { NATS_UNAVAILABLE, openTestNatsMessaging } from '../../contract/nats-fixture.js';

const skip = skipUnless(NATS_UNAVAILABLE === undefined, `NATS refusals: ${NATS_UNAVAILABLE ?? ''}`);

/**
 * NATS carries any bytes, so it refuses no character; what it refuses is a message over the
 * server's `max_payload` (1 MiB by default), which no wish comes near. Refused, it fails its own
 * send or publish as a `MessageRefusedError` (the front door's 500 of its own, the parser's dead
 * letter), and the next message goes through.
 */
describe.skipIf(skip)('NATS engine: a message too big for the server', () => {
  let messaging: MessagingEngine | undefined;
  afterEach(async () => messaging?.close());

  it('fails its send and its publish as a MessageRefusedError; the next message is taken', async () => {
    messaging = await openTestNatsMessaging({ maxAttempts: 3 });
    const huge = envelope('huge', { message: 'x'.repeat(2 * 1024 * 1024) });
    const intake = messaging.queue(QUEUES.intake);
    await expect(intake.send([huge])).rejects.toBeInstanceOf(MessageRefusedError);
    await expect(messaging.topic(TOPICS.wishParsed).publish([huge])).rejects.toMatchObject({ code: 'message_refused' });
    await intake.send([envelope('next')]);
    const [delivery] = await intake.receive(1, 5000);
    expect(delivery?.message.id).toBe('next');
    await delivery?.ack();
  });
});
