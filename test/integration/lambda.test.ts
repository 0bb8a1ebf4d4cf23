import {
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bundleLambdas } from '../../deploy/aws/lambda-bundles.js';
import { arrivalDate, contentHash } from '../../src/domain/index.js';
import { openMessaging, openStorage } from '../../src/engines/index.js';
import { sqsConsumer, type SqsLambdaHandler } from '../../src/lambda/consumer.js';
import { FaultProxy } from '../../src/ops/chaos/index.js';
import { EVENT_TYPES, QUEUES, type Envelope, type MessagingEngine, type StorageEngine } from '../../src/ports/index.js';
import { fauxqsEndpoint, invokeOnQueue, stopFauxqs } from '../../testkit/aws/index.js';
import { skipUnless, tempDir } from '../../testkit/index.js';
import { DYNAMODB_UNAVAILABLE, testDynamoUrl } from '../contract/dynamodb-fixture.js';
import { envelope } from '../contract/fixtures.js';

// The three Lambda functions, invoked with real SQS event shapes (received from fauxqs) on the AWS
// engines (fauxqs for SQS + SNS, DynamoDB Local for the table), as the event source mapping would.
const skip = skipUnless(DYNAMODB_UNAVAILABLE === undefined, `Lambda handlers: ${DYNAMODB_UNAVAILABLE ?? ''}`);

