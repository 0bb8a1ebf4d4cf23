import { randomBytes } from 'node:crypto';
import { reachable } from '../../src/ops/index.js';
import type { StorageEngine } from '../../src/ports/index.js';
import { ownedStorage } from './owned.js';

/** The test server: trust auth on 127.0.0.1:5432, database `test`; override with EXODUS_TEST_POSTGRES_URL. */
export const TEST_POSTGRES_URL = process.env['EXODUS_TEST_POSTGRES_URL'] ?? 'postgres://127.0.0.1:5432/test';

const server = new URL(TEST_POSTGRES_URL);
const host = server.hostname || '127.0.0.1';
const port = Number(server.port || 5432);

/** Why the PostgreSQL contract cannot run here (no server), or undefined when it can. */
export const POSTGRES_UNAVAILABLE: string | undefined = (await reachable(host, port))
  ? undefined
  : `no PostgreSQL server at ${host}:${port} (set EXODUS_TEST_POSTGRES_URL)`;

/** A schema name no other test (in this or another process) uses. */
export function testSchemaName(): string {
  return `exodus_test_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** The test server's URL with `?schema=` set. */
export function testPostgresUrl(schema: string): string {
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set('schema', schema);
  return url.toString();
}

/** A fresh, empty PostgreSQL storage engine (own schema), dropped again on close. */
export function openTestPostgresStorage(): Promise<StorageEngine> {
  return ownedStorage(testPostgresUrl(testSchemaName()), { poolSize: 4 });
}
