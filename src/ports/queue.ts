import type { Envelope } from './envelope.js';

/** Ten crashes is far past bad luck (consumers handle a message with lapses on its own) and still stops a killer soon. */
export const DEFAULT_MAX_LEASE_LAPSES = 10;

/**
 * A durable, at-least-once work queue with leases.
 *
 * Guarantees every engine keeps (checked by test/contract/queue.contract.ts):
 * - `send` resolves only once every message is durable: a crash after it loses nothing.
 * - Sending an event id the queue still holds (ready, leased or dead) is a no-op (dedup on send).
 * - `receive` leases messages for `leaseMs`; a lease that expires unsettled makes the message
 *   deliverable again (a crashed consumer loses nothing, and its work is redone).
 * - Each delivery is settled once: `ack` removes it, `retry` makes it deliverable after a delay,
 *   `deadLetter` parks it in the queue's dead-letter queue with the reason. A settle on a lease that
 *   already expired is ignored (the message belongs to its next holder) and resolves `false`.
 * - Attempts count a message's own failures, not its holders' deaths: `retry` spends one, and the
 *   `retry` of its `maxAttempts`-th attempt dead-letters it, keeping the error. A delivery that ends
 *   unsettled (the holder died or let the lease run out) is a lapse and spends no attempt, so a
 *   consumer killed again and again does not dead-letter the innocent messages it held; a message
 *   whose delivery lapsed `maxLeaseLapses` times (one that kills whoever holds it) is dead-lettered
 *   at its next receive instead of being delivered again.
 * Deliberately absent: ordering (roughly FIFO, not guaranteed), exactly-once, priorities.
 */
export interface Queue {
  readonly name: string;
  send(messages: readonly Envelope[]): Promise<void>;
  /**
   * With `wait`, an empty queue is waited on, long-poll style: the receive resolves as soon as a
   * message is deliverable (sent, retried, or its lease lapsed) or, with none, after `wait.ms` or
   * when `wait.signal` aborts. How an idle consumer waits without polling; each engine waits the way
   * it can (SQLite: woken by a send in this process or a write to the queue's file by another;
   * NATS: a pull the server answers when a message comes; SQS: long polling).
   */
  receive(max: number, leaseMs: number, wait?: ReceiveWait): Promise<Delivery[]>;
  stats(): Promise<QueueStats>;
  readonly deadLetters: DeadLetterQueue;
  /**
   * Which of these message ids the queue holds now: ready, in flight or delayed (dead letters are
   * `deadLetters`'). What the audit asks to tell an accepted wish on its way from a lost one.
   * Absent where an engine cannot look without receiving (SQS: a receive counts toward the redrive
   * limit and hides the message); the audit then reasons from `stats()`.
   */
  holding?(ids: readonly string[]): Promise<ReadonlySet<string>>;
}

/** How long an empty receive may wait for a message (see `Queue.receive`). */
export interface ReceiveWait {
  readonly ms: number;
  readonly signal?: AbortSignal;
}

export interface Delivery {
  readonly message: Envelope;
  /** 1 + the times its handling failed (`retry`): what backoff and `maxAttempts` count. */
  readonly attempt: number;
  /**
   * Earlier deliveries that ended unsettled (holder died, lease ran out). A message with lapses may
   * be what killed its holders, so consumers handle it apart from the rest of a batch.
   */
  readonly lapses: number;
  ack(): Promise<boolean>;
  retry(delayMs: number, error: string): Promise<boolean>;
  deadLetter(error: string): Promise<boolean>;
  /** Keeps the lease while work goes on, so a short lease need not cover a slow handler. */
  extendLease(leaseMs: number): Promise<boolean>;
}

/**
 * A queue's messages by state; each message is in one. `ready`: deliverable now; `inFlight`: leased
 * to a consumer; `delayed`: given back by `retry` and waiting out its delay; `dead`: dead-lettered.
 * How exactly an engine can tell:
 * - SQLite: exact (a retried message is `delayed` until its delay has passed, then `ready`).
 * - NATS JetStream: the server does not say when a message given back with a delay falls due, so
 *   `delayed` counts messages retried with a delay and not yet delivered again: a retry whose delay
 *   has passed stays `delayed` until a consumer takes it (at once, while consumers run). A message
 *   whose holder died counts as `inFlight` until the server redelivers it.
 */
export interface QueueStats {
  readonly ready: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly dead: number;
  /** Age of the oldest ready message, ms; 0 when none. */
  readonly oldestReadyAgeMs: number;
}

export interface DeadLetter {
  readonly message: Envelope;
  readonly attempts: number;
  readonly lastError: string;
  readonly deadAt: string;
}

/** Operator access to a queue's dead letters: look, put back intact, or drop. */
export interface DeadLetterQueue {
  list(limit: number): Promise<DeadLetter[]>;
  get(id: string): Promise<DeadLetter | undefined>;
  /** Makes the given (or all) dead letters deliverable again with a fresh attempt count; returns how many. */
  redrive(ids?: readonly string[]): Promise<number>;
  purge(ids?: readonly string[]): Promise<number>;
}
