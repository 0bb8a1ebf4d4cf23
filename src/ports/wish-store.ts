import type { Destination, Evacuee, ParsedWish, WallItem, WishStatus } from '../domain/index.js';

/** What became of a wish put to the store; `duplicate` means that id was there already (a redelivery). */
export type PutOutcome = 'stored' | 'superseded' | 'duplicate';

/** An accepted wish the parser refused, and why. */
export interface Rejection {
  readonly id: string;
  readonly evacueeId: string;
  readonly submittedAt: string;
  readonly reason: string;
}

export interface WishRecord {
  readonly id: string;
  readonly evacueeId: string;
  readonly status: Exclude<WishStatus, 'pending'>;
  readonly reason?: string;
  readonly submittedAt: string;
  readonly wish?: ParsedWish;
}

/**
 * The system of record. One current wish per evacuee, last-writer-wins by `(submittedAt, id)`.
 * - `put` is idempotent by wish id and conditional on the version: an older wish arriving late is
 *   recorded `superseded` and never replaces a newer one; the wish it replaces becomes `superseded`.
 * - `reject` records a rejection once; a later `put` of the same id is a duplicate.
 * Both are durable when they resolve.
 */
export interface WishStore {
  put(wish: ParsedWish): Promise<PutOutcome>;
  reject(rejection: Rejection): Promise<void>;
  get(id: string): Promise<WishRecord | undefined>;
  registerEvacuees(evacuees: readonly Evacuee[]): Promise<number>;
  /** Every record, for the audit; pages by id. */
  scan(afterId: string | undefined, limit: number): Promise<WishRecord[]>;
  /** Current wishes by destination, straight from the system of record (what the tally must equal). */
  countCurrent(): Promise<Tally>;
}

export type Tally = Readonly<Record<Destination, number>>;

export interface WallPage {
  readonly items: WallItem[];
  /** Opaque; pass back as `cursor` for the next page. Null at the end. */
  readonly next: string | null;
}

/** A synthetic canary wish the read model took (see domain/canary.ts): its id and version, nothing shown. */
export interface CanaryNote {
  readonly id: string;
  readonly submittedAt: string;
}

/**
 * The read model behind the wall and the tally: the current wish of each evacuee, and counts by
 * destination. `apply` is idempotent and order-insensitive (same version rule as the store), so
 * duplicates and reordering never move a count twice; a change of destination moves it once.
 * The canary's wishes are never applied: `noteCanary` keeps the newest one taken (by the same
 * version rule; true when it is newer than the one kept), durable when it resolves, and
 * `lastCanary` reads it back, so the canary can tell its wish reached the read model while the wall
 * and the tally never show it.
 */
export interface ReadModel {
  apply(wish: ParsedWish): Promise<boolean>;
  wall(query: { destination?: Destination; limit: number; cursor?: string }): Promise<WallPage>;
  tally(): Promise<Tally>;
  noteCanary(wish: CanaryNote): Promise<boolean>;
  lastCanary(): Promise<CanaryNote | undefined>;
}
