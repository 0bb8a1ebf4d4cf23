import type {
  DeadLetterQueue,
  Delivery,
  Envelope,
  Queue,
  QueueName,
  QueueStats,
  ReceiveWait,
} from '../../ports/index.js';
import type { EngineOptions } from '../options.js';
import { envelopeIn } from '../queues/envelope-in.js';
import type { Connection } from './connection.js';
import { NatsDeadLetters } from './dead-letters.js';
import { NatsDelivery, type DeliveryContext } from './delivery.js';
import { guarded } from './errors.js';
import { holding } from './holding.js';
import type { Lane, Layout } from './layout.js';
import type { Lease } from './lease.js';
import { Ledger } from './ledger.js';
import { publishEnvelopes } from './publish.js';
import { pull, type Pulled } from './pull.js';
import { readStored, unreadableId } from './stored.js';

/** How long an empty receive on a replicated stream lets the server wait for messages (see `receive`). */
const REPLICA_CATCH_UP_MS = 50;

/**
 * The longest one waiting pull asks the server to hold, in ms (see `receive`): a stop waits for it at
 * most this long, and the queue's other lanes (a redrive, a retry given back there) are looked at
 * after each, so a message there waits at most this long on an idle consumer.
 */
const WAIT_SLICE_MS = 1_000;

/**
 * A queue over one or more lanes (stream + durable pull consumer): its own WorkQueue stream, which
 * `send` and redrive publish to, and, for a subscription, the topic stream's consumer of that name.
 * `receive` takes from the lanes in turn, starting with a different one each call so a big redrive
 * cannot starve the fan-out (or the reverse); a message whose lease lapsed `maxLeaseLapses` times (it
 * kills its holders) is dead-lettered there instead of being handed out.
 */
export class NatsQueue implements Queue {
  readonly deadLetters: DeadLetterQueue;
  private readonly lanes: readonly Lane[];
  private readonly ctx: DeliveryContext;
  private readonly dead: NatsDeadLetters;
  private readonly ledger: Ledger;
  private nextLane = 0;

  constructor(
    readonly name: QueueName,
    private readonly conn: Connection,
    private readonly layout: Layout,
    limits: Required<EngineOptions>,
    live: Set<Lease>,
    /** The streams' `num_replicas`: above 1, an empty receive waits a moment for lagging replicas (see `receive`). */
    private readonly replicas = 1,
  ) {
    this.lanes = layout.lanes(name);
    this.dead = new NatsDeadLetters(conn, layout, name);
    this.ledger = new Ledger(conn, layout, name);
    this.deadLetters = this.dead;
    this.ctx = {
      conn,
      maxAttempts: limits.maxAttempts,
      maxLeaseLapses: limits.maxLeaseLapses,
      ledger: this.ledger,
      dead: this.dead,
      live,
    };
  }

  send(messages: readonly Envelope[]): Promise<void> {
    return publishEnvelopes(this.conn, this.layout.queueSubject(this.name), messages, `send to ${this.name}`);
  }

  /**
   * Waiting (`wait`), an empty look is followed by a pull the server holds until a message comes (a
   * new one, a retry whose delay is up, one whose lease lapsed) or `WAIT_SLICE_MS` passes, on the lane
   * new work arrives on (the topic's, for a subscription); then the lanes are looked at again, until
   * the wait ends. The held pull is never abandoned, even on abort: a message the server handed to an
   * inbox no one reads would come back only when its lease lapsed.
   */
  async receive(max: number, leaseMs: number, wait?: ReceiveWait): Promise<Delivery[]> {
    const found = await this.look(max, leaseMs);
    if (found.length > 0 || wait === undefined || wait.ms <= 0) return found;
    const until = Date.now() + wait.ms;
    const arrivals = this.lanes[this.lanes.length - 1];
    while (arrivals !== undefined && wait.signal?.aborted !== true) {
      const sliceMs = Math.min(WAIT_SLICE_MS, until - Date.now());
      if (sliceMs <= 0) break;
      // One message: the server ends a held pull when its batch is full, so a bigger one would sit
      // out the slice with a message in hand; the rest that came with it are looked for just after.
      const pulledAt = performance.now();
      const [first] = await pull(this.conn, arrivals, 1, sliceMs);
      const woken = first === undefined ? undefined : await this.admit(arrivals, first, pulledAt, leaseMs);
      const more = await this.look(max - (woken === undefined ? 0 : 1), leaseMs);
      if (woken !== undefined) return [woken, ...more];
      if (more.length > 0) return more;
    }
    return [];
  }

