import { Client } from 'pg';
import { quoteIdent, type ConnectionTarget } from './connection.js';
import { classify } from './errors.js';
import { MIGRATIONS } from './migrations.js';

/**
 * First key of the advisory lock that serialises migrations (an arbitrary constant, how the lock
 * shows in pg_locks.classid); the second is the schema's hash, so engines in different schemas of
 * one database (test runs, tenants) never wait for each other.
 */
const MIGRATION_LOCK = 0x0e0d05;

/**
 * Applies the migrations the schema lacks, in version order; returns their names (empty when up to
 * date). Safe when many processes start at once: each takes a session advisory lock first, so one
 * migrates while the others wait and then find nothing to do. The lock lives on a connection of its
 * own, released when that connection ends, even if this process dies mid-way.
 */
export async function migrate(target: ConnectionTarget): Promise<string[]> {
  // Unbounded: an index build may take minutes, and the lock is waited for while another process migrates.
  const client = new Client({ ...target.config, statement_timeout: 0, query_timeout: 0 });
  // A dropped connection while we wait is reported by the failing query; this keeps it from crashing.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [MIGRATION_LOCK, target.schema]);
    return await applyPending(client, target.schema);
  } catch (error) {
    throw classify(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function applyPending(client: Client, schema: string): Promise<string[]> {
  const quoted = quoteIdent(schema);
  // Checked before creating: CREATE SCHEMA IF NOT EXISTS still demands the CREATE privilege on the
  // database, which a production role that only owns an existing schema may rightly lack.
  const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${quoted}`);
  await client.query(`
    CREATE TABLE IF NOT EXISTS ${quoted}.schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  const done = await client.query<{ version: number }>(`SELECT version FROM ${quoted}.schema_migrations`);
  const applied = new Set(done.rows.map((row) => row.version));
  const names: string[] = [];
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    // All of a migration or none of it: DDL is transactional in PostgreSQL.
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL search_path TO ${quoted}`);
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    names.push(migration.name);
  }
  return names;
}
