import pg from 'pg';
import { connectionTarget, quoteIdent } from './connection.js';

/**
 * Makes the store's database unavailable, as a stopped server is to its clients, without owning the
 * server process: new connections are refused (`ALLOW_CONNECTIONS false`) and every open session of
 * that database is ended. Needs a superuser (or the database's owner with `pg_signal_backend`).
 * Resolves with the undo, which lets connections in again; run it on every exit, or the database
 * stays closed (by hand: `ALTER DATABASE "<db>" ALLOW_CONNECTIONS true`, from another database).
 */
export async function blockPostgres(url: string): Promise<{ database: string; restore: () => Promise<void> }> {
  const target = connectionTarget(url);
  const parsed = new URL(target.config.connectionString ?? url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '' || database === 'postgres')
    throw new Error('store outage: the store URL must name its database (not postgres, where the outage is run from)');
  // Run from the maintenance database: a session in the blocked one would be ended with the rest.
  parsed.pathname = '/postgres';
  const admin = new pg.Client({
    connectionString: parsed.toString(),
    application_name: 'exodus-chaos',
    connectionTimeoutMillis: 5_000,
  });
  await admin.connect();
  const run = async (sql: string, params: unknown[] = []): Promise<void> => {
    await admin.query(sql, params);
  };
  try {
    await run(`ALTER DATABASE ${quoteIdent(database)} ALLOW_CONNECTIONS false`);
    await run('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
      database,
    ]);
  } catch (error) {
    await run(`ALTER DATABASE ${quoteIdent(database)} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin.end();
    throw error;
  }
  return {
    database,
    restore: async () => {
      try {
        await run(`ALTER DATABASE ${quoteIdent(database)} ALLOW_CONNECTIONS true`);
      } finally {
        await admin.end();
      }
    },
  };
}
