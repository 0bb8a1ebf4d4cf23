import { openMessaging, openStorage, type EngineOptions } from '../../src/engines/index.js';
import type { MessagingEngine, StorageEngine } from '../../src/ports/index.js';
import { tempDir } from '../../testkit/index.js';
import { DYNAMODB_UNAVAILABLE, openTestDynamoStorage } from './dynamodb-fixture.js';
import {
  NATS_CLUSTER_UNAVAILABLE,
  NATS_UNAVAILABLE,
  openTestNatsClusterMessaging,
  openTestNatsMessaging,
  stopTestNatsCluster,
} from './nats-fixture.js';
import { POSTGRES_UNAVAILABLE, openTestPostgresStorage } from './postgres-fixture.js';
import { openTestSqsMessaging } from './sqs-fixture.js';

/**
 * Every engine the contract suites run against: adding an engine is adding a line here. An engine
 * offers messaging, storage or both. `open*` must give a fresh, empty instance each call (a new temp
 * dir, a new schema, new stream names) that cleans up after itself on close.
 */
export interface EngineUnderTest {
  readonly name: string;
  readonly openMessaging?: (options: EngineOptions) => Promise<MessagingEngine>;
  readonly openStorage?: () => Promise<StorageEngine>;
  /** Why this engine cannot be tested on this machine (its server is absent), or undefined. */
  readonly unavailable?: string | undefined;
  /**
   * How much longer than the contract's times (leases, delays, waits) this engine needs them: 1 for
   * millisecond engines; more for one that counts leases and delays in whole seconds (SQS).
   */
  readonly timeScale?: number;
  /** Contract cases this engine cannot meet, each with the reason; an empty list is the goal. */
  readonly skip: Readonly<Record<string, string>>;
  /** Stops what the engine's cases shared (a private server), after the last of them. */
  readonly teardown?: () => Promise<void>;
}

const ALL_ENGINES: readonly EngineUnderTest[] = [
  {
    name: 'sqlite',
    openMessaging: (options) => openMessaging(`sqlite:${tempDir()}`, options),
    openStorage: () => openStorage(`sqlite:${tempDir()}`),
    skip: {},
  },
  {
    name: 'nats',
    openMessaging: openTestNatsMessaging,
    unavailable: NATS_UNAVAILABLE,
    skip: {},
  },
  {
    // Every stream and consumer at 3 replicas on a private cluster: a publish is acked by a quorum, a
    // consumer's state is replicated; the contract must not notice.
    name: 'nats-cluster-r3',
    openMessaging: openTestNatsClusterMessaging,
    unavailable: NATS_CLUSTER_UNAVAILABLE,
    teardown: stopTestNatsCluster,
    skip: {},
  },
  { name: 'postgres', openStorage: openTestPostgresStorage, unavailable: POSTGRES_UNAVAILABLE, skip: {} },
  { name: 'dynamodb', openStorage: openTestDynamoStorage, unavailable: DYNAMODB_UNAVAILABLE, skip: {} },
  {
    // fauxqs runs in this process: nothing to be unavailable. Visibility timeouts and delays are whole seconds.
    name: 'sqs',
    openMessaging: openTestSqsMessaging,
    timeScale: 20,
    skip: {
      'deduplicates a resent event id while the queue holds it':
        'standard SQS queues do not deduplicate (FIFO queues would, for 5 minutes, at the price of per-group ordering); the consumers are idempotent',
      'stats: the oldest ready message has an age; none ready is 0':
        'SQS reports the age of the oldest message only to CloudWatch (ApproximateAgeOfOldestMessage), not through its API',
    },
  },
];

/** EXODUS_CONTRACT_ENGINES=sqlite,nats narrows the run to those engines (the mutation run does: see vitest.mutate.config.ts). */
const chosen = process.env['EXODUS_CONTRACT_ENGINES']?.split(',').map((name) => name.trim());

export const ENGINES: readonly EngineUnderTest[] =
  chosen === undefined ? ALL_ENGINES : ALL_ENGINES.filter((engine) => chosen.includes(engine.name));
