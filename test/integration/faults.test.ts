import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { destroyNamespace, openMessaging } from '../../src/engines/index.js';
import { HAVE_NATS_SERVER, HAVE_POSTGRES_BINARIES, startPrivateNats, startPrivatePostgres, type PrivateServer } from '../../src/ops/index.js';
import { QUEUES } from '../../src/ports/index.js';
import { NATS_UNAVAILABLE, NATS_URL } from '../contract/nats-fixture.js';
import { POSTGRES_UNAVAILABLE, testPostgresUrl, testSchemaName } from '../contract/postgres-fixture.js';
import { expectedTally, flowWishes, type FlowAnswer } from '../support/flow.js';
import { forEachLimit, sigkillChild, sleep, waitForRestart } from '../support/ledger.js';
import { skipUnless } from '../support/services.js';
import { generateRoster, startSystem, tempDir, waitFor, wishStatus, type RunningSystem } from '../support/system.js';

const skip = skipUnless(
  HAVE_POSTGRES_BINARIES && HAVE_NATS_SERVER && NATS_UNAVAILABLE === undefined && POSTGRES_UNAVAILABLE === undefined,
  `fault tests need the PostgreSQL and nats-server binaries and the shared servers (${[NATS_UNAVAILABLE, POSTGRES_UNAVAILABLE].filter(Boolean).join('; ') || 'binaries missing'})`,
);

/**
 * Faults on the distributed engines, against real servers of the test's own (started from the
 * installed binaries on free ports, stopped by PID) beside the shared ones. Each scenario: wishes
 * flow at a steady rate, the fault strikes mid-flow, and afterwards every 202 must be stored, the
 * tally exact, no message dead-lettered.
 */