  /** What the lanes hold deliverable now, without waiting. */
  private async look(max: number, leaseMs: number): Promise<Delivery[]> {
    const deliveries: Delivery[] = [];
    const limit = Math.floor(max);
    const first = this.nextLane++ % this.lanes.length;
    const lanes = [...this.lanes.slice(first), ...this.lanes.slice(0, first)];
    // Dead-lettering at receive leaves the batch short; look again a few times, not forever.
    for (let round = 0; round < 3 && deliveries.length < limit; round++) {
      let parked = 0;
      for (const lane of lanes) {
        if (deliveries.length >= limit) break;
        const pulledAt = performance.now();
        const batch = await pull(this.conn, lane, limit - deliveries.length);
        for (const admitted of await Promise.all(batch.map((p) => this.admit(lane, p, pulledAt, leaseMs)))) {
          if (admitted === undefined) parked++;
          else deliveries.push(admitted);
        }
      }
      if (parked === 0) break;
    }
    // On a replicated stream the consumer's leader may be another node than the stream's: a message
    // the stream acked (a quorum stored it) reaches that node's copy a moment later (measured: about a
    // millisecond), so a receive right after the send can find nothing. Ask once more, letting the
    // server wait a little for it, rather than answer "empty" while the queue holds a message.
    if (deliveries.length === 0 && this.replicas > 1) {
      for (const lane of lanes) {
        if (deliveries.length >= limit) break;
        const pulledAt = performance.now();
        const batch = await pull(this.conn, lane, limit - deliveries.length, REPLICA_CATCH_UP_MS);
        for (const admitted of await Promise.all(batch.map((p) => this.admit(lane, p, pulledAt, leaseMs))))
          if (admitted !== undefined) deliveries.push(admitted);
      }
    }
    return deliveries;
  }

  /**
   * Reads the lanes' streams (the whole own stream, a topic stream above the consumer's ack floor),
   * at most `HOLDING_SCAN_MAX` messages a lane: holding.ts says what it guarantees (no acked message;
   * on a topic lane, an in-flight one may be left out while later ones were acked out of order) and
   * what it costs.
   */
  holding(ids: readonly string[]): Promise<ReadonlySet<string>> {
    return holding({ conn: this.conn, lanes: this.lanes }, ids);
  }

  /**
   * `ready` counts what the consumers have not handed out yet plus what waits in the ledger to be
   * redelivered at once; `delayed` what waits there after a retry with a delay (until it is
   * redelivered: the server does not say when its delay is up); `inFlight` is the rest of what the
   * consumers handed out. `oldestReadyAgeMs` is approximate: the age of the oldest message never
   * handed out (one given back is older).
   */
  async stats(): Promise<QueueStats> {
    const [consumers, waiting, dead] = await Promise.all([
      Promise.all(
        this.lanes.map((lane) =>
          guarded(`read ${lane.stream} > ${lane.consumer}`, () =>
            this.conn.jsm.consumers.info(lane.stream, lane.consumer),
          ),
        ),
      ),
      this.ledger.waiting(),
      this.dead.count(),
    ]);
    const pending = consumers.reduce((n, info) => n + info.num_pending, 0);
    const handedOut = consumers.reduce((n, info) => n + info.num_ack_pending, 0);
    const firstReady = await Promise.all(
      consumers.map(async (info, i) => {
        const lane = this.lanes[i];
        if (info.num_pending === 0 || lane === undefined) return undefined;
        return readStored(this.conn, lane.stream, { seq: info.delivered.stream_seq + 1, next_by_subj: lane.subject });
      }),
    );
    const oldest = Math.min(...firstReady.map((stored) => stored?.storedAt.getTime() ?? Infinity));
    return {
      ready: pending + waiting.total - waiting.delayed,
      inFlight: Math.max(0, handedOut - waiting.total),
      delayed: waiting.delayed,
      dead,
      oldestReadyAgeMs: Number.isFinite(oldest) ? Math.max(0, Date.now() - oldest) : 0,
    };
  }

  /** A pulled message becomes a delivery, or (lapses used up, unreadable) a dead letter and undefined. */
  private async admit(lane: Lane, pulled: Pulled, pulledAt: number, leaseMs: number): Promise<Delivery | undefined> {
    const message = envelopeIn(pulled.body);
    if (message === undefined) {
      // Not ours (someone published by hand): parked as a JSON string, so nothing is lost and it
      // cannot block the queue by failing every receive.
      const id = unreadableId(lane.stream, pulled.streamSeq);
      return this.park(
        lane,
        pulled,
        JSON.stringify(pulled.body),
        id,
        pulled.deliveryCount,
        'unreadable: not a JSON envelope with an id',
      );
    }
    // Only a redelivery can have a ledger record; reading it is best effort (it carries the last error).
    const previous =
      pulled.deliveryCount > 1 ? await this.ledger.take(lane, pulled.streamSeq).catch(() => undefined) : undefined;
    const lastError = previous?.lastError ?? undefined;
    const failures = previous?.failures ?? 0;
    const lapses = pulled.deliveryCount - 1 - failures;
    if (lapses < this.ctx.maxLeaseLapses) {
      return new NatsDelivery(message, pulled, lane, lastError, failures, pulledAt, leaseMs, this.ctx);
    }
    const why = `lease expired ${lapses} times${lastError === undefined ? '' : ` (last error: ${lastError})`}`;
    return this.park(lane, pulled, pulled.body, message.id, pulled.deliveryCount - 1, why);
  }

  private async park(
    lane: Lane,
    pulled: Pulled,
    body: string,
    id: string,
    attempts: number,
    lastError: string,
  ): Promise<undefined> {
    try {
      await this.dead.park(body, id, attempts, lastError);
      await this.conn.request(
        pulled.reply,
        '+ACK',
        `ack a dead-lettered message (${lane.stream} #${pulled.streamSeq})`,
      );
    } catch {
      // Left unacked, it comes back when the hold lapses and is dead-lettered then.
    }
    return undefined;
  }
}
