/**
 * Tells when the server this client is connected to has stopped serving JetStream while the socket
 * stays up: a node cut off from the rest of its cluster still answers pings, but every publish and
 * ack through it times out (its stream copies cannot reach a quorum). nats.js only moves to another
 * server when the socket drops, so a client would stay on the stranded node for the whole partition
 * (found by the lab's `nats-leader-partition`: a frontend refused every wish for 20 s while the other
 * two nodes served). After `stalledMs` of nothing but such failures the connection is moved.
 */
export class StallWatch {
  private failingSince: number | undefined;

  constructor(
    /** Longer than a stream leader election (4–9 s on NATS 2.9), so an election alone never moves a client. */
    private readonly stalledMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A request or publish through the server succeeded: it serves. */
  served(): void {
    this.failingSince = undefined;
  }

  /** One timed out or found no responder; true when the server has served nothing for `stalledMs` (the clock starts again). */
  failed(): boolean {
    const now = this.now();
    this.failingSince ??= now;
    if (now - this.failingSince < this.stalledMs) return false;
    this.failingSince = undefined;
    return true;
  }
}