describe.skipIf(skip)('faults on NATS JetStream + PostgreSQL', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  /** `exodus up` on the given engines, its roster registered there; everything removed after the test. */
  const system = async (queueUrl: string, storeUrl: string, evacuees: number, replicas?: string): Promise<{ exodus: RunningSystem; roster: Awaited<ReturnType<typeof generateRoster>> }> => {
    const engineArgs = ['--queue', queueUrl, '--store', storeUrl];
    cleanups.push(() => destroyNamespace(queueUrl), () => destroyNamespace(storeUrl));
    const dataDir = tempDir();
    const roster = await generateRoster(dataDir, evacuees, engineArgs);
    // Retries back off to 2 s at most, so recovery shows within the test's time.
    const exodus = await startSystem({ dataDir, extraArgs: engineArgs, env: { EXODUS_RETRY_MAX_MS: '2000' }, ...(replicas === undefined ? {} : { replicas }) });
    cleanups.push(() => exodus.stop());
    return { exodus, roster };
  };
  const privately = async (start: () => Promise<PrivateServer>): Promise<PrivateServer> => {
    const server = await start();
    cleanups.push(() => server.destroy());
    return server;
  };
  const natsNamespace = (): string => `${NATS_URL}?prefix=fault-${randomBytes(4).toString('hex')}`;

  /** Every accepted wish ends `stored` (each evacuee sent one), the tally matches, no queue holds anything. */
  const expectEverythingArrived = async (exodus: RunningSystem, queueUrl: string, answers: readonly FlowAnswer[]): Promise<void> => {
    const accepted = answers.filter((a) => a.status === 202);
    const arrivalStart = Date.now();
    const unexpected = answers.filter((a) => a.status !== 202 && a.status !== 503);
    expect(unexpected, 'answers other than 202 and 503').toEqual([]);
    const pending = new Set(accepted.map((a) => a.id ?? ''));
    await waitFor(
      async () => {
        await forEachLimit([...pending], 16, async (id) => {
          if ((await wishStatus(exodus.url, id)).status === 'stored') pending.delete(id);
        });
        return pending.size === 0;
      },
      90_000,
      `${pending.size} accepted wishes never stored`,
    ).catch(async (error: unknown) => {
      // What the pipeline looked like when it gave up: where the missing wishes sit, what the services said.
      const messaging = await openMessaging(queueUrl, { maxAttempts: 5 });
      const stats = await Promise.all(Object.values(QUEUES).map(async (name) => `${name} ${JSON.stringify(await messaging.queue(name).stats())}`));
      await messaging.close();
      const samples = await Promise.all([...pending].slice(0, 3).map(async (id) => `${id}: ${(await fetch(`${exodus.url}/api/wishes/${id}`)).status} ${await (await fetch(`${exodus.url}/api/wishes/${id}`)).text()}`));
      console.error(`${stats.join('\n')}\n${samples.join('\n')}\n${exodus.output().slice(-3000)}`);
      throw error;
    });
    await waitFor(async () => JSON.stringify(await (await fetch(`${exodus.url}/api/tally`)).json()) === JSON.stringify(expectedTally(accepted)), 30_000, 'tally never matched');
    console.info(
      `${expect.getState().currentTestName ?? ''}: ${answers.length} sent, ${accepted.length} × 202, ${answers.filter((a) => a.status === 503).length} × 503; ` +
        `all stored and tallied ${Date.now() - arrivalStart} ms after the flow ended`,
    );
    const messaging = await openMessaging(queueUrl, { maxAttempts: 5 });
    try {
      for (const name of Object.values(QUEUES)) {
        await waitFor(async () => (await messaging.queue(name).stats()).inFlight === 0, 15_000, `${name} still has messages in flight`);
        expect(await messaging.queue(name).stats(), name).toMatchObject({ ready: 0, inFlight: 0, dead: 0 });
      }
    } finally {
      await messaging.close();
    }
  };

  it('PostgreSQL stopped for 10 s while wishes flow: the frontend keeps accepting, workers hold and retry, all arrives after', async () => {
    const postgres = await privately(startPrivatePostgres);
    const queueUrl = natsNamespace();
    const { exodus, roster } = await system(queueUrl, `${postgres.url}?schema=exodus`, 600);

    const flow = flowWishes(exodus.url, roster, { ratePerSec: 25, durationMs: 22_000 });
    await sleep(5_000);
    await postgres.stop();
    const outage = { from: Date.now(), to: 0 };
    await sleep(10_000);
    outage.to = Date.now();
    await postgres.start();
    const answers = await flow;

    const duringOutage = answers.filter((a) => a.at > outage.from && a.at < outage.to);
    expect(duringOutage.length).toBeGreaterThan(150);
    // The front door depends on the queue, not the database: it kept saying yes.
    expect(duringOutage.filter((a) => a.status === 202).length).toBe(duringOutage.length);
    await expectEverythingArrived(exodus, queueUrl, answers);
  }, 180_000);

  it('NATS restarted while wishes flow: 503 while it is down (never a 202 it cannot keep), every 202 stored after', async () => {
    const nats = await privately(startPrivateNats);
    const queueUrl = `${nats.url}?prefix=exodus`;
    const { exodus, roster } = await system(queueUrl, testPostgresUrl(testSchemaName()), 800);

    const flow = flowWishes(exodus.url, roster, { ratePerSec: 25, durationMs: 30_000 });
    await sleep(5_000);
    await nats.stop(); // lame-duck mode: the clients are closed one by one (about a second apart), then the server stops
    const outage = { from: Date.now(), to: 0 };
    await sleep(6_000);
    outage.to = Date.now();
    await nats.start();
    const answers = await flow;

    // While the broker was away the front door said "later", and said it at once (no 202 it could not keep).
    const duringOutage = answers.filter((a) => a.at > outage.from + 2_000 && a.at < outage.to);
    expect(duringOutage.length).toBeGreaterThan(50);
    expect(duringOutage.filter((a) => a.status === 202)).toEqual([]);
    expect(answers.filter((a) => a.at > outage.to + 5_000 && a.status === 202).length).toBeGreaterThan(50);
    await expectEverythingArrived(exodus, queueUrl, answers);
  }, 180_000);

  it('kill -9 of workers and the tally mid-batch: redelivered, nothing lost, nothing counted twice', async () => {
    const queueUrl = natsNamespace();
    const { exodus, roster } = await system(queueUrl, testPostgresUrl(testSchemaName()), 800, 'parser=1,worker=2,tally=1');

    const flow = flowWishes(exodus.url, roster, { ratePerSec: 50, durationMs: 15_000 });
    for (const [service, replica] of [['worker', 1], ['tally', 1], ['worker', 2], ['tally', 1]] as const) {
      await sleep(2_500);
      const pid = sigkillChild(exodus.dataDir, service, replica);
      await waitForRestart(exodus.dataDir, service, replica, pid, 15_000);
    }
    const answers = await flow;
    expect(answers.filter((a) => a.status === 202).length).toBeGreaterThan(700);
    await expectEverythingArrived(exodus, queueUrl, answers);
  }, 180_000);
});
