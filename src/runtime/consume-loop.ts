import { isSpanContextValid, SpanKind, SpanStatusCode, trace, type Link, type Span } from '@opentelemetry/api';
import type { Delivery, Queue } from '../ports/index.js';
import { DependencyWatch } from './dependency-watch.js';
import { errorType, messagingAttributes, messagingMetrics, secondsSince } from './messaging-metrics.js';
import { processDelivery, type DeliveryProcessing } from './process-delivery.js';
import { contextFrom, tracer } from './telemetry.js';

export type { MessageHandler } from './process-delivery.js';

/** An idle receive's longest wait for a message, in ms: woken by the engine, so only a bound on a missed wake. */
const DEFAULT_IDLE_WAIT_MS = 5_000;
/** Longest pause between looks at a queue whose engine cannot wait for messages, in ms. */
const POLL_MAX_MS = 200;
/** Pause after a failed receive (the engine is away), in ms. */
const RECEIVE_FAILED_PAUSE_MS = 1_000;

/** The loop's settings: how each message is handled (process-delivery.ts), and how the queue is polled. */
export interface ConsumeOptions extends Omit<DeliveryProcessing, 'queue' | 'holding' | 'stopping' | 'outages'> {
  readonly queue: Queue;
  readonly batchSize: number;
  readonly leaseMs: number;
  /**
   * How long one receive may wait on an empty queue for a message (the engine wakes it when one
   * comes: `Queue.receive`'s `wait`); a stop cuts it short. Default 5 s.
   */
  readonly idleWaitMs?: number;
  /**
   * Pause after a batch that was not full, so the next one is bigger: each batch costs a few
   * commits whatever its size, so five messages a batch costs fifty times what 250 do. Default 5 ms.
   */
  readonly lingerMs?: number;
}

/** A link from a batch's receive to the message's creation context, named by its id; none without a valid one. */
function linkTo(delivery: Delivery): Link[] {
  const context = trace.getSpanContext(contextFrom(delivery.message));
  if (context === undefined || !isSpanContextValid(context)) return [];
  return [{ context, attributes: { 'messaging.message.id': delivery.message.id } }];
}

/**
 * The long-lived consumer: receive a batch, run the handler on every message concurrently (engines
 * group their writes per turn, so a batch costs one commit), settle each, repeat. Leases are
 * extended while a batch runs, so a short lease (fast recovery after a crash) still fits slow work.
 * `stop()` takes no new batch, lets the current one finish and settle, and resolves.
 *
 * Through a dependency outage each message is held, not failed (`processDelivery` says why), its
 * lease kept alive here; the batch in hand is the only work taken meanwhile: backpressure for free.
 */
export class ConsumeLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Cuts short the backoff of held messages when the loop stops. */
  private stopping = new AbortController();

  /** The messaging attributes of this loop's spans and metrics, the same for every batch and message. */
  private readonly attributes: { readonly receive: Record<string, string>; readonly process: Record<string, string> };
  /** Names a dependency outage the moment this loop starts holding messages for it. */
  private readonly outages: DependencyWatch;

  constructor(private readonly options: ConsumeOptions) {
    this.attributes = {
      receive: messagingAttributes(options.queue.name, 'receive'),
      process: messagingAttributes(options.queue.name, 'process'),
    };
    this.outages = new DependencyWatch({ queue: options.queue.name, logger: options.logger });
    this.outages.observe();
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
    const idleWaitMs = this.options.idleWaitMs ?? DEFAULT_IDLE_WAIT_MS;
    let idleMs = 1;
    while (this.running) {
      let batch: Delivery[];
      const askedAt = performance.now();
      try {
        batch = await this.receive(batchSize, leaseMs, idleWaitMs);
      } catch (error) {
        // Stryker disable next-line StringLiteral,ObjectLiteral: log wording and fields, not behaviour
        logger.warn({ err: error, queue: queue.name }, 'receive failed; backing off');
        // Stryker disable next-line all: timing only (how soon a failed receive is tried again); no outcome depends on it
        await this.sleep(Math.min(RECEIVE_FAILED_PAUSE_MS, idleWaitMs));
        continue;
      }
      if (batch.length === 0) {
        // The engine waited for messages (Queue.receive's `wait`); one that answered empty at once
        // could not, and is looked at again after a pause that doubles, as a poll.
        // Stryker disable next-line all: timing only (how soon an idle loop looks again); no outcome depends on it
        if (performance.now() - askedAt < idleWaitMs / 2) {
          await this.sleep(idleMs);
          // Stryker disable next-line all: timing only
          idleMs = Math.min(POLL_MAX_MS, idleMs * 2);
        }
        continue;
      }
      idleMs = 1;
      const keepLeases = setInterval(
        () => {
          for (const delivery of batch) void delivery.extendLease(leaseMs).catch(() => undefined);
        },
        Math.max(50, Math.floor(leaseMs / 3)),
      );
      try {
        await this.processBatch(batch);
      } finally {
        clearInterval(keepLeases);
      }
      // Stryker disable next-line all: timing only (how full a batch gets); no outcome depends on it
      if (batch.length < batchSize) await this.sleep(this.options.lingerMs ?? 5);
    }
  }

  /**
   * One receive, measured; traced only when it brought messages or failed, because an idle loop's
   * empty polls (up to five a second per consumer) would bury the traces that matter and spend the
   * process's trace budget (see rate-limited-sampler.ts).
   */
  private async receive(max: number, leaseMs: number, waitMs: number): Promise<Delivery[]> {
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
      const batch = await queue.receive(max, leaseMs, { ms: waitMs, signal: this.stopping.signal });
      measured.consumedMessages.add(batch.length, attributes);
      measured.operationDuration.record(secondsSince(startedAt), attributes);
      if (batch.length > 0)
        traced((span) => {
          span.setAttribute('messaging.batch.message_count', batch.length);
          // A link per message to the trace that made it: the batch is found from any wish it carried.
          if (span.isRecording()) span.addLinks(batch.flatMap(linkTo));
        });
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
    // Made once per batch, not per message: a copy of the options per message cost the embedded drain's
    // consumers ~44 µs of CPU per wish (171 → 127 µs, A/B).
    const how: DeliveryProcessing = {
      ...this.options,
      holding: () => this.running,
      stopping: this.stopping.signal,
      outages: this.outages,
    };
    const handle = (delivery: Delivery): Promise<void> => processDelivery(delivery, how, this.attributes.process);
    const suspects = batch.filter((delivery) => delivery.lapses > 0).sort((a, b) => a.lapses - b.lapses);
    await Promise.all(batch.filter((delivery) => delivery.lapses === 0).map(handle));
    for (const suspect of suspects) await handle(suspect);
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
