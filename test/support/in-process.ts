import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { openMessaging, openStorage } from '../../src/engines/index.js';
import { issuePass } from '../../src/domain/index.js';
import { QUEUES, TOPICS, type MessagingEngine, type StorageEngine } from '../../src/ports/index.js';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ConsumeLoop, createLogger, Secret, startTelemetry, type Logger } from '../../src/runtime/index.js';
import { buildFrontend } from '../../src/services/frontend/index.js';
import { createParserHandler } from '../../src/services/parser/index.js';
import { createTallyHandler } from '../../src/services/tally/index.js';
import { createWorkerHandler } from '../../src/services/worker/index.js';
import { tempDir } from './system.js';

/** Spans of everything the in-process pipeline did (tracing is global, so one exporter per test file). */
export const spans = new InMemorySpanExporter();
startTelemetry('exodus-test', [new SimpleSpanProcessor(spans)]);

export const SECRET = new Secret('in-process-test-secret-0123456789');
export const passFor = (evacueeId: string): string => issuePass(SECRET.reveal(), evacueeId);

/** Every log line a test's services wrote, parsed. */
export class LogCapture extends Writable {
  readonly raw: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.raw.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  }
  lines(): Record<string, unknown>[] {
    return this.raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

/**
 * The whole pipeline in one process on real SQLite engines: the frontend (Fastify, used through
 * `inject`) and the three consumers, each wired exactly as `exodus serve` wires it.
 */
export interface Pipeline {
  readonly app: FastifyInstance;
  readonly messaging: MessagingEngine;
  readonly storage: StorageEngine;
  readonly logs: LogCapture;
  startConsumers(): void;
  close(): Promise<void>;
}

export async function buildPipeline(options: { maxAttempts?: number; logLevel?: string } = {}): Promise<Pipeline> {
  const dir = tempDir();
  const logs = new LogCapture();
  const logger: Logger = createLogger('test', options.logLevel ?? 'debug', logs);
  const messaging = openMessaging(`sqlite:${dir}`, { maxAttempts: options.maxAttempts ?? 5 });
  const storage = openStorage(`sqlite:${dir}`);
  const app = await buildFrontend({
    intake: messaging.queue(QUEUES.intake),
    store: storage.store,
    readModel: storage.readModel,
    passSecret: SECRET,
    logger,
    maxBodyBytes: 16_384,
    ready: () => messaging.ping(),
    sendTimeoutMs: 2000,
  });
  const loopOptions = { logger, batchSize: 64, leaseMs: 2000, retryBaseMs: 10, retryMaxMs: 50, idleMaxMs: 20 };
  const loops = [
    new ConsumeLoop({ ...loopOptions, queue: messaging.queue(QUEUES.intake), handler: createParserHandler({ store: storage.store, parsed: messaging.topic(TOPICS.wishParsed), logger }) }),
    new ConsumeLoop({ ...loopOptions, queue: messaging.queue(QUEUES.store), handler: createWorkerHandler({ store: storage.store, logger }) }),
    new ConsumeLoop({ ...loopOptions, queue: messaging.queue(QUEUES.tally), handler: createTallyHandler({ readModel: storage.readModel, logger }) }),
  ];
  return {
    app,
    messaging,
    storage,
    logs,
    startConsumers: () => loops.forEach((loop) => loop.start()),
    close: async () => {
      await Promise.all(loops.map((loop) => loop.stop()));
      await app.close();
      await messaging.close().catch(() => undefined);
      await storage.close();
    },
  };
}
