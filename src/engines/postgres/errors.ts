import { PermanentError, TransientError } from '../../domain/index.js';
import { SOCKET_OUTAGE_CODES } from '../shared/errors.js';

/**
 * SQLSTATEs that mean "the server could not do it now", not "it cannot be done": a retry with
 * backoff may pass. Class 08 is every connection exception.
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const TRANSIENT_SQLSTATES = new Set([
  '25006', // read_only_sql_transaction: a write that reached a standby (a failover under way, a stale route)
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '53300', // too_many_connections
  '57014', // query_canceled (statement_timeout, or an operator's cancel)
  '57P01', // admin_shutdown (a restart or failover in progress)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, or in recovery)
]);

/**
 * pg reports some losses only in words: a connection dropped mid-query, a pool that found no free
 * client within `connectionTimeoutMillis`, a client whose socket already failed, a statement that
 * got no answer within `query_timeout` ("Query read timeout"). A database closed to
 * connections for maintenance (`ALLOW_CONNECTIONS false`, SQLSTATE 55000, a class that is otherwise
 * about the data's state) is told by its words too.
 */
const TRANSIENT_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|connection timeout|not queryable|Client was closed|is not currently accepting connections|Query read timeout/i;

/**
 * Turns a driver error into the domain's retry meaning. Transient: the server or the path to it is
 * unavailable or busy. Permanent: the data itself is wrong (class 22, e.g. a NUL byte or an
 * impossible timestamp; class 23, a broken constraint), so the same message would fail forever and
 * belongs in the dead-letter queue now. Anything else (a missing table, a syntax error: a bug or an
 * unapplied migration) stays a plain error, which consumers retry and finally dead-letter.
 */
export function classify(error: unknown): unknown {
  if (error instanceof TransientError || error instanceof PermanentError) return error;
  const code = (error as { code?: unknown } | null | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string') {
    if (TRANSIENT_SQLSTATES.has(code) || code.startsWith('08') || SOCKET_OUTAGE_CODES.has(code)) {
      return new TransientError('postgres_unavailable', `PostgreSQL unavailable: ${message}`, { cause: error });
    }
    if (code.startsWith('22') || code.startsWith('23')) {
      return new PermanentError('postgres_bad_data', `PostgreSQL refused the data: ${message}`, { cause: error });
    }
  }
  if (TRANSIENT_MESSAGES.test(message)) {
    return new TransientError('postgres_unavailable', `PostgreSQL unavailable: ${message}`, { cause: error });
  }
  return error;
}

/** A batch of writes that failed for something other than an outage may have failed for one wish: retry each alone. */
export function isolatable(error: unknown): boolean {
  return !(error instanceof TransientError);
}
