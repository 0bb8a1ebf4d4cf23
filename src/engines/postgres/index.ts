import type { StorageEngine } from '../../ports/index.js';
import type { Engine } from '../engine.js';
import type { StorageOptions } from '../options.js';
import { connectionTarget, quoteIdent } from './connection.js';
import { Database } from './database.js';
import { migrate } from './migrate.js';
import { PostgresReadModel } from './read-model.js';
import { PostgresWishStore } from './wish-store.js';

/**
 * The client-server store: the system of record and the read model in one PostgreSQL schema
 * (`postgres://host:port/db?schema=NAME`, default `exodus`), shared by every process and replica.
 * Opening migrates first (concurrent starts are safe), so a fresh database needs no separate step;
 * `exodus migrate` does the same ahead of a deploy. Resolves once the schema is current.
 */
export async function openPostgresStorage(url: string, options: StorageOptions): Promise<StorageEngine> {
  const target = connectionTarget(url);
  await migrate(target);
  const db = new Database(target.config, options.poolSize);
  return {
    store: new PostgresWishStore(db),
    readModel: new PostgresReadModel(db),
    ping: async () => {
      await db.query({ text: 'SELECT 1' });
    },
    close: () => db.close(),
  };
}

/** Drops the URL's schema and everything in it: for tests, benchmarks and demos, never production data. */
export async function dropPostgresSchema(url: string): Promise<void> {
  const target = connectionTarget(url);
  const db = new Database(target.config, 1);
  try {
    await db.query({ text: `DROP SCHEMA IF EXISTS ${quoteIdent(target.schema)} CASCADE` });
  } finally {
    await db.close();
  }
}

/** Creates or updates the schema (versioned migrations); safe to run concurrently. Returns the names applied. */
export async function migratePostgres(url: string): Promise<string[]> {
  return migrate(connectionTarget(url));
}

export const engine: Engine = {
  openStorage: openPostgresStorage,
  migrate: migratePostgres,
  destroyNamespace: dropPostgresSchema,
  chaos: {
    makeStoreUnavailable: async (url) => {
      const { blockPostgres } = await import('./outage.js');
      const { database, restore } = await blockPostgres(url);
      return { what: `connections to database ${database} refused and its sessions ended`, restore };
    },
  },
};
