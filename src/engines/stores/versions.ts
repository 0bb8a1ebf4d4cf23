import { compareVersions, emptyTally, ValidationError, type Destination, type ParsedWish } from '../../domain/index.js';
import type { Tally } from '../../ports/index.js';

/**
 * A submittedAt as the instant engines order by: what `Date.parse` makes of it, as an ISO string at
 * millisecond precision, so a store's `(submitted_at, wish_id)` order is the domain's `compareVersions` exactly.
 */
export function versionTime(submittedAt: string): string {
  const ms = Date.parse(submittedAt);
  if (Number.isNaN(ms)) throw new ValidationError([{ field: 'submittedAt', reason: 'is not a date' }]);
  return new Date(ms).toISOString();
}

/** Rows of (destination, n) as a tally naming every destination, unknown ones left out. */
export function toTally(rows: readonly { destination: string; n: number }[]): Tally {
  const tally = emptyTally();
  for (const row of rows) if (Object.hasOwn(tally, row.destination)) tally[row.destination as Destination] = row.n;
  return tally;
}

/** The newest wish of each evacuee among concurrent writes (the first of equal versions): a statement may touch a row only once. */
export function newestPerEvacuee<W extends Pick<ParsedWish, 'id' | 'evacueeId' | 'submittedAt'>>(
  wishes: readonly W[],
): W[] {
  const newest = new Map<string, W>();
  for (const wish of wishes) {
    const current = newest.get(wish.evacueeId);
    if (current === undefined || compareVersions(wish, current) > 0) newest.set(wish.evacueeId, wish);
  }
  return [...newest.values()];
}
