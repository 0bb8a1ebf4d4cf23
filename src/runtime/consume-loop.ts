import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { setTimeout as delay } from 'node:timers/promises';
import { PermanentError, TransientError } from '../domain/index.js';
import type { Delivery, Envelope, Queue } from '../ports/index.js';
import { backoffMs } from './backoff.js';
import { errorType, messagingAttributes, messagingMetrics, secondsSince } from './messaging-metrics.js';
import type { Logger } from './logger.js';
import { contextFrom, tracer } from './telemetry.js';
import { EVENT } from './telemetry-names.js';

/**
 * What a consumer does with one message. Throw `PermanentError` to dead-letter it, `TransientError`
 * when a dependency is down (the message is held and tried again here), anything else to retry it
 * through the queue (counting an attempt).
 */
export type MessageHandler = (message: Envelope) => Promise<void>;

export interface ConsumeOptions {
  readonly queue: Queue;
  readonly handler: MessageHandler;
  readonly logger: Logger;
  readonly batchSize: number;
  readonly leaseMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /**
   * The queue's failed attempts before it dead-letters (the engine's `maxAttempts`), so a retry of
   * the last one is reported as the dead-lettering it is; without it, only `PermanentError`s are.
   */
  readonly maxAttempts?: number;
  /** Longest sleep between polls of an empty queue; polling starts fast and backs off to this. */
  readonly idleMaxMs?: number;
  /**
   * Pause after a batch that was not full, so the next one is bigger: each batch costs a few
   * commits whatever its size, so five messages a batch costs fifty times what 250 do. Default 5 ms.
   */
  readonly lingerMs?: number;
}

/**
 * The long-lived consumer: receive a batch, run the handler on every message concurrently (engines
 * group their writes per turn, so a batch costs one commit), settle each, repeat. Leases are
 * extended while a batch runs, so a short lease (fast recovery after a crash) still fits slow work.
 * `stop()` takes no new batch, lets the current one finish and settle, and resolves.
 *
 * A dependency outage (the handler throws `TransientError`: the store is restarting, the broker is
 * away) is not the message's fault, so it must not spend the message's attempts: a few seconds of
 * backoff per attempt would dead-letter innocent wishes during a 10 s database restart. Instead the
 * loop holds the message (its lease kept alive), backs off and runs the handler again, as long as
 * the outage lasts. The batch in hand is the only work taken meanwhile: backpressure for free.
 */
