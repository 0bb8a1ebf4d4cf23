import { createRequire } from 'node:module';
import { resolve } from 'node:path';

/**
 * BullMQ lives in bench/baseline (its own package.json and lockfile, installed by `npm run bench`),
 * not among the product's dependencies; these are the few parts of its API the bench uses (the queue
 * engines' baseline in queue-engines.ts, the peer's services in peer/).
 */
export interface BullConnection {
  readonly host: string;
  readonly port: number;
  readonly maxRetriesPerRequest: null;
}

export interface BullJob {
  readonly data: unknown;
}

export interface BullQueue {
  waitUntilReady(): Promise<unknown>;
  add(name: string, data: unknown, options: { removeOnComplete: boolean; removeOnFail: boolean }): Promise<unknown>;
  addBulk(jobs: { name: string; data: unknown }[]): Promise<unknown>;
  obliterate(options: { force: boolean }): Promise<void>;
  close(): Promise<void>;
}

export interface BullWorker {
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}

interface BullMq {
  Queue: new (name: string, options: { connection: BullConnection; prefix?: string }) => BullQueue;
  Worker: new (
    name: string,
    processor: (job: BullJob) => Promise<void>,
    options: {
      connection: BullConnection;
      prefix?: string;
      concurrency: number;
      removeOnComplete?: { count: number };
      removeOnFail?: { count: number };
    },
  ) => BullWorker;
}

const BASELINE_DIR = resolve(import.meta.dirname, '../../bench/baseline');

export function loadBullMq(): BullMq {
  try {
    return createRequire(resolve(BASELINE_DIR, 'package.json'))('bullmq') as BullMq;
  } catch {
    throw new Error(
      `BullMQ is not installed in ${BASELINE_DIR}: run npm run bench (it installs it), or npm install --prefix bench/baseline`,
    );
  }
}

export function connectionOf(redisUrl: string): BullConnection {
  const { hostname, port } = new URL(redisUrl);
  return { host: hostname, port: Number(port || 6379), maxRetriesPerRequest: null };
}
