import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { HAVE_NATS_SERVER, startPrivateNats, type PrivateServer } from '../testkit/index.js';
import type { NatsShutdownScenario } from './scenarios.js';

/**
 * What a NATS server does with publishes it acks while it shuts down: the measurement behind the
 * topic stream's retention (src/engines/nats/topic-trim.ts) and behind restarting NATS in lame-duck
 * mode. Plain nats.js against a private `nats-server` (the installed binary): one stream, two
 * durable pull consumers acking everything, publishers at full speed; the server is stopped mid-flow
 * (SIGTERM, or SIGUSR2 for lame-duck mode) and started again, and the consumers read on. A publish
 * the server acked that neither consumer ever receives is lost.
 */
export interface ShutdownRun {
  readonly retention: 'interest' | 'limits';
  readonly stop: 'SIGTERM' | 'lame duck';
  readonly acked: number;
  /** Acked publishes a consumer never received, once both had nothing left to read (the worse of the two). */
  readonly lost: number;
}

export interface NatsShutdownReport {
  readonly server: string;
  readonly runs: readonly ShutdownRun[];
  readonly unavailable?: string;
}

const STREAM = 'S';
const SUBJECT = 's';
const CONSUMERS = ['a', 'b'] as const;

export async function runNatsShutdown(
  scenario: NatsShutdownScenario,
  log: (line: string) => void,
): Promise<NatsShutdownReport> {
  if (!HAVE_NATS_SERVER) return { server: 'none', runs: [], unavailable: 'no nats-server binary' };
  const runs: ShutdownRun[] = [];
  let server = 'unknown';
  for (const retention of ['interest', 'limits'] as const) {
    for (const stop of ['SIGTERM', 'lame duck'] as const) {
      for (let i = 0; i < scenario.runsEach; i++) {
        const run = await measureOnce(retention, stop, scenario);
        server = run.server;
        runs.push(run.result);
        log(`nats shutdown: ${retention}, ${stop}: ${run.result.lost} of ${run.result.acked} acked publishes lost`);
      }
    }
  }
  return { server, runs };
}

async function measureOnce(
  retention: ShutdownRun['retention'],
  stop: ShutdownRun['stop'],
  scenario: NatsShutdownScenario,
): Promise<{ server: string; result: ShutdownRun }> {
  const nats: PrivateServer = await startPrivateNats();
  let nc: NatsConnection | undefined;
  try {
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100, noAsyncTraces: true });
    const server = nc.info?.version ?? 'unknown';
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: STREAM,
      subjects: [SUBJECT],
      retention: retention === 'interest' ? RetentionPolicy.Interest : RetentionPolicy.Limits,
      storage: StorageType.File,
    });
    // A 2 s ack wait: acks lost in the shutdown come back as redeliveries within the read-on time.
    for (const name of CONSUMERS)
      await jsm.consumers.add(STREAM, { durable_name: name, ack_policy: AckPolicy.Explicit, ack_wait: nanos(2_000) });
    const js = jetstream(nc, { timeout: 2_000 });

    const acked: number[] = [];
    const seen = new Map(CONSUMERS.map((name) => [name, new Set<number>()]));
    let publishing = true;
    let consuming = true;
    const publishers = Array.from({ length: scenario.publishers }, async () => {
      while (publishing) {
        const ack = await js.publish(SUBJECT, randomUUID()).catch(() => undefined);
        if (ack === undefined) await sleep(50);
        else acked.push(ack.seq);
      }
    });
    const consumers = CONSUMERS.map((name) => consume(js, name, seen.get(name) ?? new Set(), () => consuming));

    await sleep(scenario.flowBeforeStopMs);
    await (stop === 'SIGTERM' ? nats.stopWith('SIGTERM') : nats.stop());
    publishing = false;
    await Promise.all(publishers);
    await nats.start();
    // Read on until both consumers have nothing left (or the limit): what they never got by then is gone.
    const deadline = Date.now() + scenario.readAfterRestartMs;
    while (Date.now() < deadline && !(await drained(jsm))) await sleep(200);
    consuming = false;
    await Promise.all(consumers);

    const lost = Math.max(...[...seen.values()].map((got) => acked.filter((seq) => !got.has(seq)).length));
    return { server, result: { retention, stop, acked: acked.length, lost } };
  } finally {
    await nc?.close().catch(() => undefined);
    await nats.destroy();
  }
}

async function drained(jsm: JetStreamManager): Promise<boolean> {
  try {
    const infos = await Promise.all(CONSUMERS.map((name) => jsm.consumers.info(STREAM, name)));
    return infos.every((info) => info.num_pending === 0 && info.num_ack_pending === 0);
  } catch {
    return false;
  }
}

/** Fetches and acks (waiting for the server's confirmation) until told to stop; outages are waited out. */
async function consume(js: JetStreamClient, name: string, got: Set<number>, going: () => boolean): Promise<void> {
  while (going()) {
    try {
      const consumer = await js.consumers.get(STREAM, name);
      for await (const message of await consumer.fetch({ max_messages: 100, expires: 1_000 })) {
        got.add(message.seq); // received, whether or not the ack's answer survives the restart
        await message.ackAck();
      }
    } catch {
      await sleep(50);
    }
  }
}
