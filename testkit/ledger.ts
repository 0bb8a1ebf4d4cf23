import { isNewer, type Destination } from '../src/domain/index.js';
import { expectedTally, type LedgerEntry } from '../src/ops/index.js';

/**
 * The client's side of the bargain, for tests that must prove nothing was lost: every 202 the API
 * gave is written down here, and the expected end state (which wish of each evacuee is current, the
 * tally) is derived from it independently of the system under test, the way `exodus audit` does.
 */
export type AcceptedWish = LedgerEntry;

export class Ledger {
  readonly accepted: AcceptedWish[] = [];

  record(wish: AcceptedWish): void {
    this.accepted.push(wish);
  }

  /** Last writer wins by `(submittedAt, id)`: the wish each evacuee must end with, by evacuee id. */
  newestPerEvacuee(): Map<string, AcceptedWish> {
    const newest = new Map<string, AcceptedWish>();
    for (const wish of this.accepted) {
      const current = newest.get(wish.evacueeId);
      if (isNewer(wish, current)) newest.set(wish.evacueeId, wish);
    }
    return newest;
  }

  /** Distinct evacuees with an accepted wish, by the destination of their newest one (the audit's computation). */
  expectedTally(): Record<Destination, number> {
    return { ...expectedTally(this.accepted) };
  }
}
