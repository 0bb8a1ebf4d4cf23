import type { QueueName } from './envelope.js';
import type { Queue } from './queue.js';
import type { Topic } from './topic.js';
import type { ReadModel, WishStore } from './wish-store.js';

/** What a process gets from the engines it was configured with. Opened from URLs in one place. */
export interface MessagingEngine {
  queue(name: QueueName): Queue;
  topic(name: string): Topic;
  /** Cheap reachability check for `/readyz`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StorageEngine {
  readonly store: WishStore;
  readonly readModel: ReadModel;
  ping(): Promise<void>;
  close(): Promise<void>;
}
