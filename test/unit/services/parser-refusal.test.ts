import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { openMessaging, openStorage } from '../../../src/engines/index.js';
import { SnsTopic } from '../../../src/engines/sqs/topic.js';
import { EVENT_TYPES, QUEUES, type MessagingEngine, type StorageEngine } from '../../../src/ports/index.js';
import { createLogger, processDelivery } from '../../../src/runtime/index.js';
import { createParserHandler } from '../../../src/services/parser/index.js';
import { LogCapture } from '../../../testkit/in-process.js';
import { tempDir } from '../../../testkit/index.js';
import { envelope } from '../../contract/fixtures.js';

// SNS refusing a parsed wish for what it holds: the client-mock stands in for AWS (after escaping,
// no text reaches fauxqs that it refuses), with the code SNS answers a message too long with.
const snsMock = mockClient(SNSClient);

describe('the parser, when the topic refuses what it publishes', () => {
  let messaging: MessagingEngine | undefined;
  let storage: StorageEngine | undefined;
  afterEach(async () => {
    snsMock.reset();
    await messaging?.close();
    await storage?.close();
  });

  it('dead-letters the accepted wish at once, with the refusal as the reason (no retry, no holding)', async () => {
    snsMock.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries?: { Id: string }[] }) => ({
      Successful: [],
      Failed: (input.PublishBatchRequestEntries ?? []).map((entry) => ({
        Id: entry.Id,
        Code: 'InvalidParameter',
        Message: 'Message too long',
        SenderFault: true,
      })),
    }));
    const dir = tempDir();
    messaging = await openMessaging(`sqlite:${dir}`, { maxAttempts: 5 });
    storage = await openStorage(`sqlite:${dir}`);
    const intake = messaging.queue(QUEUES.intake);
    const id = uuidv7();
    const accepted = {
      ...envelope(`${id}.accepted`, {
        id,
        evacueeId: 'EV-00001',
        submittedAt: new Date().toISOString(),
        destination: 'mars',
        message: 'Keep the garden alive 🌱',
      }),
      type: EVENT_TYPES.wishAccepted,
    };
    await intake.send([accepted]);

    const parsed = new SnsTopic(
      'wish.parsed',
      new SNSClient({ region: 'us-east-1' }),
      'arn:aws:sns:us-east-1:123456789012:exodus-wish-parsed',
    );
    const logs = new LogCapture();
    const logger = createLogger('test', 'info', logs);
    const [delivery] = await intake.receive(1, 30_000);
    if (delivery === undefined) throw new Error('the accepted wish was not delivered');
    await processDelivery(delivery, {
      queue: intake,
      handler: createParserHandler({ store: storage.store, parsed, logger }),
      logger,
      retryBaseMs: 10,
      retryMaxMs: 50,
      maxAttempts: 5,
      holding: () => true,
      stopping: new AbortController().signal,
    });

    expect(snsMock.commandCalls(PublishBatchCommand)).toHaveLength(1);
    const letter = await intake.deadLetters.get(accepted.id);
    expect(letter).toMatchObject({ message: accepted, attempts: 1 });
    expect(letter?.lastError).toMatch(
      /^MessageRefusedError: SQS\/SNS: publish to wish\.parsed failed for one entry: InvalidParameter \(Message too long\)$/,
    );
    expect(await intake.stats()).toMatchObject({ ready: 0, inFlight: 0, delayed: 0, dead: 1 });
    expect(logs.lines().find((line) => line['event'] === 'message.dead_lettered')).toMatchObject({
      queue: 'intake',
      code: 'message_refused',
      attempt: 1,
    });
    // Not a rejection: the person's wish broke no rule; an operator redrives it once the cause is fixed.
    expect(await storage.store.get(id)).toBeUndefined();
  });
});
