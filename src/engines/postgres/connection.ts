import { userInfo } from 'node:os';
import type { ClientConfig } from 'pg';

/** Where the engine keeps its tables when the URL names no `schema`. */
export const DEFAULT_SCHEMA = 'exodus';

/**
 * Lowercase, unquoted-identifier names only: the name travels unquoted in the connection's
 * `search_path` option and quoted in DDL, and the two agree only when PostgreSQL would not fold it.
 */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * How long one statement may take. The server cancels it at `statement_timeout` (SQLSTATE 57014, a
 * TransientError; the connection stays usable), so the client's own `query_timeout`, later, fires
 * only when no answer can come: the server or the path to it is gone (a partitioned primary, a node
 * that died without a FIN). Then the call fails with a TransientError and the connection is thrown
 * away (database.ts), never reused with a statement still in flight on it. A COMMIT cut off that way
 * may have committed: its retry is safe because every write here is idempotent (database.ts).
 * The longest statements of the serving path (a consumer's batch, an audit page) take milliseconds;
 * 10 s also ends a wait for a row lock held by a frozen writer before the server's 60 s
 * `idle_in_transaction_session_timeout` would. Migrations run without either bound (migrate.ts).
 * A URL's own `statement_timeout` / `query_timeout` parameters (milliseconds) win.
 */
export const CALL_BOUNDS = { statement_timeout: 10_000, query_timeout: 15_000 } as const;

export interface ConnectionTarget {
  /** For `pg`: the URL without our `schema` parameter, plus the session settings we rely on. */
  readonly config: ClientConfig;
  readonly schema: string;
}

/**
 * Reads `postgres://[user[:password]@]host[:port]/db?schema=NAME` (or `postgresql://`). `schema` is
 * ours and is stripped; every other parameter (sslmode, application_name, options, ...) goes to pg.
 * The schema becomes the session's `search_path`, so every statement, ours and an operator's psql
 * session opened the same way, resolves table names in it.
 */
export function connectionTarget(url: string): ConnectionTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL may hold a password: never echo it.
    throw new Error('the PostgreSQL store URL is not a URL (expected postgres://host:port/db?schema=NAME)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`the PostgreSQL store URL must start postgres:// or postgresql://, not ${parsed.protocol}//`);
  }
  const schema = parsed.searchParams.get('schema') ?? DEFAULT_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(
      `schema "${schema}" in the PostgreSQL store URL must be a lowercase identifier (a-z, 0-9, _; at most 63)`,
    );
  }
  parsed.searchParams.delete('schema');
  // No user anywhere: log in as the OS user, as libpq (psql) does. pg would fall back to $USER only,
  // which containers and service managers often leave unset, and send no user at all.
  if (parsed.username === '' && !parsed.searchParams.has('user') && !process.env['PGUSER'] && !process.env['USER']) {
    parsed.username = encodeURIComponent(userInfo().username);
  }
  // pg lets a connection string's parameters override the config object, so an `options` given in
  // the URL is merged here rather than silently replacing our search_path (or being replaced by it).
  const extraOptions = parsed.searchParams.get('options');
  parsed.searchParams.delete('options');
  return {
    schema,
    config: {
      connectionString: parsed.toString(),
      options: [extraOptions, `-c search_path=${schema}`].filter((part) => part !== null && part !== '').join(' '),
      application_name: 'exodus',
      // Gives up on an unreachable server in 5 s (a TransientError the caller retries) instead of
      // hanging a request or a consumer batch on the OS connect timeout.
      connectionTimeoutMillis: 5_000,
      // Notices an idle connection's peer that vanished without a FIN (a dead node, a failover
      // behind HAProxy, a dropped NAT entry) after 10 s idle, not the OS's default 2 hours.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      ...CALL_BOUNDS,
      // A process frozen inside a transaction (SIGSTOP, a long GC pause, a hung host) would hold its
      // row locks and stall every writer of the same evacuee or tally row; the server ends it after 60 s.
      idle_in_transaction_session_timeout: 60_000,
    },
  };
}

/** Double-quotes an identifier for DDL (the name is already checked; this is belt and braces). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
