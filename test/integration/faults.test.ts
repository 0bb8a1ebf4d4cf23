import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { destroyNamespace, openMessaging } from '../../src/engines/index.js';
import { HAVE_NATS_SERVER, HAVE_POSTGRES_BINARIES, startPrivateNats, startPrivatePostgres, type PrivateServer } from '../support/private-servers.js';
import { QUEUES, type QueueName } from '../../src/ports/index.js';
import { NATS_UNAVAILABLE, NATS_URL } from '../contract/nats-fixture.js';
import { POSTGRES_UNAVAILABLE, testPostgresUrl, testSchemaName } from '../contract/postgres-fixture.js';
import { expectedTally, flowWishes, type FlowAnswer } from '../support/flow.js';
import { forEachLimit, sigkillChild, sleep, waitForRestart, waitUntilConsuming } from '../support/ledger.js';
import { skipUnless } from '../support/services.js';
import { generateRoster, startSystem, tempDir, waitFor, wishStatus, type RunningSystem } from '../support/system.js';

const skip = skipUnless(
  HAVE_POSTGRES_BINARIES && HAVE_NATS_SERVER && NATS_UNAVAILABLE === undefined && POSTGRES_UNAVAILABLE === undefined,
  `fault tests need the PostgreSQL and nats-server binaries and the shared servers (${[NATS_UNAVAILABLE, POSTGRES_UNAVAILABLE].filter(Boolean).join('; ') || 'binaries missing'})`,
);

/**
 * How soon after the flow ends every accepted wish must be stored and tallied: the README's figure
 * ("within 10 s"; measured 0.5–0.7 s on this 2-core machine). Retries back off to 2 s at most here.
 */
const DRAIN_WITHIN_MS = 10_000;

