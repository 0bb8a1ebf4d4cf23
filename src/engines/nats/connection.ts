import {
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type PubAck,
} from '@nats-io/jetstream';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { ExodusError, TransientError } from '../../domain/index.js';
import { TurnBatch } from '../shared/turn-batch.js';
import { classify, guarded } from './errors.js';
import { StallWatch } from './stall-watch.js';

/** How long a request to the server may take before it counts as a transient failure. */
export const REQUEST_TIMEOUT_MS = 5_000;
/** Nothing served through the connected server for this long: move to another (see StallWatch). */
const STALLED_MS = 10_000;

interface PendingAck {
  readonly subject: string;
  /** Stream and consumer: the server processes one consumer's acks in order. */
  readonly consumer: string;
  readonly doing: string;
}

/**
 * One client connection and its JetStream views. It reconnects forever
 * (`maxReconnectAttempts: -1`), so a broker restart heals without restarting the process; while it
 * is down every call fails fast-ish with a `TransientError` instead of hanging.
 */
export class Connection {
  private up = true;
  /** Sends asked for in this turn of the event loop (see `atEndOfTurn`). */
  private readonly outbox = new TurnBatch<() => void, void>((sends) => sends.map((send) => send()));
  /** Moves the client off a server that stopped serving JetStream with its socket still up. */
  private readonly stall = new StallWatch(STALLED_MS);
  /** Acks asked for in this turn (see `ack`). */
  private readonly acks = new TurnBatch<PendingAck, void>((acks) => this.sendAcks(acks));

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
  ) {
    void this.watch();
  }

  static async open(servers: readonly string[]): Promise<Connection> {
    const nc = await guarded(`connect to ${servers.join(',')}`, () =>
      // noAsyncTraces: nats.js otherwise builds two Error objects (stack traces) per request up front, in
      // case it fails: profiled, 22 % of the parser's CPU and 8 % of the frontend's, one per publish or ack.
      connect({
        servers: [...servers],
        name: 'exodus',
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        timeout: REQUEST_TIMEOUT_MS,
        noAsyncTraces: true,
      }),
    );
    try {
      const jsm = await guarded('open JetStream', () => jetstreamManager(nc, { timeout: REQUEST_TIMEOUT_MS }));
      return new Connection(nc, jetstream(nc, { timeout: REQUEST_TIMEOUT_MS }), jsm);
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  /**
   * Whether the socket is up now. Settles are only sent while it is: nats.js would buffer them
   * across a reconnect and deliver them late, after the server may have given the message to
   * someone else (an old ack is by stream sequence and would remove it from its new holder).
   */
  get connected(): boolean {
    return this.up && !this.nc.isClosed() && !this.nc.isDraining();
  }

  /** A request whose reply tells that the server processed it (settles: "ack of the ack"), sent at the end of the turn. */
  request(subject: string, payload: string, doing: string): Promise<Msg> {
    return this.atEndOfTurn(() => this.requestNow(subject, payload, doing));
  }

  /** The request, now; refused (not buffered by nats.js for later) while the socket is down. */
  private async requestNow(subject: string, payload: string, doing: string): Promise<Msg> {
    if (!this.connected) throw new TransientError('nats_disconnected', `NATS: ${doing} failed: not connected`);
    try {
      return this.served(await this.nc.request(subject, payload, { timeout: REQUEST_TIMEOUT_MS }));
    } catch (error) {
      const classified = classify(error, doing);
      this.failed(classified);
      throw classified;
    }
  }

  /**
   * Acks a delivery of `consumer` (its `$JS.ACK…` reply subject); resolves once the server has
   * processed it. The acks of one turn go together: per consumer, all but the last without a reply
   * and the last as a request. The server processes one consumer's acks in the order they came, so
   * the last one's answer says every one before it was processed too: one round trip (and one of
   * nats.js's costly requests) per consumer and turn, not per message.
   */
  ack(subject: string, consumer: string, doing: string): Promise<void> {
    return this.acks.add({ subject, consumer, doing });
  }

  private sendAcks(acks: readonly PendingAck[]): Promise<void>[] {
    const lastOf = new Map<string, PendingAck>();
    for (const ack of acks) lastOf.set(ack.consumer, ack);
    // The earlier acks first, without a reply; while the socket is down none is sent, and the
    // request below fails, and with it every ack of its consumer.
    for (const ack of acks)
      if (ack !== lastOf.get(ack.consumer) && this.connected) this.nc.publish(ack.subject, '+ACK');
    const answers = new Map(
      [...lastOf].map(
        ([consumer, last]) =>
          [consumer, this.requestNow(last.subject, '+ACK', last.doing).then(() => undefined)] as const,
      ),
    );
    return acks.map((ack) => answers.get(ack.consumer) ?? Promise.resolve()); // every consumer has its last
  }

  /** Publishes to a stream (`Nats-Msg-Id` = `msgID`); resolves with the stream's ack. */
  publish(subject: string, payload: string, msgID: string): Promise<PubAck> {
    return this.atEndOfTurn(() =>
      this.js.publish(subject, payload, { msgID }).then(
        (ack) => this.served(ack),
        (error: unknown) => {
          // Classified here only to be counted; publishEnvelopes classifies it with what it was doing.
          this.failed(classify(error, 'publish', 'publish'));
          throw error;
        },
      ),
    );
  }

  /** A JetStream API call (`doing` for its error), counted for or against the connected server like requests and publishes. */
  async call<T>(doing: string, work: () => Promise<T>): Promise<T> {
    try {
      return this.served(await guarded(doing, work));
    } catch (error) {
      if (error instanceof ExodusError) this.failed(error);
      throw error;
    }
  }

  private served<T>(answer: T): T {
    this.stall.served();
    return answer;
  }

  /** A request that timed out or found no responder while connected counts against the server; long enough, the client moves. */
  private failed(error: ExodusError): void {
    const stranded = error.code === 'nats_timeout' || error.code === 'nats_no_responders';
    if (stranded && this.connected && this.stall.failed()) {
      // nats.js reconnects to the next server in its pool, the stranded one last.
      this.nc.reconnect().catch(() => undefined);
    }
  }

  /**
   * Runs `send` at the end of this turn of the event loop, with every other send asked for in it.
   * nats.js writes its buffer to the socket once per run of synchronous code, so concurrent
   * requests' publishes (or a batch's acks) leave in one write instead of one each: profiled, a
   * write per publish was most of the frontend's CPU on NATS.
   */
  private atEndOfTurn<T>(send: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve) => {
      // Each send runs in a microtask queued here, all before the one in which nats.js flushes.
      void this.outbox.add(() => resolve(Promise.resolve().then(send)));
    });
  }

  /** Drains (finishes what is in flight) and closes. */
  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    try {
      await this.nc.drain();
    } catch {
      await this.nc.close();
    }
  }

  private async watch(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') this.up = false;
      else if (status.type === 'reconnect') this.up = true;
    }
  }
}
