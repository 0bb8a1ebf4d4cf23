import { resolve } from 'node:path';
import type { MessagingEngine, StorageEngine } from '../ports/index.js';
import { openSqliteMessaging, openSqliteStorage } from './sqlite/index.js';

/**
 * Engines are chosen by URL, 12-factor style. `sqlite:<dir>` (or `sqlite://<dir>`) is the embedded
 * default; `nats://`, `postgres://`, `sqs://` and `dynamodb://` slot in here as they are built.
 */
export interface EngineOptions {
  /** Deliveries of one message before it is dead-lettered. */
  readonly maxAttempts: number;
}

export function openMessaging(url: string, options: EngineOptions): MessagingEngine {
  const { scheme, rest } = splitUrl(url);
  switch (scheme) {
    case 'sqlite':
      return openSqliteMessaging(resolve(rest), options);
    default:
      throw new UnknownEngineError('queue', url);
  }
}

export function openStorage(url: string): StorageEngine {
  const { scheme, rest } = splitUrl(url);
  switch (scheme) {
    case 'sqlite':
      return openSqliteStorage(resolve(rest));
    default:
      throw new UnknownEngineError('store', url);
  }
}

export class UnknownEngineError extends Error {
  constructor(role: string, url: string) {
    super(`no ${role} engine for "${url}" (known: sqlite:<dir>)`);
  }
}

function splitUrl(url: string): { scheme: string; rest: string } {
  const match = /^([a-z][a-z0-9+.-]*):(?:\/\/)?(.*)$/i.exec(url);
  if (!match?.[1] || match[2] === undefined) return { scheme: '', rest: url };
  return { scheme: match[1].toLowerCase(), rest: match[2] };
}
