import { TransientError } from '../../domain/index.js';
import { SUBSCRIPTIONS, type MessagingEngine, type Queue, type QueueName, type Topic } from '../../ports/index.js';
import type { Engine } from '../engine.js';
import { engineLimits, type EngineOptions } from '../options.js';
import { Connection } from './connection.js';
import { Layout } from './layout.js';
import type { Lease } from './lease.js';
import { NatsQueue } from './queue.js';
import { declare } from './streams.js';
import { TopicTrim } from './topic-trim.js';
import { NatsTopic } from './topic.js';
import { firstServer, parseNatsUrl } from './url.js';

export { parseNatsUrl } from './url.js';

/**
 * The NATS JetStream messaging engine: `nats://host:port[,host:port…][?prefix=NAME&replicas=N]`.
 *
 * Layout (layout.ts; `prefix`, default `exodus`, namespaces all of it so deployments and tests can
 * share a server):
 * - every queue has a WorkQueue stream `<p>-queue-<q>` (subject `<p>.queue.<q>`, file storage) read
 *   by a durable pull consumer `<p>-<q>`; `send` and dead-letter redrive publish there;
 * - a topic is ONE subject `<p>.topic.<t>` in ONE stream `<p>-topic-<t>` (Limits retention, trimmed
 *   below every subscription's ack floor by the readers: topic-trim.ts), read by a durable pull
 *   consumer per subscription (`<p>-store`, `<p>-tally`): fan-out without copying;
 * - so `queue('store')` reads two lanes: the topic's `store` consumer and its own stream. That is how
 *   a message sent to one subscription (a contract case, a redrive) reaches only that one, under
 *   2.9's single `filter_subject` per consumer: a second subject on the topic stream cannot be
 *   filtered in by one consumer and out by the other, and a stream per subscription fed from the
 *   topic (sources) would copy every message and make `publish` resolve before the copies exist.
 * - dead letters: `<p>-dead-<q>` (dead-letters.ts); the retry ledger `<p>-ledger-<q>` (ledger.ts).
 *
 * Guarantees and how:
 * - `send`/`publish` resolve after the stream acked every message (publish.ts). NATS 2.9 writes
 *   JetStream to disk and fsyncs on an interval (`sync_interval: always` exists only from 2.10), so
 *   the promise here is "no loss on a process crash or broker restart", not on power loss. At
 *   `?replicas=3` (a cluster) the ack comes once a majority of the replicas stored the message, so
 *   it also survives losing any one node (kill -9 of the stream's leader included).
 * - dedup: `Nats-Msg-Id` = event id, within the streams' duplicate window (10 min, streams.ts), not
 *   for as long as the queue holds the id as the port says: a resend after the window is new.
 * - leases: client-side on top of the consumer's fixed `ack_wait` (lease.ts), so any `leaseMs`
 *   holds exactly for a live holder; a dead holder's messages return within `HOLD_MS` (5 s).
 * - attempts: JetStream counts deliveries, not failures, so each retry records the failures so far
 *   in the retry ledger (ledger.ts); `attempt` is failures + 1 and the rest of the delivery count is
 *   lapses. Consumers are made with `max_deliver: -1`: the engine applies both bounds (queue.ts).
 * - `holding(ids)`: JetStream has no index by message id, so the lanes' streams are read (the whole
 *   queue stream, a topic stream above the consumer's ack floor), matched by `Nats-Msg-Id`, bounded
 *   (holding.ts). It names no acked message (bar one left in the retry ledger by a failed clear);
 *   on a topic lane, while messages above the floor were acked out of order, it may leave out one in
 *   flight there: the server counts the unacked ones but does not list them.
 * - transient failures are `TransientError`s with stable codes (errors.ts); the client reconnects
 *   forever, so a broker restart heals.
 */
export async function openNatsMessaging(url: string, options: EngineOptions): Promise<MessagingEngine> {
  const { servers, prefix, replicas } = parseNatsUrl(url);
  const conn = await Connection.open(servers);
  const layout = new Layout(prefix);
  try {
    await declare(conn.jsm, layout, replicas);
  } catch (error) {
    await conn.close();
    throw error;
  }
  const live = new Set<Lease>();
  const queues = new Map<QueueName, Queue>();
  // A process that reads a topic keeps it trimmed; a process that only sends has nothing to do there.
  const trims = Object.entries(SUBSCRIPTIONS).map(([topic, subscribers]) => ({
    subscribers,
    trim: new TopicTrim(
      conn,
      layout.topicStream(topic),
      subscribers.map((q) => layout.consumer(q)),
    ),
  }));
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new TransientError('engine_closed', 'the queue engine is closed');
  };
  const queue = (name: QueueName): Queue => {
    assertOpen();
    let found = queues.get(name);
    if (found === undefined)
      queues.set(name, (found = new NatsQueue(name, conn, layout, engineLimits(options), live, replicas)));
    for (const { subscribers, trim } of trims) if (subscribers.includes(name)) trim.start();
    return found;
  };
  return {
    queue,
    topic: (name: string): Topic => {
      assertOpen();
      return new NatsTopic(name, conn, layout, (SUBSCRIPTIONS[name] ?? []).length > 0);
    },
    // One JetStream API round trip: the server is reachable and JetStream answers (the intake can take sends).
    ping: async () => {
      assertOpen();
      // While reconnecting a request would wait out its timeout; readiness wants the answer now.
      if (!conn.connected) throw new TransientError('nats_disconnected', 'NATS: ping failed: not connected');
      // Counted like every request: a server that stopped serving JetStream is left (connection.ts).
      await conn.call('ping', () => conn.jsm.getAccountInfo());
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all(trims.map(({ trim }) => trim.stop()));
      // Unsettled leases go back now, not when the server's hold lapses.
      await Promise.all([...live].map((lease) => lease.abandon()));
      await conn.close();
    },
  };
}

/** Deletes every stream under the URL's prefix: for tests, benchmarks and demos, never production data. */
export async function deleteNatsNamespace(url: string): Promise<string[]> {
  const { servers, prefix } = parseNatsUrl(url);
  const conn = await Connection.open(servers);
  try {
    const doomed: string[] = [];
    for await (const name of conn.jsm.streams.names()) if (name.startsWith(`${prefix}-`)) doomed.push(name);
    await Promise.all(doomed.map((name) => conn.jsm.streams.delete(name)));
    return doomed;
  } finally {
    await conn.close();
  }
}

export const engine: Engine = {
  openMessaging: openNatsMessaging,
  destroyNamespace: async (url) => {
    await deleteNatsNamespace(url);
  },
  chaos: { broker: (url) => firstServer(parseNatsUrl(url)) },
};
