import { MetricReader, type DataPoint } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { FastifyInstance } from 'fastify';
import { Writable } from 'node:stream';
import { issuePass } from '../src/domain/index.js';
import { openMessaging, openStorage } from '../src/engines/index.js';
import {
  QUEUES,
  TOPICS,
  type MessagingEngine,
  type Queue,
  type ReadModel,
  type StorageEngine,
  type WishStore,
} from '../src/ports/index.js';
import {
  ConsumeLoop,
  createLogger,
  Secret,
  startTelemetry,
  type FrontDoorConfig,
  type Logger,
} from '../src/runtime/index.js';
import { buildFrontend } from '../src/services/frontend/index.js';
import { createParserHandler } from '../src/services/parser/index.js';
import { createTallyHandler } from '../src/services/tally/index.js';
import { createWorkerHandler } from '../src/services/worker/index.js';
import { tempDir } from './temp-dir.js';

/** Metrics of everything the in-process pipeline did, read on demand (cumulative since the file began). */
class OnDemandReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}
const metricReader = new OnDemandReader();

/** Spans of everything the in-process pipeline did (tracing is global, so one exporter per test file). */
export const spans = new InMemorySpanExporter();
/** The test process's telemetry, as `exodus serve` starts it, with the test's readers beside. */
export const telemetry = startTelemetry('exodus-test', {
  spanProcessors: [new SimpleSpanProcessor(spans)],
  metricReaders: [metricReader],
});

/** The total so far of counter `name` (a histogram: its observations) over the points whose attributes include `attributes`. */
export async function counted(
  name: string,
  attributes: Readonly<Record<string, string | number>> = {},
): Promise<number> {
  const { resourceMetrics } = await metricReader.collect();
  const points: DataPoint<unknown>[] = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric): DataPoint<unknown>[] => metric.dataPoints);
  return points
    .filter((point) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value))
    .reduce(
      (sum, point) =>
        sum + (typeof point.value === 'number' ? point.value : ((point.value as { count?: number }).count ?? 0)),
      0,
    );
}

export const SECRET = new Secret('in-process-test-secret-0123456789');
/** Test passes expire far in the future by default, so one evacuee's pass is the same string all test long. */
export const passFor = (evacueeId: string, expiresAt = new Date(Date.UTC(2099, 0, 1))): string =>
  issuePass(SECRET.reveal(), evacueeId, expiresAt);

/**
 * Front-door defences off: tests that are not about them send bursts from one address, and a busy
 * test machine's event-loop lag must not shed their requests. Tests of the defences turn them on.
 */
export const OPEN_DOOR: FrontDoorConfig = {
  ipFailedWritesPerMinute: 0,
  evacueeWritesPerMinute: 0,
  ipReadsPerMinute: 0,
  shedEventLoopDelayMs: 0,
  shedHeapUsedBytes: 0,
  maxInFlightWrites: 100_000,
  maxRequestsInFlight: 0,
  maxConnections: 0,
  listenBacklog: 511,
  trustProxyHops: 0,
};

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
  /** Where its SQLite engines keep their files (`--data` for the CLI). */
  readonly dataDir: string;
  readonly messaging: MessagingEngine;
  readonly storage: StorageEngine;
  readonly logs: LogCapture;
  startConsumers(): void;
  close(): Promise<void>;
}

export interface PipelineOptions {
  readonly maxAttempts?: number;
  readonly logLevel?: string;
  readonly frontDoor?: Partial<FrontDoorConfig>;
  /** Stands between the frontend and the real intake queue, e.g. to make sends slow. */
  readonly intake?: (real: Queue) => Queue;
  /** Stands between the worker and the real store, e.g. to take it away for a while. */
  readonly workerStore?: (real: WishStore) => WishStore;
  /** Stands between the frontend and the real store (status reads), e.g. to take it away. */
  readonly frontendStore?: (real: WishStore) => WishStore;
  /** Stands between the frontend and the real read model, e.g. to count its queries. */
  readonly readModel?: (real: ReadModel) => ReadModel;
}

export async function buildPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const dir = tempDir();
  const logs = new LogCapture();
  const logger: Logger = createLogger('test', options.logLevel ?? 'debug', logs);
  const messaging = await openMessaging(`sqlite:${dir}`, { maxAttempts: options.maxAttempts ?? 5 });
  const storage = await openStorage(`sqlite:${dir}`);
  const app = await buildFrontend({
    intake: options.intake?.(messaging.queue(QUEUES.intake)) ?? messaging.queue(QUEUES.intake),
    store: options.frontendStore?.(storage.store) ?? storage.store,
    readModel: options.readModel?.(storage.readModel) ?? storage.readModel,
    passSecret: SECRET,
    logger,
    maxBodyBytes: 16_384,
    ready: () => messaging.ping(),
    sendTimeoutMs: 2000,
    frontDoor: { ...OPEN_DOOR, ...options.frontDoor },
    serveMetrics: telemetry.serveMetrics,
  });
  const loopOptions = {
    logger,
    batchSize: 64,
    leaseMs: 2000,
    retryBaseMs: 10,
    retryMaxMs: 50,
    idleWaitMs: 20,
    maxAttempts: options.maxAttempts ?? 5,
  };
  const loops = [
    new ConsumeLoop({
      ...loopOptions,
      queue: messaging.queue(QUEUES.intake),
      handler: createParserHandler({ store: storage.store, parsed: messaging.topic(TOPICS.wishParsed), logger }),
    }),
    new ConsumeLoop({
      ...loopOptions,
      queue: messaging.queue(QUEUES.store),
      handler: createWorkerHandler({ store: options.workerStore?.(storage.store) ?? storage.store, logger }),
    }),
    new ConsumeLoop({
      ...loopOptions,
      queue: messaging.queue(QUEUES.tally),
      handler: createTallyHandler({ readModel: storage.readModel, logger }),
    }),
  ];
  return {
    app,
    dataDir: dir,
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
