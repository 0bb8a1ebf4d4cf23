import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import type { EngineOptions } from '../../src/engines/index.js';
import type { MessagingEngine } from '../../src/ports/index.js';
import { fauxqsEndpoint, stopFauxqs } from '../../testkit/aws/index.js';
import { ownedMessaging } from './owned.js';

afterAll(stopFauxqs);

/** A fresh, empty SQS + SNS messaging engine on fauxqs (its own queue and topic names), deleted again on close. */
export async function openTestSqsMessaging(options: EngineOptions): Promise<MessagingEngine> {
  return ownedMessaging(
    `sqs://us-east-1/test-${randomBytes(6).toString('hex')}?endpoint=${await fauxqsEndpoint()}`,
    options,
  );
}
