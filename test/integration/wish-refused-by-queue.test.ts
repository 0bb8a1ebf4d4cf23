import { GetQueueUrlCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openStorage } from '../../src/engines/index.js';
import { QUEUES, type MessagingEngine, type Queue, type StorageEngine } from '../../src/ports/index.js';
import { createLogger } from '../../src/runtime/index.js';
import { buildFrontend } from '../../src/services/frontend/index.js';
import { fauxqsEndpoint, stopFauxqs } from '../../testkit/aws/index.js';
import { counted, LogCapture, OPEN_DOOR, passFor, SECRET } from '../../testkit/in-process.js';
import { tempDir, waitFor } from '../../testkit/index.js';
import { ownedMessaging } from '../contract/owned.js';

/**
 * A wish with an emoji used to be answered 503 "intake unavailable" on sqs:// (fauxqs refused every
 * astral character), forever, and logged as an outage. Now every text the door accepts is queued
 * exactly, and a wish the intake queue does refuse for what it holds is that one request's problem,
 * never an outage.
 *
 * The refusal is real: the SQS engine on fauxqs, whose intake queue takes at most 1 KiB
 * (`MaximumMessageSize`, which AWS lets a deployment lower the same way), so a long wish is refused
 * by the emulator itself (a `Failed[]` entry, `InvalidParameterValue`, sender's fault) and goes the
 * whole way a refusal goes: the engine's batch, its classification, the isolation of one caller in
 * a turn, the door's answer, its count and its log. No switch in the product turns escaping off for
 * a test; AWS's own code for characters (`InvalidMessageContents`) is pinned by the client-mock test
 * in test/unit/engines/sqs-failures.test.ts, since no character reaches fauxqs unescaped any more.
 */
describe("the front door on sqs://: every text the door accepts is queued; one the queue refuses is that request's problem alone", () => {
  let messaging: MessagingEngine | undefined;
  let storage: StorageEngine | undefined;
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    await messaging?.close();
    await storage?.close();
    [app, messaging, storage] = [undefined, undefined, undefined];
  });
  afterAll(stopFauxqs);

  const post = (door: FastifyInstance, evacueeId: string, message: string) =>
    door.inject({
      method: 'POST',
      url: '/api/wishes',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${passFor(evacueeId)}` },
      payload: JSON.stringify({ destination: 'europa', message }),
    });

  /** The front door on the SQS engine (fauxqs) with its intake queue's `MaximumMessageSize`, if given. */
  const openDoor = async (
    maxMessageBytes?: number,
  ): Promise<{ door: FastifyInstance; logs: LogCapture; intake: Queue }> => {
    const endpoint = await fauxqsEndpoint();
    const name = `refuse-${randomBytes(4).toString('hex')}`;
    const engine = await ownedMessaging(`sqs://us-east-1/${name}?endpoint=${endpoint}`, { maxAttempts: 3 });
    messaging = engine;
    storage = await openStorage(`sqlite:${tempDir()}`);
    if (maxMessageBytes !== undefined) {
      const sqs = new SQSClient({
        region: 'us-east-1',
        endpoint,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      try {
        const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: `${name}-${QUEUES.intake}` }));
        await sqs.send(
          new SetQueueAttributesCommand({ QueueUrl, Attributes: { MaximumMessageSize: String(maxMessageBytes) } }),
        );
      } finally {
        sqs.destroy();
      }
    }
    const logs = new LogCapture();
    const intake = engine.queue(QUEUES.intake);
    app = await buildFrontend({
      intake,
      store: storage.store,
      readModel: storage.readModel,
      passSecret: SECRET,
      logger: createLogger('test', 'info', logs),
      maxBodyBytes: 16_384,
      ready: () => engine.ping(),
      frontDoor: OPEN_DOOR,
    });
    return { door: app, logs, intake };
  };

  it('on sqs://, a wish of emoji, noncharacters and separators is accepted and queued exactly (it was refused as "intake unavailable")', async () => {
    const { door, intake } = await openDoor();
    const message = 'Water the 🌹 every Sunday \uFFFE\uFFFF \u2028 👩\u200D👩\u200D👧 \u2067שלום\u2069 \u{10FFFF}';
    const answer = await post(door, 'EV-00001', message);
    expect(answer.statusCode).toBe(202);
    const [delivery] = await intake.receive(1, 30_000);
    expect(delivery?.message.data).toMatchObject({ evacueeId: 'EV-00001', message });
  });

  it('is answered 500 of its own type without Retry-After, counted and logged once a second, and the door stays open', async () => {
    const { door, logs, intake } = await openDoor(1024);
    const metric = [
      'exodus.http.server.refused_requests',
      { 'exodus.refusal.reason': 'wish-refused-by-queue', 'http.response.status_code': 500 },
    ] as const;
    const before = await counted(...metric);
    const tooLong = 'Remember the garden. '.repeat(90);

    const refused = await post(door, 'EV-00001', tooLong);
    expect(refused.statusCode).toBe(500);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.headers['retry-after']).toBeUndefined();
    expect(refused.json()).toMatchObject({
      type: '/problems/wish-refused-by-queue',
      title: 'Wish refused by the queue',
      status: 500,
      instance: '/api/wishes',
    });
    const api = (await door.inject('/api/openapi.json')).json<{
      paths: Record<string, { post?: { responses: Record<string, unknown> } }>;
    }>();
    expect(Object.keys(api.paths['/api/wishes']?.post?.responses ?? {})).toContain('500');

    // The next wish goes through; so does one sent in the same turn as another refused one.
    const next = await post(door, 'EV-00002', 'Keep the garden alive');
    expect(next.statusCode).toBe(202);
    const together = await Promise.all([post(door, 'EV-00003', tooLong), post(door, 'EV-00004', 'Water the roses')]);
    expect(together.map((answer) => answer.statusCode)).toEqual([500, 202]);
    const queued = await intake.receive(10, 30_000);
    expect(queued.map((delivery) => (delivery.message.data as { evacueeId: string }).evacueeId).sort()).toEqual([
      'EV-00002',
      'EV-00004',
    ]);

    // Not an outage: the door is ready, sheds nothing, and the refusals are one counted line, no stacks.
    expect((await door.inject('/readyz')).statusCode).toBe(200);
    expect((await counted(...metric)) - before).toBe(2);
    const refusalLines = () => logs.lines().filter((line) => line['msg'] === 'requests refused');
    await waitFor(
      async () => refusalLines().reduce((n, line) => n + Number(line['count']), 0) === 2,
      5_000,
      'the refusals were never logged',
    );
    expect(refusalLines()[0]).toMatchObject({
      level: 50,
      status: 500,
      reason: 'wish-refused-by-queue',
      cause: expect.stringMatching(/send to intake failed for one entry: InvalidParameterValue/) as unknown,
    });
    expect(
      logs.lines().filter((line) => line['event'] === 'load_shedding.on' || line['msg'] === 'request failed'),
    ).toEqual([]);
    expect(logs.raw.join('\n')).not.toMatch(/\bat .+:\d+:\d+/);
    expect((await post(door, 'EV-00005', 'Still open')).statusCode).toBe(202);
  }, 60_000);
});
