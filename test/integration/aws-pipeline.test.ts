import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fauxqsEndpoint, stopFauxqs } from '../../testkit/aws/index.js';
import { FaultRun } from '../../testkit/fault-run.js';
import { skipUnless } from '../../testkit/index.js';
import { DYNAMODB_UNAVAILABLE, testDynamoUrl } from '../contract/dynamodb-fixture.js';

const skip = skipUnless(DYNAMODB_UNAVAILABLE === undefined, `the AWS pipeline: ${DYNAMODB_UNAVAILABLE ?? ''}`);

/**
 * `exodus up` on the AWS engines, against the emulators: fauxqs (SQS + SNS, in this process, so it
 * outlives the services killed below) and DynamoDB Local. The same kill -9 ledger check as on NATS +
 * PostgreSQL (faults.test.ts), shorter: DynamoDB Local does about a hundred transactions a second.
 */
describe.skipIf(skip)('the pipeline on sqs:// + dynamodb://', () => {
  const run = new FaultRun();
  afterEach(() => run.cleanup());
  afterAll(stopFauxqs);

  it('kill -9 of workers and the tally while they hold leased messages: redelivered, nothing lost, nothing counted twice', async () => {
    const queueUrl = `sqs://us-east-1/e2e-${randomBytes(4).toString('hex')}?endpoint=${await fauxqsEndpoint()}`;
    const flowFrom = Date.now();
    // Leases are visibility timeouts, in whole seconds.
    const { exodus, answers } = await run.flowThroughKills(queueUrl, await testDynamoUrl(), {
      evacuees: 450,
      leaseMs: 2_000,
      ratePerSec: 15,
      durationMs: 30_000,
    });
    expect(answers.filter((a) => a.status === 202).length).toBeGreaterThan(400);
    // fauxqs runs in this test's own process: on a busy machine it can answer a send after the door's
    // send timeout, which answers 503 (outcome unknown) for a wish that is then kept. Such a wish must
    // still be its evacuee's one row, with the destination asked for, and counted once.
    await run.expectEverythingArrived(exodus, queueUrl, answers, { from: flowFrom, to: Date.now() });
  }, 240_000);
});
