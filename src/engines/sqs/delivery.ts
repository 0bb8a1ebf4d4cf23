import type { Delivery, Envelope } from '../../ports/index.js';
import type { SqsDeadLetters } from './dead-letters.js';
import { ATTRIBUTE, numberAttribute, textAttribute, type Outgoing } from './messages.js';
import type { Settler } from './settler.js';

/** What every delivery of one queue shares. */
export interface DeliveryContext {
  readonly maxAttempts: number;
  readonly settler: Pick<Settler, 'delete' | 'changeVisibility'>;
  readonly dead: SqsDeadLetters;
  /** Sends to the queue itself (a retry's copy). */
  send(messages: readonly Outgoing[]): Promise<void>;
}

/** A received SQS message, as the delivery needs it. */
export interface Received {
  readonly body: string;
  readonly receiptHandle: string;
  /** When the lease ends by this process's clock, kept on the safe side (see queue.ts). */
  readonly deadline: number;
}

/** The three ways a delivery ends. */
export type Settle = 'ack' | 'retry' | 'dead-letter';

/** Leases are visibility timeouts, which SQS counts in whole seconds (at least 1 here: 0 would be no lease). */
export function leaseSeconds(ms: number): number {
  return Math.min(43_200, Math.max(1, Math.ceil(ms / 1000)));
}

/**
 * One delivery. The lease is the visibility timeout, and the deadline is tracked here: SQS may
 * accept a delete with an old receipt handle after the message went to someone else, so a settle
 * after the deadline is refused locally (the port's "a settle on a lapsed lease is ignored").
 *
 * A retry does not just shorten the visibility timeout: SQS's receive count would then mix failed
 * attempts with lapses (a consumer killed under the message), and the error would be lost. It sends
 * a copy carrying the attempt count, the lapses so far and the error, delayed by `DelaySeconds`,
 * then deletes the original. A crash between the two leaves both: a duplicate, never a loss.
 */
export class SqsDelivery implements Delivery {
  private taken = false;
  private settledAs: Settle | undefined;
  private deadline: number;

  constructor(
    readonly message: Envelope,
    readonly attempt: number,
    readonly lapses: number,
    private readonly received: Received,
    private readonly ctx: DeliveryContext,
  ) {
    this.deadline = received.deadline;
  }

  /** How this delivery was settled, once the settle went through: what a Lambda invocation reports back (see src/lambda/consumer.ts). */
  get settled(): Settle | undefined {
    return this.settledAs;
  }

  async ack(): Promise<boolean> {
    if (!this.take()) return false;
    return this.finish('ack');
  }

  async retry(delayMs: number, error: string): Promise<boolean> {
    if (this.attempt >= this.ctx.maxAttempts) return this.deadLetter(error);
    if (!this.take()) return false;
    await this.ctx.send([
      {
        body: this.received.body,
        attributes: {
          [ATTRIBUTE.attempt]: numberAttribute(this.attempt + 1),
          [ATTRIBUTE.lapses]: numberAttribute(this.lapses),
          [ATTRIBUTE.lastError]: textAttribute(error),
        },
        delaySeconds: Math.ceil(Math.max(0, delayMs) / 1000),
      },
    ]);
    return this.finish('retry');
  }

  async deadLetter(error: string): Promise<boolean> {
    if (!this.take()) return false;
    await this.ctx.dead.park(this.received.body, this.attempt, error);
    return this.finish('dead-letter');
  }

  async extendLease(leaseMs: number): Promise<boolean> {
    if (!this.live()) return false;
    const seconds = leaseSeconds(leaseMs);
    const asked = Date.now();
    const kept = await this.ctx.settler.changeVisibility(this.received.receiptHandle, seconds);
    if (kept) this.deadline = Math.max(this.deadline, asked + seconds * 1000);
    return kept;
  }

  private live(): boolean {
    return !this.taken && Date.now() < this.deadline;
  }

  /** The original goes: the message is settled. */
  private async finish(as: Settle): Promise<boolean> {
    const deleted = await this.ctx.settler.delete(this.received.receiptHandle);
    this.settledAs = as;
    return deleted;
  }

  /** Claims the one settle this delivery gets, if its lease still holds. */
  private take(): boolean {
    if (!this.live()) return false;
    this.taken = true;
    return true;
  }
}
