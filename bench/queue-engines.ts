import { destroyNamespace, openMessaging } from '../src/engines/index.js';
import { EVENT_TYPES, QUEUES, type Envelope } from '../src/ports/index.js';
import { connectionOf, loadBullMq } from './bullmq.js';
import { removeTempDir, tempDir } from './processes.js';
import type { QueueEnginesScenario } from './scenarios.js';

/**
 * The queue engines head to head: messages/s for send → receive → ack, the producer and the
 * consumers running at once in this process, on each of our engines and on BullMQ (Redis) — the
 * Node ecosystem's de facto job queue, the baseline measured in the same run. Same message (a real
 * accepted-wish envelope), same batch of sends, same number of messages in flight per consumer.
 */
export interface QueueEngineRun {
  readonly engine: string;
  /** What the engine promises when a send resolves: the ratio is only fair read with this. */
  readonly durability: string;
  readonly messages: number;
  readonly seconds: number;
  readonly perSec: number;
  /** perSec ÷ BullMQ's perSec in this run. */
  readonly ratioToBullmq: number | undefined;
}

export interface QueueEnginesReport {
  readonly messageBytes: number;
  readonly runs: readonly QueueEngineRun[];
  /** Engines that could not run here, with the reason. */
  readonly unavailable: readonly string[];
}

interface Contender {
  readonly name: string;
  readonly durability: string;
  /** Sends `count` messages in batches while consumers ack them; resolves when every one is acked. */
  run(scenario: QueueEnginesScenario, message: Envelope): Promise<void>;
}

export async function runQueueEngines(
  scenario: QueueEnginesScenario,
  log: (line: string) => void,
): Promise<QueueEnginesReport> {
  const message = sampleMessage();
  const sqliteDir = tempDir('exodus-bench-queue-');
  const contenders: Contender[] = [
    bullmq(scenario.redisUrl),
    ourEngine('sqlite', 'fsynced (synchronous=FULL)', `sqlite:${sqliteDir}`),
    ourEngine(
      'nats',
      'acked by the broker, in its file store (flushed on an interval by NATS 2.9)',
      `${scenario.natsUrl}?prefix=bench-${Date.now().toString(36)}`,
    ),
  ];
  const measured: { name: string; durability: string; seconds: number }[] = [];
  const unavailable: string[] = [];
  for (const contender of contenders) {
    log(`queue engines: ${contender.name}, ${scenario.messages} messages of ${JSON.stringify(message).length} bytes`);
    const startedAt = performance.now();
    try {
      await contender.run(scenario, message);
    } catch (error) {
      unavailable.push(`${contender.name}: ${error instanceof Error ? error.message : String(error)}`);
      log(`queue engines: ${contender.name} could not run: ${unavailable.at(-1) ?? ''}`);
      continue;
    }
    const seconds = (performance.now() - startedAt) / 1000;
    measured.push({ name: contender.name, durability: contender.durability, seconds });
    log(`queue engines: ${contender.name} ${Math.round(scenario.messages / seconds)} msg/s`);
  }
  removeTempDir(sqliteDir); // destroyNamespace empties the queue, not its directory
  const baseline = measured.find((m) => m.name === 'bullmq');
  const baselinePerSec = baseline === undefined ? undefined : scenario.messages / baseline.seconds;
  return {
    messageBytes: JSON.stringify(message).length,
    unavailable,
    runs: measured.map((m) => {
      const perSec = scenario.messages / m.seconds;
      return {
        engine: m.name,
        durability: m.durability,
        messages: scenario.messages,
        seconds: Math.round(m.seconds * 100) / 100,
        perSec: Math.round(perSec),
        ratioToBullmq: baselinePerSec === undefined ? undefined : Math.round((perSec / baselinePerSec) * 100) / 100,
      };
    }),
  };
}

/** One of our engines through the Queue port: batched sends, `consumers` loops of receive → ack. */
function ourEngine(name: string, durability: string, url: string): Contender {
  return {
    name,
    durability,
    run: async (scenario, message) => {
      const messaging = await openMessaging(url, { maxAttempts: 5 });
      try {
        const queue = messaging.queue(QUEUES.intake);
        let acked = 0;
        const consume = async (): Promise<void> => {
          while (acked < scenario.messages) {
            const deliveries = await queue.receive(scenario.batch, 30_000);
            if (deliveries.length === 0) {
              await new Promise((done) => setTimeout(done, 2));
              continue;
            }
            await Promise.all(deliveries.map((d) => d.ack()));
            acked += deliveries.length;
          }
        };
        const produce = async (): Promise<void> => {
          for (let sent = 0; sent < scenario.messages; sent += scenario.batch) {
            const count = Math.min(scenario.batch, scenario.messages - sent);
            await queue.send(
              Array.from({ length: count }, (_, i) => ({ ...message, id: `${message.id}-${sent + i}` })),
            );
          }
        };
        await Promise.all([produce(), ...Array.from({ length: scenario.consumers }, consume)]);
      } finally {
        await messaging.close();
        await destroyNamespace(url);
      }
    },
  };
}

/**
 * BullMQ: `addBulk` in the same batches; one Worker whose concurrency equals our consumers × batch,
 * so the same number of messages can be in flight. Completed jobs are removed, as acked messages are.
 */
function bullmq(redisUrl: string): Contender {
  return {
    name: 'bullmq',
    durability: 'in Redis memory (persistence as Redis is configured)',
    run: async (scenario, message) => {
      const { Queue, Worker } = loadBullMq();
      const connection = connectionOf(redisUrl);
      const name = `exodus-bench-${Date.now().toString(36)}`;
      const queue = new Queue(name, { connection });
      let done = 0;
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const worker = new Worker(
        name,
        async () => {
          if (++done === scenario.messages) finish();
        },
        {
          connection,
          concurrency: scenario.consumers * scenario.batch,
          removeOnComplete: { count: 0 },
          removeOnFail: { count: 0 },
        },
      );
      try {
        await queue.waitUntilReady();
        for (let sent = 0; sent < scenario.messages; sent += scenario.batch) {
          const count = Math.min(scenario.batch, scenario.messages - sent);
          await queue.addBulk(
            Array.from({ length: count }, (_, i) => ({
              name: 'wish',
              data: { ...message, id: `${message.id}-${sent + i}` },
            })),
          );
        }
        await finished;
      } finally {
        await worker.close();
        await queue.obliterate({ force: true });
        await queue.close();
      }
    },
  };
}

/** An `exodus.wish.accepted` envelope like the frontend sends (~600 bytes). */
function sampleMessage(): Envelope {
  return {
    specversion: '1.0',
    id: '01934f2e-7c1a-7d3e-9b1f-5a6c7d8e9f00',
    source: '/exodus/frontend',
    type: EVENT_TYPES.wishAccepted,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    data: {
      id: '01934f2e-7c1a-7d3e-9b1f-5a6c7d8e9f00',
      evacueeId: 'EV-04242',
      submittedAt: new Date().toISOString(),
      destination: 'europa',
      to: 'Everyone at the old harbour',
      message:
        'Keep the lighthouse lit for as long as the batteries last, and tell the children that the sea was once full of fish. We will look for your light from orbit on the first clear night.',
    },
  };
}
