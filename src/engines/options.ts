/** What every messaging engine is opened with. */
export interface EngineOptions {
  /** Deliveries of one message before it is dead-lettered. */
  readonly maxAttempts: number;
}

/** What every storage engine is opened with. */
export interface StorageOptions {
  /** Connections a client-server store may hold open (PostgreSQL): a bound, never a target. */
  readonly poolSize: number;
}