export class ConsumeLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Cuts short the backoff of held messages when the loop stops. */
  private stopping = new AbortController();

  /** The messaging attributes of this loop's spans and metrics, the same for every batch and message. */
  private readonly attributes: { readonly receive: Record<string, string>; readonly process: Record<string, string> };

  constructor(private readonly options: ConsumeOptions) {
    this.attributes = { receive: messagingAttributes(options.queue.name, 'receive'), process: messagingAttributes(options.queue.name, 'process') };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = new AbortController();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { queue, batchSize, leaseMs, logger } = this.options;
    const idleMaxMs = this.options.idleMaxMs ?? 200;
    let idleMs = 1;
    while (this.running) {
      let batch: Delivery[];
      try {
        batch = await this.receive(batchSize, leaseMs);
      } catch (error) {
        // Stryker disable next-line StringLiteral,ObjectLiteral: log wording and fields, not behaviour
        logger.warn({ err: error, queue: queue.name }, 'receive failed; backing off');
        // Stryker disable next-line all: timing only (how soon an idle loop polls, how full a batch gets); no outcome depends on it
        await this.sleep(idleMaxMs * 5);
        continue;
      }
      // Stryker disable next-line all: timing only (how soon an idle loop polls, how full a batch gets); no outcome depends on it
      if (batch.length === 0) {
        await this.sleep(idleMs);
        // Stryker disable next-line all: timing only (how soon an idle loop polls, how full a batch gets); no outcome depends on it
        idleMs = Math.min(idleMaxMs, idleMs * 2);
        continue;
      }
      idleMs = 1;
      const keepLeases = setInterval(() => {
        for (const delivery of batch) void delivery.extendLease(leaseMs).catch(() => undefined);
      }, Math.max(50, Math.floor(leaseMs / 3)));
      try {
        await this.processBatch(batch);
      } finally {
        clearInterval(keepLeases);
      }
      // Stryker disable next-line all: timing only (how soon an idle loop polls, how full a batch gets); no outcome depends on it
      if (batch.length < batchSize) await this.sleep(this.options.lingerMs ?? 5);
    }
  }

  /**
   * One receive, measured; traced only when it brought messages or failed, because an idle loop's
   * empty polls (up to five a second per consumer) would bury the traces that matter and spend the
   * process's trace budget (see rate-limited-sampler.ts).
   */
  private async receive(max: number, leaseMs: number): Promise<Delivery[]> {
    const { queue } = this.options;
    const attributes = this.attributes.receive;
    const measured = messagingMetrics();
    const startTime = Date.now();
    const startedAt = performance.now();
    const traced = (finish: (span: Span) => void): void => {
      const span = tracer().startSpan(`receive ${queue.name}`, { kind: SpanKind.CLIENT, attributes, startTime });
      finish(span);
      span.end();
    };
    try {
      const batch = await queue.receive(max, leaseMs);
      measured.consumedMessages.add(batch.length, attributes);
      measured.operationDuration.record(secondsSince(startedAt), attributes);
      if (batch.length > 0) traced((span) => span.setAttribute('messaging.batch.message_count', batch.length));
      return batch;
    } catch (error) {
      measured.operationDuration.record(secondsSince(startedAt), { ...attributes, 'error.type': errorType(error) });
      traced((span) => {
        span.recordException(error instanceof Error ? error : new Error(String(error)));
        span.setStatus({ code: SpanStatusCode.ERROR });
      });
      throw error;
    }
  }


  /**
   * The messages with no lapses run concurrently and are settled first; then those whose earlier
   * deliveries ended with their holder (maybe killed by one of them) run one at a time, fewest lapses
   * first. So a message that kills its consumer takes nothing down with it but itself: its batch-mates
   * were settled before it ran, and it alone spends lapses until the queue dead-letters it.
   */
  private async processBatch(batch: readonly Delivery[]): Promise<void> {
    const suspects = batch.filter((delivery) => delivery.lapses > 0).sort((a, b) => a.lapses - b.lapses);
    await Promise.all(batch.filter((delivery) => delivery.lapses === 0).map((delivery) => this.process(delivery)));
    for (const suspect of suspects) await this.process(suspect);
  }

  /** One message: a CONSUMER span continuing the producer's trace, the handler, then one settle. */
  private async process(delivery: Delivery): Promise<void> {
    const { queue, handler, logger, retryBaseMs, retryMaxMs } = this.options;
    const span = tracer().startSpan(
      `process ${queue.name}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          ...this.attributes.process,
          'messaging.message.id': delivery.message.id,
          'messaging.message.delivery_count': delivery.attempt + delivery.lapses,
        },
      },
      contextFrom(delivery.message),
    );
    const startedAt = performance.now();
    let failure: string | undefined;
    await context.with(trace.setSpan(context.active(), span), async () => {
      try {
        await this.handleHoldingThroughOutages(delivery, handler);
        await delivery.ack();
      } catch (error) {
        failure = errorType(error);
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        span.recordException(error instanceof Error ? error : new Error(reason));
        span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
        // A retry of the last allowed delivery would be dead-lettered by the queue (the Queue port's
        // rule), so it is dead-lettered here, where it can be reported.
        const attemptsLeft = this.options.maxAttempts === undefined || delivery.attempt < this.options.maxAttempts;
        if (error instanceof PermanentError || !attemptsLeft) {
          // The event names the message and the error's code, never the message's content.
          // Stryker disable next-line StringLiteral: log wording, not behaviour
          const why = error instanceof PermanentError ? 'dead-lettering a message that cannot succeed' : 'dead-lettering a message whose attempts ran out';
          logger.warn({ event: EVENT.deadLettered, queue: queue.name, messageId: delivery.message.id, code: failure, attempt: delivery.attempt }, why);
          // Stryker disable next-line StringLiteral,ObjectLiteral,ArrowFunction: a failed settle is only logged here (the lease expiry redelivers it)
          await delivery.deadLetter(reason).catch((settleError: unknown) => logger.error({ err: settleError }, 'dead-letter failed; the lease will expire'));
        } else {
          const delayMs = backoffMs(delivery.attempt, retryBaseMs, retryMaxMs);
          // Stryker disable next-line StringLiteral,ObjectLiteral: log wording and fields, not behaviour
          logger.warn({ queue: queue.name, messageId: delivery.message.id, attempt: delivery.attempt, delayMs, err: error }, 'handler failed; will retry');
          // Stryker disable next-line StringLiteral,ObjectLiteral,ArrowFunction: a failed settle is only logged here (the lease expiry redelivers it)
          await delivery.retry(delayMs, reason).catch((settleError: unknown) => logger.error({ err: settleError }, 'retry failed; the lease will expire'));
        }
      } finally {
        span.end();
        const attributes = this.attributes.process;
        messagingMetrics().processDuration.record(secondsSince(startedAt), failure === undefined ? attributes : { ...attributes, 'error.type': failure });
      }
    });
  }

  /** Runs the handler; while it fails with `TransientError` (and the loop runs), backs off and runs it again. */
  private async handleHoldingThroughOutages(delivery: Delivery, handler: MessageHandler): Promise<void> {
    const { queue, logger, retryBaseMs, retryMaxMs } = this.options;
    for (let held = 1; ; held++) {
      try {
        await handler(delivery.message);
        // Stryker disable next-line all: log only (the message was handled either way)
        if (held > 1) logger.info({ queue: queue.name, messageId: delivery.message.id, held }, 'dependency back; message handled');
        return;
      } catch (error) {
        if (!(error instanceof TransientError) || !this.running) throw error;
        const delayMs = backoffMs(held, retryBaseMs, retryMaxMs);
        // One line when the outage starts, then one per doubling: a batch of 256 held messages must not flood the log.
        if ((held & (held - 1)) === 0) logger.warn({ queue: queue.name, messageId: delivery.message.id, held, delayMs, code: error.code, err: error }, 'dependency unavailable; holding the message');
        await delay(delayMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
