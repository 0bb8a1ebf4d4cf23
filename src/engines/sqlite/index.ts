import { join, resolve } from 'node:path';
import { TransientError } from '../../domain/index.js';
import {
  QUEUES,
  SUBSCRIPTIONS,
  type MessagingEngine,
  type Queue,
  type QueueName,
  type StorageEngine,
  type Topic,
} from '../../ports/index.js';
import type { Engine } from '../engine.js';
import { engineLimits, type EngineOptions } from '../options.js';
import { Arrivals } from './arrivals.js';
import { openDatabase, WriteBatcher, type Db } from './database.js';
import { QUEUE_SCHEMA, SqliteQueue, upgradeQueueSchema } from './queue.js';
import { READ_MODEL_SCHEMA, SqliteReadModel } from './read-model.js';
import { FanOutTopic } from './topic.js';
import { SqliteWishStore, STORE_SCHEMA } from './wish-store.js';

/**
 * The embedded engine: a data directory of SQLite files that every process on the machine opens.
 * Each queue is its own file (`queues/<name>.db`), the system of record is `store.db`, the read
 * model `wall.db`: SQLite has one write lock per file, so the frontend only ever waits for the
 * parser, and the worker never for the tally.
 */
export function openSqliteMessaging(dir: string, options: EngineOptions): MessagingEngine {
  const databases: Db[] = [];
  const queues = new Map<QueueName, Queue>();
  let closed = false;
  const queue = (name: QueueName): Queue => {
    if (closed) throw new TransientError('engine_closed', 'the queue engine is closed');
    let found = queues.get(name);
    if (found === undefined) {
      const file = join(dir, 'queues', `${name}.db`);
      const db = openDatabase(file, QUEUE_SCHEMA);
      upgradeQueueSchema(db);
      databases.push(db);
      queues.set(
        name,
        (found = new SqliteQueue(name, db, new WriteBatcher(db), engineLimits(options), new Arrivals(file))),
      );
    }
    return found;
  };
  return {
    queue,
    topic: (name: string): Topic => new FanOutTopic(name, (SUBSCRIPTIONS[name] ?? []).map(queue)),
    // Ready means the intake (what a frontend needs) and every queue opened so far answer.
    ping: async () => {
      queue(QUEUES.intake);
      databases.forEach(ping);
    },
    close: async () => {
      closed = true;
      for (const db of databases.splice(0)) db.close();
    },
  };
}

/**
 * Only consumers (worker, tally) write the store and the read model, and a consumer holds its message
 * through a transient failure: so a write gives up on a locked database after a second, and the
 * outage is named then (a `dependency.unavailable` event), not after the queue writers' ten.
 */
const STORAGE_GIVE_UP_MS = 1_000;

export function openSqliteStorage(dir: string): StorageEngine {
  const storeDb = openDatabase(join(dir, 'store.db'), STORE_SCHEMA);
  const wallDb = openDatabase(join(dir, 'wall.db'), READ_MODEL_SCHEMA);
  const writes = { giveUpAfterMs: STORAGE_GIVE_UP_MS };
  return {
    store: new SqliteWishStore(storeDb, new WriteBatcher(storeDb, writes)),
    readModel: new SqliteReadModel(wallDb, new WriteBatcher(wallDb, writes)),
    ping: async () => {
      ping(storeDb);
      ping(wallDb);
    },
    close: async () => {
      storeDb.close();
      wallDb.close();
    },
  };
}

function ping(db: Db): void {
  db.prepare('SELECT 1').get();
}
export { openSqliteTelemetryStore } from './telemetry-store.js';

/** The data directory a `sqlite:<dir>` (or `sqlite://<dir>`) URL names, resolved from the working directory. */
export function sqliteDir(url: string): string {
  return resolve(url.replace(/^sqlite:(\/\/)?/i, ''));
}

export const engine: Engine = {
  openMessaging: async (url, options) => openSqliteMessaging(sqliteDir(url), options),
  openStorage: async (url) => openSqliteStorage(sqliteDir(url)),
  embeddedDir: sqliteDir,
  chaos: {
    makeStoreUnavailable: async (url) => {
      const { lockSqliteStore } = await import('./outage.js');
      const { file, restore } = lockSqliteStore(sqliteDir(url));
      return { what: `write lock held on ${file}`, restore };
    },
  },
};
