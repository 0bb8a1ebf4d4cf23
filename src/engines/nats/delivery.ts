import type { Delivery, Envelope } from '../../ports/index.js';
import type { Connection } from './connection.js';
import type { NatsDeadLetters } from './dead-letters.js';
import type { Lane } from './layout.js';
import { Lease } from './lease.js';
import type { Ledger } from './ledger.js';
import type { Pulled } from './pull.js';

/** What every delivery of one queue shares. */
export interface DeliveryContext {
  readonly conn: Connection;
  readonly maxAttempts: number;
  readonly maxLeaseLapses: number;
  readonly ledger: Ledger;
  readonly dead: NatsDeadLetters;
  /** Leases not yet settled or lapsed, so closing the engine can give their messages back. */
  readonly live: Set<Lease>;
}

/**
 * One leased message. Settles go to its `$JS.ACK…` subject as requests, so each resolves once the
 * server has processed it (the "ack of the ack"), and only while the lease holds (see lease.ts):
 * `ack` = `+ACK`, `retry` = `-NAK` with the delay, `extendLease` = `+WPI`, `deadLetter` = park in
 * the dead-letter stream, then `+ACK`.
 */
export class NatsDelivery implements Delivery {
  private readonly lease: Lease;

  constructor(
    readonly message: Envelope,
    private readonly pulled: Pulled,
    private readonly lane: Lane,
    /** From the ledger: why its previous delivery failed (undefined when unknown or first), and how many failed. */
    private readonly lastError: string | undefined,
    private readonly failures: number,
    pulledAt: number,
    leaseMs: number,
    private readonly ctx: DeliveryContext,
  ) {
    this.lease = new Lease(
      pulledAt,
      leaseMs,
      { renew: () => this.send('+WPI', 'extend a lease'), giveBack: () => this.giveBack() },
      ctx.live,
    );
  }

  get attempt(): number {
    return this.failures + 1;
  }

  /** JetStream's delivery count includes this delivery; every earlier one that was not a failure lapsed. */
  get lapses(): number {
    return this.pulled.deliveryCount - 1 - this.failures;
  }

  async ack(): Promise<boolean> {
    if (!this.lease.claim()) return false;
    // Stryker disable next-line StringLiteral: names the ack in an error only
    const doing = `ack (${this.lane.stream} #${this.pulled.streamSeq})`;
    await this.ctx.conn.ack(this.pulled.reply, `${this.lane.stream} > ${this.lane.consumer}`, doing);
    return true;
  }

  async retry(delayMs: number, error: string): Promise<boolean> {
    if (this.attempt >= this.ctx.maxAttempts) return this.deadLetter(error);
    if (!this.lease.claim()) return false;
    const delayNs = Math.max(0, Math.round(delayMs)) * 1_000_000;
    await this.ctx.ledger.record(
      this.lane,
      this.pulled.streamSeq,
      error,
      this.failures + 1,
      delayNs > 0 ? 'delayed' : 'now',
    );
    await this.send(delayNs > 0 ? `-NAK ${JSON.stringify({ delay: delayNs })}` : '-NAK', 'retry');
    return true;
  }

  async deadLetter(error: string): Promise<boolean> {
    if (!this.lease.claim()) return false;
    await this.ctx.dead.park(this.pulled.body, this.message.id, this.pulled.deliveryCount, error);
    await this.send('+ACK', 'ack a dead-lettered message');
    return true;
  }

  extendLease(leaseMs: number): Promise<boolean> {
    return this.lease.extend(leaseMs);
  }

  private async send(payload: string, doing: string): Promise<void> {
    await this.ctx.conn.request(this.pulled.reply, payload, `${doing} (${this.lane.stream} #${this.pulled.streamSeq})`);
  }

  /** The lease ran out unsettled: record it as waiting, then make it deliverable now. */
  private async giveBack(): Promise<void> {
    try {
      await this.ctx.ledger.record(this.lane, this.pulled.streamSeq, this.lastError, this.failures, 'now');
      await this.send('-NAK', 'give back an expired lease');
    } catch {
      // Best effort: if either fails, the server's hold lapses and redelivers it anyway.
    }
  }
}
