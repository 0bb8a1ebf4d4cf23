import { engineFor, findEngine } from './registry.js';

/**
 * The engines' face for fault injection (`exodus chaos`), apart from the one product code uses:
 * what an experiment can do to the engine a URL names.
 */

/**
 * Makes the store unavailable until the returned `restore` runs (PostgreSQL: connections to its
 * database refused and the open ones ended; SQLite: the store file write-locked). `what` says in
 * words what was done, for the journal.
 */
export async function makeStoreUnavailable(url: string): Promise<{ what: string; restore: () => Promise<void> }> {
  const fault = (await engineFor(url, 'store')).chaos?.makeStoreUnavailable;
  if (fault === undefined) throw new Error(`a store outage cannot be injected into ${url.split('?')[0] ?? url}`);
  return fault(url);
}

/** The broker (`host:port`) a restart experiment stops and starts; undefined for an engine without one. */
export async function messagingBroker(url: string): Promise<{ host: string; port: number } | undefined> {
  return (await findEngine(url, 'queue'))?.chaos?.broker?.(url);
}
