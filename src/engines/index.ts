import { join, resolve } from 'node:path';
import type { MessagingEngine, StorageEngine, TelemetryStore } from '../ports/index.js';
import type * as DynamoEngine from './dynamodb/index.js';
import type * as NatsEngine from './nats/index.js';
import { parseNatsUrl } from './nats/url.js';
import type { EngineOptions, StorageOptions } from './options.js';
import type * as PostgresEngine from './postgres/index.js';
import { openSqliteMessaging, openSqliteStorage, openSqliteTelemetryStore } from './sqlite/index.js';
import type * as SqsEngine from './sqs/index.js';

// The client-server engines and their clients load only when a URL asks for them: a process on the
// embedded default neither pays their start-up time nor keeps their code in memory.
const nats = (): Promise<typeof NatsEngine> => import('./nats/index.js');
const postgres = (): Promise<typeof PostgresEngine> => import('./postgres/index.js');
const dynamodb = (): Promise<typeof DynamoEngine> => import('./dynamodb/index.js');
const sqs = (): Promise<typeof SqsEngine> => import('./sqs/index.js');

/**
 * Engines are chosen by URL, 12-factor style. `sqlite:<dir>` (or `sqlite://<dir>`) is the embedded
 * default; `nats://` (JetStream) and `postgres://` are the self-hosted cluster, `sqs://` (with SNS)
 * and `dynamodb://` the AWS stack.
 */
export type { EngineOptions, StorageOptions } from './options.js';

/** Opens the queue/topic engine named by `url`; resolves once it is ready to use. */
export async function openMessaging(url: string, options: EngineOptions): Promise<MessagingEngine> {
  const { scheme, rest } = splitUrl(url);
  switch (scheme) {
    case 'sqlite':
      return openSqliteMessaging(resolve(rest), options);
    case 'nats':
      return (await nats()).openNatsMessaging(url, options);
    case 'sqs':
      return (await sqs()).openSqsMessaging(url, options);
    default:
      throw new UnknownEngineError('queue', url);
  }
}

/** Opens the store/read-model engine named by `url`; resolves once it is ready to use. */
export async function openStorage(url: string, options: StorageOptions = { poolSize: 10 }): Promise<StorageEngine> {
  const { scheme, rest } = splitUrl(url);
  switch (scheme) {
    case 'sqlite':
      return openSqliteStorage(resolve(rest));
    case 'postgres':
    case 'postgresql':
      return (await postgres()).openPostgresStorage(url, options);
    case 'dynamodb':
      return (await dynamodb()).openDynamoStorage(url);
    default:
      throw new UnknownEngineError('store', url);
  }
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
  const { scheme } = splitUrl(url);
  switch (scheme) {
    case 'sqlite':
    case 'dynamodb':
      return undefined;
    case 'postgres':
    case 'postgresql':
      return (await postgres()).migratePostgres(url);
    default:
      throw new UnknownEngineError('store', url);
  }
}

/**
 * Removes everything a client-server engine keeps under this URL (NATS: the prefix's streams;
 * PostgreSQL: the schema; DynamoDB: the table, on an emulator only). For tests, benchmarks and demos
 * that share a server, never production data. An embedded engine's files are its data dir's
 * business: nothing to do here.
 */
export async function destroyNamespace(url: string): Promise<void> {
  const { scheme } = splitUrl(url);
  if (scheme === 'nats') await (await nats()).deleteNatsNamespace(url);
  else if (scheme === 'sqs') await (await sqs()).deleteSqsNamespace(url);
  else if (scheme === 'postgres' || scheme === 'postgresql') await (await postgres()).dropPostgresSchema(url);
  else if (scheme === 'dynamodb') await (await dynamodb()).deleteDynamoTable(url);
}

/**
 * Makes the store unavailable until the returned `restore` runs (chaos experiments): PostgreSQL
 * refuses connections to its database and ends the open ones; SQLite's store file is write-locked.
 * `what` says in words what was done, for the journal.
 */
export async function makeStoreUnavailable(url: string): Promise<{ what: string; restore: () => Promise<void> }> {
  const { scheme, rest } = splitUrl(url);
  switch (scheme) {
    case 'sqlite': {
      const { lockSqliteStore } = await import('./sqlite/outage.js');
      const { file, restore } = lockSqliteStore(resolve(rest));
      return { what: `write lock held on ${file}`, restore };
    }
    case 'postgres':
    case 'postgresql': {
      const { blockPostgres } = await import('./postgres/outage.js');
      const { database, restore } = await blockPostgres(url);
      return { what: `connections to database ${database} refused and its sessions ended`, restore };
    }
    default:
      throw new UnknownEngineError('store', url);
  }
}

/** The directory an embedded (`sqlite:`) URL names; undefined for a client-server engine. */
export function embeddedDir(url: string): string | undefined {
  const { scheme, rest } = splitUrl(url);
  return scheme === 'sqlite' ? resolve(rest) : undefined;
}

/** The first broker (`host:port`) a `nats://` URL names; undefined for another engine. */
export function natsBroker(url: string): { host: string; port: number } | undefined {
  if (splitUrl(url).scheme !== 'nats') return undefined;
  const [host = '', port] = (parseNatsUrl(url).servers[0] ?? '').replace(/^\[(.*)\]/, '$1').split(/:(?=\d+$)/);
  return { host, port: Number(port ?? 4222) };
}

export class UnknownEngineError extends Error {
  constructor(role: string, url: string) {
    super(
      `no ${role} engine for "${url}" (known: sqlite:<dir>, ${role === 'queue' ? 'nats://host:port, sqs://region/name' : 'postgres://host:port/db, dynamodb://region/table'})`,
    );
  }
}

function splitUrl(url: string): { scheme: string; rest: string } {
  const match = /^([a-z][a-z0-9+.-]*):(?:\/\/)?(.*)$/i.exec(url);
  if (!match?.[1] || match[2] === undefined) return { scheme: '', rest: url };
  return { scheme: match[1].toLowerCase(), rest: match[2] };
}
