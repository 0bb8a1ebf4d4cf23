import { Pool, type ClientConfig, type PoolClient, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';
import { TransientError } from '../../domain/index.js';
import { withClassifiedErrors } from '../shared/errors.js';
import { classify } from './errors.js';

/** What a statement runs on: the pool (one statement, its own transaction) or a transaction's client. */
export interface Queryable {
  query<R extends QueryResultRow>(query: QueryConfig): Promise<QueryResult<R>>;
}

/**
 * The engine's one pool, bounded: `poolSize` is how many connections this process may hold, so N
 * replicas hold at most N × poolSize of the server's `max_connections`. Every error that leaves it
 * is classified (see errors.ts), so callers see TransientError / PermanentError, never pg's.
 */
export class Database implements Queryable {
  private readonly pool: Pool;
  private closing: Promise<void> | undefined;

  constructor(config: ClientConfig, poolSize: number) {
    this.pool = new Pool({
      ...config,
      max: poolSize,
      // Connections idle for 30 s are closed: a burst's extra connections go back to the server.
      idleTimeoutMillis: 30_000,
    });
    // An idle client whose server went away (restart, failover, idle timeout on a proxy) emits
    // 'error' on the pool; unheard, that would crash the process. The pool has already dropped the
    // client, and the next query opens a fresh connection or fails with a classified error.
    this.pool.on('error', () => undefined);
  }

  async query<R extends QueryResultRow>(query: QueryConfig): Promise<QueryResult<R>> {
    this.assertOpen();
    return withClassifiedErrors(() => this.pool.query<R>(query), classify);
  }

  /**
   * Runs `work` in one READ COMMITTED transaction on one connection, committed when it resolves and
   * rolled back when it throws. A COMMIT whose answer never came (the connection dropped, or no
   * answer within `query_timeout`: a failover, a partition) may or may not have committed; it
   * surfaces as a TransientError and the caller runs the same writes again. That is safe because
   * every write here is idempotent: a wish's id is claimed once (a second put of it answers
   * `duplicate`), `current_wishes` and the wall change only for a newer version, and the tally moves
   * only with a wall row that changed. test/integration/postgres-commit-unknown.test.ts cuts
   * connections around the COMMIT to prove it.
   */
  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    this.assertOpen();
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw classify(error);
    }
    let broken = false;
    // A checked-out client has no 'error' listener of the pool's: a connection that drops between two
    // of its queries (the server stopped) would emit an unheard 'error' and crash the process. Heard,
    // the client is only marked broken; the query in progress fails and is classified below.
    const dropped = (): void => {
      broken = true;
    };
    client.on('error', dropped);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      const classified = classify(error);
      // A connection that failed for a transient reason is thrown away, not asked to roll back (the
      // server rolls back a session that ends mid-transaction): it may have dropped, may still carry
      // a statement that got no answer (query_timeout), or may reach a standby after a failover (read
      // only), and the next connection goes through the proxy to the current primary. One that
      // cannot even roll back is not handed to the next caller either.
      if (broken || classified instanceof TransientError) broken = true;
      else await client.query('ROLLBACK').catch(() => (broken = true));
      throw classified;
    } finally {
      client.off('error', dropped);
      client.release(broken);
    }
  }

  /** Waits for checked-out connections to come back, then closes them all; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new TransientError('engine_closed', 'the PostgreSQL store is closed');
  }
}
