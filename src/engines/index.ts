import { join, resolve } from 'node:path';
import type { MessagingEngine, StorageEngine, TelemetryStore } from '../ports/index.js';
import type { EngineOptions, StorageOptions } from './options.js';
import { engineFor, findEngine, UnknownEngineError } from './registry.js';
import { openSqliteTelemetryStore } from './sqlite/index.js';

/**
 * Engines are chosen by URL, 12-factor style. `sqlite:<dir>` (or `sqlite://<dir>`) is the embedded
 * default; `nats://` (JetStream) and `postgres://` are the self-hosted cluster, `sqs://` (with SNS)
 * and `dynamodb://` the AWS stack. The table of engines is registry.ts; fault injection's abilities
 * have their own face, chaos.ts.
 */
export type { EngineOptions, StorageOptions } from './options.js';
export { UnknownEngineError } from './registry.js';

/** Opens the queue/topic engine named by `url`; resolves once it is ready to use. */
export async function openMessaging(url: string, options: EngineOptions): Promise<MessagingEngine> {
  const { openMessaging: open } = await engineFor(url, 'queue');
  // The registry's entry says the engine serves queues; its module must then open them.
  if (open === undefined) throw new UnknownEngineError('queue', url);
  return open(url, options);
}

/** Opens the store/read-model engine named by `url`; resolves once it is ready to use. */
export async function openStorage(url: string, options: StorageOptions = { poolSize: 10 }): Promise<StorageEngine> {
  const { openStorage: open } = await engineFor(url, 'store');
  if (open === undefined) throw new UnknownEngineError('store', url);
  return open(url, options);
}

/** The ops console's telemetry store: always embedded, `<dataDir>/console.db`. */
export function openTelemetryStore(dataDir: string): TelemetryStore {
  return openSqliteTelemetryStore(join(resolve(dataDir), 'console.db'));
}

/**
 * Applies the store's pending schema migrations and returns their names, or `undefined` for an
 * engine without versioned migrations (SQLite creates its schema when it opens; DynamoDB has no
 * schema beyond its table, which the CDK stack owns on AWS and opening creates on an emulator).
 */
export async function migrateStorage(url: string): Promise<string[] | undefined> {
  return (await engineFor(url, 'store')).migrate?.(url);
}

/**
 * Removes everything a client-server engine keeps under this URL (NATS: the prefix's streams;
 * PostgreSQL: the schema; SQS: the queues and topic; DynamoDB: the table, on an emulator only). For
 * tests, benchmarks and demos that share a server, never production data. An embedded engine's
 * files are its data dir's business: nothing to do here.
 */
export async function destroyNamespace(url: string): Promise<void> {
  await (await findEngine(url))?.destroyNamespace?.(url);
}

/** The directory an embedded engine's URL names; undefined for a client-server engine. */
export async function embeddedDir(url: string): Promise<string | undefined> {
  return (await findEngine(url))?.embeddedDir?.(url);
}
