import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { PermanentError, TransientError } from '../../domain/index.js';
import { QUEUES, SUBSCRIPTIONS } from '../../ports/index.js';
import { guarded } from './errors.js';
import type { Layout } from './layout.js';

/**
 * How long the server keeps a delivered message from others without hearing from its holder: the
 * consumers' `ack_wait`. It bounds recovery after a holder dies (kill -9: its messages come back at
 * most this long after its last sign of life); live holders keep shorter or longer leases on top of
 * it client-side (see lease.ts). 5 s matches the default lease.
 */
export const HOLD_MS = 5_000;

/**
 * Dedup window for `Nats-Msg-Id` (the envelope id). Long enough for the resends that happen: a
 * client retrying a 503, a producer redoing a batch after its lease expired; bounded because the
 * server keeps every id of the window in memory. An id sent again after it is a new message.
 */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;

/** Ledger records older than this are dropped: a stale one only skews `stats()`, never delivery. */
const LEDGER_MAX_AGE_MS = 7 * 24 * 3_600_000;

/**
 * Deliveries a consumer may have unsettled (leased, waiting for a retry delay) before the server
 * stops handing out more; a bound on server memory, far above what the consume loops hold.
 */
const MAX_ACK_PENDING = 20_000;

/**
 * Creates every stream and durable consumer the layout names, or brings them to this configuration
 * (create-or-update), so opening the engine is idempotent and several processes may race to do it.
 * Every stream gets `replicas` copies (the URL's `?replicas=`); a stream that exists with another
 * count is scaled to it, which JetStream does in place on a cluster, keeping its messages.
 */
export async function declare(jsm: JetStreamManager, layout: Layout, replicas: number): Promise<void> {
  const queues = Object.values(QUEUES);
  const file = { storage: StorageType.File, num_replicas: replicas } as const;
  const streams: StreamSpec[] = [];
  for (const queue of queues) {
    streams.push(
      {
        name: layout.queueStream(queue),
        subjects: [layout.queueSubject(queue)],
        retention: RetentionPolicy.Workqueue,
        duplicate_window: nanos(DUPLICATE_WINDOW_MS),
        ...file,
      },
      {
        name: layout.deadStream(queue),
        subjects: [layout.deadSubjects(queue)],
        retention: RetentionPolicy.Limits,
        max_msgs_per_subject: 1,
        ...file,
      },
      {
        name: layout.ledgerStream(queue),
        subjects: [layout.ledgerSubjects(queue)],
        retention: RetentionPolicy.Limits,
        max_msgs_per_subject: 1,
        max_age: nanos(LEDGER_MAX_AGE_MS),
        ...file,
      },
    );
  }
  // Limits, trimmed by the client once every subscription has acked (topic-trim.ts says why not Interest).
  for (const topic of Object.keys(SUBSCRIPTIONS)) {
    streams.push({
      name: layout.topicStream(topic),
      subjects: [layout.topicSubject(topic)],
      retention: RetentionPolicy.Limits,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      ...file,
    });
  }
  await Promise.all(streams.map((spec) => ensureStream(jsm, spec)));
  // Consumers after their streams, and before anything is published: each reads from the stream's start.
  // No `num_replicas` on them: 0 inherits the stream's, and 2.9 moves a durable with its stream when
  // the stream is scaled (checked on a 3-node cluster: 1 → 3 → 2), so the two never disagree.
  await Promise.all(
    queues
      .flatMap((queue) => layout.lanes(queue))
      .map((lane) =>
        ensureConsumer(jsm, lane.stream, {
          durable_name: lane.consumer,
          filter_subject: lane.subject,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: nanos(HOLD_MS),
          // The engine counts attempts and dead-letters itself: JetStream's MaxDeliver only stops
          // delivering, it moves the message nowhere.
          max_deliver: -1,
          max_ack_pending: MAX_ACK_PENDING,
        }),
      ),
  );
}

type StreamSpec = Partial<StreamConfig> & Pick<StreamConfig, 'name' | 'subjects'>;

/**
 * How long declaring one stream or consumer may keep asking. On a cluster the server answers a
 * create only once the new replica group has elected a leader, which on a busy machine can outlast
 * one request's timeout; asking again is safe (a create of what exists as asked is a no-op).
 */
const DECLARE_DEADLINE_MS = 30_000;

/** Runs an idempotent declaration again while it times out or finds no responder, up to `DECLARE_DEADLINE_MS`. */
async function patiently(declaring: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + DECLARE_DEADLINE_MS;
  for (;;) {
    try {
      await declaring();
      return;
    } catch (error) {
      const unanswered =
        error instanceof TransientError && (error.code === 'nats_timeout' || error.code === 'nats_no_responders');
      // A stream another process declared a moment ago may not be known yet to the server this one
      // asks (found by the lab: two processes starting at once, one died on "stream not found").
      const notYetSeen = error instanceof TransientError && error.code === `nats_api_${STREAM_NOT_FOUND}`;
      if (!(unanswered || notYetSeen) || Date.now() > deadline) throw error;
      await new Promise((done) => setTimeout(done, 250));
    }
  }
}

/** JetStream's "stream not found". */
const STREAM_NOT_FOUND = 10059;
/** JetStream's "replicas > 1 not supported in non-clustered mode". */
const NOT_CLUSTERED = 10074;
/** JetStream's "no suitable peers for placement": fewer JetStream servers up than replicas asked for. */
const NO_PLACEMENT = 10005;

async function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<void> {
  await patiently(() =>
    guarded(`declare stream ${spec.name}`, async () => {
      try {
        await createOrUpdate(jsm, spec);
      } catch (error) {
        throw replicasRefused(error, spec) ?? error;
      }
    }),
  );
}

async function createOrUpdate(jsm: JetStreamManager, spec: StreamSpec): Promise<void> {
  try {
    await jsm.streams.add(spec);
  } catch (error) {
    // 10058: the name exists with another configuration (e.g. another replica count); bring it to this one.
    if (!(error instanceof JetStreamApiError && error.code === 10058)) throw error;
    const { name, retention, storage: _storage, ...changeable } = spec;
    // The server cannot change a stream's retention; saying so beats running on the wrong one.
    const existing = (await jsm.streams.info(name)).config.retention;
    if (existing !== retention) {
      throw new PermanentError(
        'nats_stream_retention',
        `NATS: stream ${name} has ${existing} retention, this version needs ${retention}: drain it, delete it and start again`,
      );
    }
    await jsm.streams.update(name, changeable);
  }
}

/** The server's refusal of the replica count, in words naming the URL's parameter; undefined for any other error. */
function replicasRefused(error: unknown, spec: StreamSpec): PermanentError | undefined {
  if (!(error instanceof JetStreamApiError)) return undefined;
  const asked = spec.num_replicas ?? 1;
  const why =
    error.code === NOT_CLUSTERED
      ? 'the server is not part of a cluster'
      : error.code === NO_PLACEMENT
        ? 'fewer JetStream servers of the cluster are up than that'
        : undefined;
  if (why === undefined) return undefined;
  return new PermanentError(
    'nats_replicas',
    `NATS: stream ${spec.name} cannot have ${asked} replicas (?replicas=${asked}): ${why} (${error.message})`,
    { cause: error },
  );
}

async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
): Promise<void> {
  // Creating a durable that exists updates it on 2.9 (and is a no-op when nothing changed).
  await patiently(() =>
    guarded(`declare consumer ${stream} > ${config.durable_name}`, () => jsm.consumers.add(stream, config)),
  );
}
