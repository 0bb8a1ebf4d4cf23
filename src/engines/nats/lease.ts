import { HOLD_MS } from './streams.js';

/**
 * Settles are refused this long before the server's hold may end, so a settle checked "in time"
 * still reaches the server in time despite network and event-loop delays.
 */
const SAFETY_MS = 500;
/** Renew the server's hold when this little of it is left (half of it: one lost renewal is survivable). */
const RENEW_BEFORE_MS = HOLD_MS / 2;
/** After a failed renewal, try again this soon (until the hold is as good as gone). */
const RENEW_RETRY_MS = 100;

export interface LeaseHooks {
  /** Tells the server the holder works on (`+WPI`), restarting its hold; rejects if it could not. */
  renew(): Promise<void>;
  /** The lease ran out while the server still holds the message: give it back now (best effort, never rejects). */
  giveBack(): Promise<void>;
}

/**
 * A lease of any length on top of the consumer's fixed `ack_wait` (the server's "hold").
 *
 * JetStream gives every delivery of a consumer the same `ack_wait`, but `receive(max, leaseMs)` and
 * `extendLease(leaseMs)` choose a length per call. So the lease lives here, in the holder: a
 * deadline, plus a timer that renews the server's hold (`+WPI`) while the deadline lies beyond it
 * and, when the deadline passes unsettled, gives the message back at once (`-NAK`). A live holder's
 * lease is therefore exact in both directions; a dead holder's messages come back when the hold
 * lapses, at most `HOLD_MS` after its last renewal.
 *
 * Expiry is detected here too, and that is what makes a late settle safe: JetStream acks by stream
 * sequence, so an ack sent after the message was redelivered would remove it from its new holder.
 * A settle is only sent while both the deadline and the server's hold (a lower bound: the time a
 * renewal was *sent* plus `HOLD_MS`) are ahead; the server cannot have redelivered before either.
 */
export class Lease {
  private deadlineAt: number;
  private holdUntil: number;
  private state: 'held' | 'settled' | 'lapsed' = 'held';
  private timer: NodeJS.Timeout | undefined;

  /** `pulledAt`: `performance.now()` when the pull request was sent, before the server started its hold. */
  constructor(
    pulledAt: number,
    leaseMs: number,
    private readonly hooks: LeaseHooks,
    private readonly live: Set<Lease>,
  ) {
    this.deadlineAt = pulledAt + leaseMs;
    this.holdUntil = pulledAt + HOLD_MS;
    live.add(this);
    this.schedule();
  }

  /** Whether the holder may still settle; notices (and acts on) an expiry the timer has not yet. */
  isHeld(): boolean {
    if (this.state !== 'held') return false;
    if (performance.now() < Math.min(this.deadlineAt, this.holdUntil - SAFETY_MS)) return true;
    this.lapse();
    return false;
  }

  /** Takes the delivery's one settle: true if it is still held (and now settled), false otherwise. */
  claim(): boolean {
    if (!this.isHeld()) return false;
    this.end('settled');
    return true;
  }

  /** Moves the deadline to `leaseMs` from now and renews the server's hold. */
  async extend(leaseMs: number): Promise<boolean> {
    if (!this.isHeld()) return false;
    this.deadlineAt = performance.now() + leaseMs;
    this.schedule();
    await this.renew();
    return this.isHeld();
  }

  /** The engine is closing: hand the message back now rather than when the hold lapses. */
  abandon(): Promise<void> {
    const giveBack = this.state === 'held' && performance.now() < this.holdUntil - SAFETY_MS;
    this.end('lapsed');
    return giveBack ? this.hooks.giveBack() : Promise.resolve();
  }

  private lapse(): void {
    // Giving back is only safe while the server still holds it for us (see the class comment).
    const serverStillHolds = performance.now() < this.holdUntil - SAFETY_MS;
    this.end('lapsed');
    if (serverStillHolds) void this.hooks.giveBack();
  }

  private end(state: 'settled' | 'lapsed'): void {
    this.state = state;
    clearTimeout(this.timer);
    this.live.delete(this);
  }

  private async renew(): Promise<void> {
    const sentAt = performance.now();
    await this.hooks.renew();
    this.holdUntil = Math.max(this.holdUntil, sentAt + HOLD_MS);
    this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.state !== 'held') return;
    const renewAt = this.holdUntil - RENEW_BEFORE_MS;
    this.fireIn(Math.min(this.deadlineAt, renewAt) - performance.now());
  }

  private fireIn(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), Math.max(0, delayMs));
    // A lease never keeps a process alive on its own.
    this.timer.unref();
  }

  private fire(): void {
    if (!this.isHeld()) return; // lapsed: `isHeld` gave the message back
    if (performance.now() < this.holdUntil - RENEW_BEFORE_MS) return this.schedule();
    this.renew().catch(() => this.fireIn(RENEW_RETRY_MS));
  }
}