/** A service's JSON log lines (`DIR/logs/<service>-<n>.log`), with their time in ms since epoch. */
function logLines(dataDir: string, process: string): { msg?: string; time: number }[] {
  return readFileSync(join(dataDir, 'logs', `${process}.log`), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; time?: string };
        return [{ ...(entry.msg === undefined ? {} : { msg: entry.msg }), time: Date.parse(entry.time ?? '') }];
      } catch {
        return []; // a line still being written
      }
    });
}

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
  const system = async (
    queueUrl: string,
    storeUrl: string,
    options: { evacuees: number; replicas?: string; env?: NodeJS.ProcessEnv },
  ): Promise<{ exodus: RunningSystem; roster: Awaited<ReturnType<typeof generateRoster>> }> => {
    const engineArgs = ['--queue', queueUrl, '--store', storeUrl];
    cleanups.push(() => destroyNamespace(queueUrl), () => destroyNamespace(storeUrl));
    const dataDir = tempDir();
    const roster = await generateRoster(dataDir, options.evacuees, engineArgs);
    // Retries back off to 2 s at most, so recovery shows within the test's time.
    const env = { EXODUS_RETRY_MAX_MS: '2000', ...options.env };
    const exodus = await startSystem({ dataDir, extraArgs: engineArgs, env, ...(options.replicas === undefined ? {} : { replicas: options.replicas }) });
    cleanups.push(() => exodus.stop());
    return { exodus, roster };
  };
  const privately = async (start: () => Promise<PrivateServer>): Promise<PrivateServer> => {
    const server = await start();
    cleanups.push(() => server.destroy());
    return server;
  };
  const natsNamespace = (): string => `${NATS_URL}?prefix=fault-${randomBytes(4).toString('hex')}`;

  /**
   * Every accepted wish ends `stored` (each evacuee sent one) within `DRAIN_WITHIN_MS` of the flow's
   * end (the README's figure), the tally matches, no queue holds anything.
   */
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
      DRAIN_WITHIN_MS,
      `${pending.size} accepted wishes not stored within ${DRAIN_WITHIN_MS} ms of the flow's end`,
    ).catch(async (error: unknown) => {
      // What the pipeline looked like when it gave up: where the missing wishes sit, what the services said.
      const messaging = await openMessaging(queueUrl, { maxAttempts: 5 });
      const stats = await Promise.all(Object.values(QUEUES).map(async (name) => `${name} ${JSON.stringify(await messaging.queue(name).stats())}`));
      await messaging.close();
      const samples = await Promise.all([...pending].slice(0, 3).map(async (id) => `${id}: ${(await fetch(`${exodus.url}/api/wishes/${id}`)).status} ${await (await fetch(`${exodus.url}/api/wishes/${id}`)).text()}`));
      console.error(`${stats.join('\n')}\n${samples.join('\n')}\n${exodus.output().slice(-3000)}`);
      throw error;
    });
    await waitFor(async () => JSON.stringify(await (await fetch(`${exodus.url}/api/tally`)).json()) === JSON.stringify(expectedTally(accepted)), DRAIN_WITHIN_MS, 'tally never matched');
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
    const { exodus, roster } = await system(queueUrl, `${postgres.url}?schema=exodus`, { evacuees: 600 });

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
    // The outage happened to the consumers, not just to the server: workers and the tally held messages through it.
    for (const service of ['worker', 'tally']) {
      const held = logLines(exodus.dataDir, `${service}-1`).filter((line) => line.msg === 'dependency unavailable; holding the message' && line.time >= outage.from && line.time <= outage.to + 2_000);
      expect(held.length, `${service} never held a message through the outage`).toBeGreaterThan(0);
    }
  }, 180_000);

  it('NATS restarted while wishes flow: 503 while it is down (never a 202 it cannot keep), every 202 stored after', async () => {
    const nats = await privately(startPrivateNats);
    const queueUrl = `${nats.url}?prefix=exodus`;
    const { exodus, roster } = await system(queueUrl, testPostgresUrl(testSchemaName()), { evacuees: 800 });

    const flow = flowWishes(exodus.url, roster, { ratePerSec: 25, durationMs: 30_000 });
    await sleep(5_000);
    const lameDuckFrom = Date.now();
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
    // The window that loses data if mishandled: publishes acknowledged while the broker was going
    // down (its 1 s grace, before it closed the clients). They happened, and they are all kept below.
    // (An answer 100 ms after the signal is a publish acked after it: a 202 takes a few ms here.)
    const ackedInLameDuck = answers.filter((a) => a.status === 202 && a.at > lameDuckFrom + 100 && a.at < outage.from);
    expect(ackedInLameDuck.length, 'no publish was acknowledged during the lame-duck window').toBeGreaterThan(0);
    await expectEverythingArrived(exodus, queueUrl, answers);
  }, 180_000);

  it('kill -9 of workers and the tally while they hold leased messages: redelivered, nothing lost, nothing counted twice', async () => {
    const queueUrl = natsNamespace();
    // Short leases, so a kill's abandoned leases are gone before the next kill reads the queue.
    const leaseMs = 1_500;
    const { exodus, roster } = await system(queueUrl, testPostgresUrl(testSchemaName()), { evacuees: 1_200, replicas: 'parser=1,worker=2,tally=1', env: { EXODUS_LEASE_MS: String(leaseMs) } });
    const messaging = await openMessaging(queueUrl, { maxAttempts: 5 });
    cleanups.push(() => messaging.close());

    const flow = flowWishes(exodus.url, roster, { ratePerSec: 30, durationMs: 40_000 });
    /**
     * Kills every replica of `service` the moment its queue shows leased messages, so whoever held
     * them is dead, then waits until each is back and consuming. Returns the leases seen abandoned
     * right after the kill: the proof that it struck mid-batch (0 when the batch was settled first).
     */
    const killHolding = async (service: 'worker' | 'tally', queue: QueueName, replicas: readonly number[]): Promise<number> => {
      await waitFor(async () => (await messaging.queue(queue).stats()).inFlight > 0, 5_000, `${queue} never had messages in flight`);
      const pids = replicas.map((replica) => sigkillChild(exodus.dataDir, service, replica));
      const abandoned = (await messaging.queue(queue).stats()).inFlight;
      for (const [i, replica] of replicas.entries()) {
        const replacement = await waitForRestart(exodus.dataDir, service, replica, pids[i] ?? 0, 15_000);
        await waitUntilConsuming(exodus.dataDir, service, replica, replacement, 15_000);
      }
      await sleep(leaseMs + 500);
      return abandoned;
    };
    const kills: string[] = [];
    await sleep(2_000);
    for (const [service, queue, replicas] of [['worker', QUEUES.store, [1, 2]], ['tally', QUEUES.tally, [1]]] as const) {
      // Until one kill lands mid-batch (about every other one does: a batch can settle between the
      // read and the kill), at most 8.
      let abandoned = 0;
      for (let attempt = 1; attempt <= 8 && abandoned === 0; attempt++) {
        abandoned = await killHolding(service, queue, replicas);
        kills.push(`${service} ×${replicas.length}: ${abandoned} leases abandoned`);
      }
      expect(abandoned, `no kill of ${service} landed while it held leased messages: ${kills.join('; ')}`).toBeGreaterThan(0);
    }
    const answers = await flow;
    console.info(`kills: ${kills.join('; ')}`);
    expect(answers.filter((a) => a.status === 202).length).toBeGreaterThan(1_100);
    await expectEverythingArrived(exodus, queueUrl, answers);
  }, 180_000);
});
