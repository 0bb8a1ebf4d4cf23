import type { MessagingEngine, StorageEngine } from '../ports/index.js';
import type { EngineOptions, StorageOptions } from './options.js';

/**
 * What an engine module offers, each ability optional: an engine serves the queues and topics, the
 * store and read model, or both. Every URL an ability takes is the engine's own (`nats://…`,
 * `sqlite:<dir>`): the engine parses it, nothing else does. Registered in registry.ts.
 */
export interface Engine {
  readonly openMessaging?: (url: string, options: EngineOptions) => Promise<MessagingEngine>;
  readonly openStorage?: (url: string, options: StorageOptions) => Promise<StorageEngine>;
  /**
   * Applies the store's pending schema migrations and returns their names. Absent for an engine
   * without versioned migrations (it creates its schema when it opens).
   */
  readonly migrate?: (url: string) => Promise<string[]>;
  /**
   * Removes everything the engine keeps under this URL: for tests, benchmarks and demos that share a
   * server, never production data. Absent where there is nothing shared to remove (an embedded
   * engine's files are its data dir's business).
   */
  readonly destroyNamespace?: (url: string) => Promise<void>;
  /** The directory an embedded engine keeps its files in; absent for a client-server engine. */
  readonly embeddedDir?: (url: string) => string;
  /** What fault injection can do to this engine; product code never uses it. */
  readonly chaos?: EngineChaos;
}

/** The faults an engine lets `exodus chaos` inject (each optional: a fault an engine lacks is refused by name). */
export interface EngineChaos {
  /**
   * Makes the store unavailable until `restore` runs (e.g. connections refused, a write lock held);
   * `what` says in words what was done, for the chaos journal.
   */
  readonly makeStoreUnavailable?: (url: string) => Promise<{ what: string; restore: () => Promise<void> }>;
  /** The broker process a restart experiment stops and starts: the first server the URL names. */
  readonly broker?: (url: string) => { host: string; port: number };
}
