import { join } from 'node:path';
import { SUBSCRIPTIONS, type MessagingEngine, type Queue, type QueueName, type StorageEngine, type Topic } from '../../ports/index.js';
import { openDatabase, WriteBatcher, type Db } from './database.js';
import { QUEUE_SCHEMA, SqliteQueue } from './queue.js';
import { READ_MODEL_SCHEMA, SqliteReadModel } from './read-model.js';
import { FanOutTopic } from './topic.js';
import { STORE_SCHEMA, SqliteWishStore } from './wish-store.js';

/**
 * The embedded engine: a data directory of SQLite files that every process on the machine opens.
 * Queues share `queue.db`, the system of record is `store.db`, the read model `wall.db`; separate
 * files have separate write locks, so the worker and the tally never wait on each other.
 */
export interface SqliteOptions {
  readonly maxAttempts: number;
}

export function openSqliteMessaging(dir: string, options: SqliteOptions): MessagingEngine {
  const db = openDatabase(join(dir, 'queue.db'), QUEUE_SCHEMA);
  const writes = new WriteBatcher(db);
  const queues = new Map<QueueName, Queue>();
  const queue = (name: QueueName): Queue => {
    let found = queues.get(name);
    if (found === undefined) queues.set(name, (found = new SqliteQueue(name, db, writes, options.maxAttempts)));
    return found;
  };
  return {
    queue,
    topic: (name: string): Topic => new FanOutTopic(name, (SUBSCRIPTIONS[name] ?? []).map(queue)),
    ping: async () => ping(db),
    close: async () => {
      db.close();
    },
  };
}

export function openSqliteStorage(dir: string): StorageEngine {
  const storeDb = openDatabase(join(dir, 'store.db'), STORE_SCHEMA);
  const wallDb = openDatabase(join(dir, 'wall.db'), READ_MODEL_SCHEMA);
  return {
    store: new SqliteWishStore(storeDb, new WriteBatcher(storeDb)),
    readModel: new SqliteReadModel(wallDb, new WriteBatcher(wallDb)),
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
