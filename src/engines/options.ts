import { DEFAULT_MAX_LEASE_LAPSES } from '../ports/index.js';

/** What every messaging engine is opened with. */
export interface EngineOptions {
  /** Failed attempts at one message before it is dead-lettered. */
  readonly maxAttempts: number;
  /** Deliveries of one message that may end unsettled (its holder died) before it is dead-lettered. */
  readonly maxLeaseLapses?: number;
}

export function engineLimits(options: EngineOptions): Required<EngineOptions> {
  return { maxAttempts: options.maxAttempts, maxLeaseLapses: options.maxLeaseLapses ?? DEFAULT_MAX_LEASE_LAPSES };
}

/** What every storage engine is opened with. */
export interface StorageOptions {
  /** Connections a client-server store may hold open (PostgreSQL): a bound, never a target. */
  readonly poolSize: number;
}
