import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import { destroyNamespace, openMessaging, type EngineOptions } from '../../src/engines/index.js';
import type { MessagingEngine } from '../../src/ports/index.js';
import { fauxqsEndpoint, stopFauxqs } from '../support/fauxqs.js';

afterAll(stopFauxqs);

/** A fresh, empty SQS + SNS messaging engine on fauxqs (its own queue and topic names), deleted again on close. */
export async function openTestSqsMessaging(options: EngineOptions): Promise<MessagingEngine> {
  const url = `sqs://us-east-1/test-${randomBytes(6).toString('hex')}?endpoint=${await fauxqsEndpoint()}`;
  const engine = await openMessaging(url, options);
  return {
    queue: (name) => engine.queue(name),
    topic: (name) => engine.topic(name),
    ping: () => engine.ping(),
    close: async () => {
      await engine.close();
      await destroyNamespace(url);
    },
  };
}