describe.skipIf(skip)('Lambda handlers on SQS events', () => {
  const prefix = `lambda-${uuidv7().slice(-8)}`;
  let sqs: SQSClient;
  let messaging: MessagingEngine;
  let storage: StorageEngine;
  let handlers: Record<'parser' | 'worker' | 'tally', SqsLambdaHandler>;
  const name = (queue: string): string => `${prefix}-${queue}`;

  beforeAll(async () => {
    const endpoint = await fauxqsEndpoint();
    const queueUrl = `sqs://us-east-1/${prefix}?endpoint=${endpoint}`;
    const storeUrl = await testDynamoUrl();
    Object.assign(process.env, {
      EXODUS_QUEUE: queueUrl,
      EXODUS_STORE: storeUrl,
      EXODUS_MAX_ATTEMPTS: '3',
      EXODUS_RETRY_MAX_MS: '500',
      EXODUS_LOG_LEVEL: 'silent',
    });
    // Powertools' metrics (EMF) to the global console, where a test can read them, and not disabled there.
    Object.assign(process.env, { POWERTOOLS_DEV: 'true', POWERTOOLS_METRICS_DISABLED: 'false' });
    messaging = await openMessaging(queueUrl, { maxAttempts: 3 });
    storage = await openStorage(storeUrl);
    sqs = new SQSClient({
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    handlers = {
      parser: (await import('../../src/lambda/parser.js')).handler,
      worker: (await import('../../src/lambda/worker.js')).handler,
      tally: (await import('../../src/lambda/tally.js')).handler,
    };
  }, 90_000);

  afterAll(async () => {
    await messaging?.close();
    await storage?.close();
    sqs?.destroy();
    await stopFauxqs();
  });

  const accepted = (evacueeId: string, message = `a wish of ${evacueeId}`): ReturnType<typeof envelope> => {
    const id = uuidv7();
    return {
      ...envelope(`${id}.accepted`, {
        id,
        evacueeId,
        submittedAt: new Date().toISOString(),
        destination: 'mars',
        message,
      }),
      type: EVENT_TYPES.wishAccepted,
    };
  };

  it('parser → SNS → worker and tally: every wish stored and counted, every record deleted', async () => {
    const wishes = ['EV-00001', 'EV-00002', 'EV-00003'].map((evacuee) => accepted(evacuee));
    await messaging.queue(QUEUES.intake).send(wishes);
    const parsed = await invokeOnQueue(sqs, name('intake'), handlers.parser);
    expect(parsed.records).toHaveLength(3);
    expect(parsed.response.batchItemFailures).toEqual([]);
    expect((await invokeOnQueue(sqs, name('store'), handlers.worker)).response.batchItemFailures).toEqual([]);
    expect((await invokeOnQueue(sqs, name('tally'), handlers.tally)).response.batchItemFailures).toEqual([]);
    for (const wish of wishes)
      expect((await storage.store.get((wish.data as { id: string }).id))?.status).toBe('stored');
    expect(await storage.readModel.tally()).toEqual({ mars: 3, europa: 0 });
    expect(await messaging.queue(QUEUES.intake).stats()).toMatchObject({ ready: 0, inFlight: 0, dead: 0 });
  });

  it('poison: an unreadable body and a wrong event are dead-lettered with their reasons, the good wish goes on, nothing is reported failed', async () => {
    const { QueueUrl: intakeUrl = '' } = await sqs.send(new GetQueueUrlCommand({ QueueName: name('intake') }));
    await sqs.send(new SendMessageCommand({ QueueUrl: intakeUrl, MessageBody: 'not an envelope' }));
    const good = accepted('EV-00004');
    await messaging
      .queue(QUEUES.intake)
      .send([good, { ...accepted('EV-00005'), id: 'wrong-type', type: EVENT_TYPES.wishParsed }]);
    const printed = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const { records, response } = await invokeOnQueue(sqs, name('intake'), handlers.parser);
    const emf = printed.mock.calls.map(([line]) => String(line)).filter((line) => line.includes('"_aws"'));
    printed.mockRestore();
    expect(records).toHaveLength(3);
    expect(response.batchItemFailures).toEqual([]);
    // How they ended, as CloudWatch metrics in the log.
    expect(emf.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({
        service: 'exodus-parser',
        MessagesHandled: 1,
        MessagesDeadLettered: 2,
        MessagesRetried: 0,
        MessagesReportedFailed: 0,
      }),
    ]);
    const letters = await messaging.queue(QUEUES.intake).deadLetters.list(10);
    expect(letters.map((letter) => letter.lastError).sort()).toEqual([
      expect.stringMatching(/^PermanentError: expected a exodus\.wish\.accepted CloudEvent/),
      'unreadable: not a JSON envelope with an id',
    ]);
    expect(await messaging.queue(QUEUES.store).stats()).toMatchObject({ ready: 1 });
    await invokeOnQueue(sqs, name('store'), handlers.worker);
    expect((await storage.store.get((good.data as { id: string }).id))?.status).toBe('stored');
  });

  it('the deployable bundle (npm run aws:bundle) loads on its own and handles an event', async () => {
    const outdir = tempDir('exodus-lambda-bundle-');
    await bundleLambdas(outdir);
    // Out of the repository's tree, so nothing resolves from its node_modules: what Lambda gets.
    const bundled = (await import(pathToFileURL(join(outdir, 'parser', 'index.mjs')).href)) as {
      handler: SqsLambdaHandler;
    };
    const wish = accepted('EV-00008');
    await messaging.queue(QUEUES.intake).send([wish]);
    expect((await invokeOnQueue(sqs, name('intake'), bundled.handler)).response.batchItemFailures).toEqual([]);
    expect(await messaging.queue(QUEUES.store).stats()).toMatchObject({ ready: 1 });
    await invokeOnQueue(sqs, name('store'), handlers.worker);
    await invokeOnQueue(sqs, name('tally'), handlers.tally);
    expect((await storage.store.get((wish.data as { id: string }).id))?.status).toBe('stored');
  }, 60_000);

  it('a store outage: held while the invocation has time, then retried as a copy (attempt 2), not reported failed; stored once the store is back', async () => {
    const storeUrl = process.env['EXODUS_STORE'] ?? '';
    const dynamo = new URL(new URL(storeUrl).searchParams.get('endpoint') ?? '');
    const proxy = new FaultProxy({ host: dynamo.hostname, port: Number(dynamo.port) });
    const through = await proxy.listen({ host: '127.0.0.1', port: 0 });
    // A worker function of its own, whose table is reached through the proxy.
    process.env['EXODUS_STORE'] = storeUrl.replace(dynamo.host, `127.0.0.1:${through.port}`);
    const worker = sqsConsumer('worker');
    try {
      const parsed = (evacueeId: string): Envelope => {
        const id = uuidv7();
        const at = new Date().toISOString();
        const data = {
          id,
          evacueeId,
          submittedAt: at,
          destination: 'mars' as const,
          message: 'ok',
          arrivalDate: arrivalDate(at, 'mars'),
          contentHash: contentHash({ destination: 'mars', message: 'ok' }),
          markupFlagged: false,
        };
        return { ...envelope(`${id}.parsed`, data), type: EVENT_TYPES.wishParsed };
      };
      const before = parsed('EV-00009');
      await messaging.queue(QUEUES.store).send([before]);
      await invokeOnQueue(sqs, name('store'), worker);
      expect((await storage.store.get((before.data as { id: string }).id))?.status).toBe('stored');

      proxy.set({ kind: 'reset' });
      const during = parsed('EV-00010');
      await messaging.queue(QUEUES.store).send([during]);
      const started = Date.now();
      const { response } = await invokeOnQueue(sqs, name('store'), worker, { timeoutMs: 7_000 });
      expect(response.batchItemFailures).toEqual([]);
      // It held the message (retrying in place) until the invocation's time was nearly up.
      expect(Date.now() - started).toBeGreaterThan(2_000);
      proxy.set(undefined);

      let again: Awaited<ReturnType<typeof invokeOnQueue>> | undefined;
      for (let tries = 0; tries < 10 && (again?.records.length ?? 0) === 0; tries++)
        again = await invokeOnQueue(sqs, name('store'), worker);
      expect(
        again?.records.map((record) => ({
          id: (JSON.parse(record.body) as Envelope).id,
          attempt: record.messageAttributes['exodus-attempt']?.stringValue,
        })),
      ).toEqual([{ id: during.id, attempt: '2' }]);
      expect((await storage.store.get((during.data as { id: string }).id))?.status).toBe('stored');
    } finally {
      process.env['EXODUS_STORE'] = storeUrl;
      await proxy.close();
    }
  }, 60_000);

  it('a failing record is reported alone (partial batch response) and comes back; its batch-mates are done', async () => {
    const id = uuidv7();
    const at = new Date().toISOString();
    const poison = {
      ...envelope(`${id}.parsed`, { id, evacueeId: 'EV-00007', submittedAt: at, destination: 'pluto', message: 'x' }),
      type: EVENT_TYPES.wishParsed,
    };
    const fine = uuidv7();
    const parsed = {
      id: fine,
      evacueeId: 'EV-00006',
      submittedAt: at,
      destination: 'mars' as const,
      message: 'ok',
      arrivalDate: arrivalDate(at, 'mars'),
      contentHash: contentHash({ destination: 'mars', message: 'ok' }),
      markupFlagged: false,
    };
    await messaging
      .queue(QUEUES.store)
      .send([poison, { ...envelope(`${fine}.parsed`, parsed), type: EVENT_TYPES.wishParsed }]);
    // The poison can be dead-lettered only while its DLQ exists: without it, its settle fails.
    const { QueueUrl: deadUrl = '' } = await sqs.send(new GetQueueUrlCommand({ QueueName: name('store-dlq') }));
    await sqs.send(new DeleteQueueCommand({ QueueUrl: deadUrl }));
    const { records, response } = await invokeOnQueue(sqs, name('store'), handlers.worker);
    const poisonRecord = records.find((record) => record.body.includes('pluto'));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: poisonRecord?.messageId }]);
    expect((await storage.store.get(fine))?.status).toBe('stored');
    // Still in the queue (in flight until its visibility ends): not lost.
    const { QueueUrl: storeUrl = '' } = await sqs.send(new GetQueueUrlCommand({ QueueName: name('store') }));
    const { Attributes: counts = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: storeUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(counts).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '1' });
  });
});
