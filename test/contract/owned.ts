import {
  destroyNamespace,
  openMessaging,
  openStorage,
  type EngineOptions,
  type StorageOptions,
} from '../../src/engines/index.js';
import type { MessagingEngine, StorageEngine } from '../../src/ports/index.js';

/**
 * An engine opened on a URL of its own (a fresh prefix, schema or table) whose `close` also removes
 * all it kept there: the shared servers and emulators keep nothing of a test.
 */
export async function ownedMessaging(url: string, options: EngineOptions): Promise<MessagingEngine> {
  const engine = await openMessaging(url, options);
  return {
    queue: (name) => engine.queue(name),
    topic: (name) => engine.topic(name),
    ping: () => engine.ping(),
    close: closeThenRemove(engine, url),
  };
}

/** The same for a store (see `ownedMessaging`). */
export async function ownedStorage(url: string, options?: StorageOptions): Promise<StorageEngine> {
  const engine = await openStorage(url, options);
  return {
    store: engine.store,
    readModel: engine.readModel,
    ping: () => engine.ping(),
    close: closeThenRemove(engine, url),
  };
}

function closeThenRemove(engine: { close(): Promise<void> }, url: string): () => Promise<void> {
  return async () => {
    try {
      await engine.close();
    } finally {
      await destroyNamespace(url);
    }
  };
}
