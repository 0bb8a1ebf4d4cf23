import { rmSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isCanary, type Destination } from '../../src/domain/index.js';
import { openMessaging, openStorage } from '../../src/engines/index.js';
import type { MessagingEngine, QueueName, StorageEngine, WishRecord } from '../../src/ports/index.js';
import type { Accepted } from '../../src/services/frontend/api-shapes.js';
import {
  childOf,
  forEachLimit,
  generateRoster,
  killHoldingLeases,
  Ledger,
  postWish,
  queueStatus,
  readChildren,
  runPaced,
  seededRandom,
  sleep,
  startSystem,
  tempDir,
  waitForRestart,
  waitUntilConsuming,
  wishStatus,
  type RosterEntry,
  type RunningSystem,
} from '../../testkit/index.js';

/**
 * Chaos experiment: `kill -9` of the consumers in the middle of their batches while wishes flow.
 * The claim under test: at-least-once delivery (leases that expire when their holder dies) plus
 * idempotent, versioned writes lose nothing and double-count nothing. Described as data, so a
 * variant is a new record, not new code.
 */
interface KillTarget {
  readonly service: 'parser' | 'worker' | 'tally';
  readonly replica: number;
  /** The queue this consumer leases from: it is killed while it holds messages of it (a batch in flight). */
  readonly queue: QueueName;
}

interface Fault {
  /** Fire once this fraction of the wishes has been answered (so the load is still flowing). */
  readonly afterFraction: number;
  /** The consumers killed; those of one queue die together (e.g. both workers), each queue's apart. */
  readonly kill: readonly KillTarget[];
}

interface ChaosScenario {
  readonly name: string;
  readonly seed: number;
  readonly rosterSize: number;
  /** Evacuees who send a second wish, so older wishes end `superseded`. */
  readonly secondWishes: number;
  readonly concurrency: number;
  /** Paces the load so it lasts through every fault and restart. */
  readonly ratePerSec: number;
  /** Short leases: a killed consumer's messages come back after this long. */
  readonly leaseMs: number;
  readonly faults: readonly Fault[];
  /**
   * How long a kill may take to freeze its consumers holding leased messages (`killHoldingLeases`;
   * milliseconds as a rule); past it the test fails, for a kill is never made without them.
   */
  readonly holdWithinMs: number;
  /**
   * Wishes past this fraction are held until every kill has fired, so each kill lands while the
   * load is still running however slow the machine (normally they are not held at all); a kill
   * that finds nothing to catch its consumers with lets one through.
   */
  readonly holdBackFraction: number;
  /** Pass criterion: every accepted wish has its final status within this long of the last 202. */
  readonly drainTimeoutMs: number;
}

const parser: KillTarget = { service: 'parser', replica: 1, queue: 'intake' };
const worker = (replica: number): KillTarget => ({ service: 'worker', replica, queue: 'store' });
const tally: KillTarget = { service: 'tally', replica: 1, queue: 'tally' };
/** Every consumer of each queue (`exodus up --replicas` below): a kill freezes the others of its queue while it catches its own. */
const CONSUMERS: Readonly<Record<QueueName, readonly KillTarget[]>> = {
  intake: [parser],
  store: [worker(1), worker(2)],
  tally: [tally],
};
const REPLICAS = `parser=${CONSUMERS.intake.length},worker=${CONSUMERS.store.length},tally=${CONSUMERS.tally.length}`;
const nameOf = (target: KillTarget): string => `${target.service}-${target.replica}`;

// Each consumer is killed at most 3 times: a message can be abandoned once per kill, and each
// abandoned delivery counts towards --max-attempts (5), past which it would be dead-lettered.
// Downstream consumers are killed apart from the parser: while it is down they have nothing to hold.
const SCENARIO: ChaosScenario = {
  name: 'kill -9 of parser, workers and tally mid-batch under load',
  seed: 0xe40d05,
  rosterSize: 1500,
  secondWishes: 800,
  concurrency: 32,
  ratePerSec: 125,
  leaseMs: 2000,
  faults: [
    { afterFraction: 0.06, kill: [worker(1), tally] },
    { afterFraction: 0.12, kill: [parser] },
    { afterFraction: 0.35, kill: [worker(2), tally] },
    { afterFraction: 0.45, kill: [parser] },
    { afterFraction: 0.65, kill: [worker(1), worker(2), tally] },
    { afterFraction: 0.75, kill: [parser] },
  ],
  holdWithinMs: 20_000,
  holdBackFraction: 0.9,
  drainTimeoutMs: 45_000,
};

interface PlannedWish {
  readonly evacuee: RosterEntry;
  readonly body: { destination: Destination; to?: string; message: string };
}

interface KillRecord {
  readonly queue: QueueName;
  readonly victims: readonly KillTarget[];
  /** Messages of `queue` the victims held, leased, when they died: all abandoned, to be redelivered. */
  readonly held: number;
  readonly answeredAtKill: number;
  /** From the start of the load. */
  readonly atMs: number;
  /** From the kill until every replacement process is consuming again. */
  recoveredInMs?: number;
}

/** A fault's kills: its targets grouped by the queue they lease from. */
function killsOf(fault: Fault): { queue: QueueName; victims: KillTarget[] }[] {
  const byQueue = new Map<QueueName, KillTarget[]>();
  for (const target of fault.kill) byQueue.set(target.queue, [...(byQueue.get(target.queue) ?? []), target]);
  return [...byQueue].map(([queue, victims]) => ({ queue, victims }));
}

/**
 * Where the load's last wishes wait until every kill has fired. A kill starving for a message lets
 * one through: the next to arrive, if none waits yet (at most one is owed).
 */
class Gate {
  private open = false;
  private owed = false;
  private readonly waiting: (() => void)[] = [];

  pass(): Promise<void> {
    if (this.open) return Promise.resolve();
    if (this.owed) {
      this.owed = false;
      return Promise.resolve();
    }
    return new Promise((pass) => this.waiting.push(pass));
  }

  letOneThrough(): void {
    const next = this.waiting.shift();
    if (next === undefined) this.owed = true;
    else next();
  }

  openForAll(): void {
    this.open = true;
    for (const pass of this.waiting.splice(0)) pass();
  }
}

/** Every evacuee wishes once, `secondWishes` of them twice (often changing destination); shuffled. */
function planWishes(roster: readonly RosterEntry[], scenario: ChaosScenario): PlannedWish[] {
  const random = seededRandom(scenario.seed);
  const pick = (): Destination => (random() < 0.5 ? 'mars' : 'europa');
  const wishes: PlannedWish[] = roster.map((evacuee, i) => ({
    evacuee,
    body: {
      destination: pick(),
      ...(i % 3 === 0 ? { to: `family of ${evacuee.name}` } : {}),
      message: `Remember me, ${evacuee.evacueeId}. Wish 1 — ☄️ <b>goodbye</b>`,
    },
  }));
  for (const evacuee of roster.slice(0, scenario.secondWishes)) {
    wishes.push({ evacuee, body: { destination: pick(), message: `Changed my mind, ${evacuee.evacueeId}. Wish 2` } });
  }
  for (let i = wishes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [wishes[i], wishes[j]] = [wishes[j] as PlannedWish, wishes[i] as PlannedWish];
  }
  return wishes;
}

/** What the load under kills left: the ledger of 202s, what else was answered, and each kill. */
interface LoadOutcome {
  readonly wishes: readonly PlannedWish[];
  readonly ledger: Ledger;
  readonly unexpected: readonly string[];
  readonly unavailable: number;
  readonly kills: readonly KillRecord[];
  readonly totalKills: number;
  readonly startedAt: number;
  readonly endedAt: number;
}

/**
 * Sends every wish until it gets a 202 (a 503 is the only other answer allowed, and is retried)
 * while each fault fires at its point in the load: its consumers are killed while they hold leased
 * messages (frozen with them: see killHoldingLeases), and the next kill of a queue waits until the
 * supervisor's replacements are consuming, so it never meets a process still booting.
 */
async function loadUnderKills(
  url: string,
  dataDir: string,
  messaging: MessagingEngine,
  wishes: readonly PlannedWish[],
): Promise<LoadOutcome> {
  const ledger = new Ledger();
  const unexpected: string[] = [];
  let answered = 0;
  let unavailable = 0;
  const totalKills = SCENARIO.faults.reduce((n, fault) => n + killsOf(fault).length, 0);
  const gate = new Gate();
  const submit = async (index: number): Promise<void> => {
    if (index >= SCENARIO.holdBackFraction * wishes.length) await gate.pass();
    const { evacuee, body } = wishes[index] as PlannedWish;
    for (;;) {
      const response = await postWish(url, evacuee.pass, body);
      if (response.status === 202) {
        const accepted = (await response.json()) as Accepted;
        if (
          accepted.status !== 'pending' ||
          accepted.evacueeId !== evacuee.evacueeId ||
          accepted.destination !== body.destination
        ) {
          unexpected.push(`202 with the wrong wish for ${evacuee.evacueeId}: ${JSON.stringify(accepted)}`);
        }
        ledger.record({
          id: accepted.id,
          evacueeId: accepted.evacueeId,
          submittedAt: accepted.submittedAt,
          destination: accepted.destination,
        });
        break;
      }
      const text = await response.text();
      if (response.status !== 503) {
        unexpected.push(`${response.status} for ${evacuee.evacueeId}: ${text}`);
        break;
      }
      unavailable++;
      await sleep(100);
    }
    answered++;
  };

  const startedAt = Date.now();
  const kills: KillRecord[] = [];
  const killMidBatch = async (queue: QueueName, victims: readonly KillTarget[]): Promise<void> => {
    const bystanders = CONSUMERS[queue].filter(
      (consumer) => !victims.some((victim) => nameOf(victim) === nameOf(consumer)),
    );
    const { pids, held } = await killHoldingLeases({
      dataDir,
      queue: messaging.queue(queue),
      victims,
      bystanders,
      starving: () => gate.letOneThrough(),
      withinMs: SCENARIO.holdWithinMs,
    });
    const killedAt = Date.now();
    const kill: KillRecord = { queue, victims, held, answeredAtKill: answered, atMs: killedAt - startedAt };
    kills.push(kill);
    if (kills.length === totalKills) gate.openForAll();
    await Promise.all(
      victims.map(async ({ service, replica }, i) => {
        const replacement = await waitForRestart(dataDir, service, replica, pids[i] ?? 0, 15_000);
        await waitUntilConsuming(dataDir, service, replica, replacement, 15_000);
      }),
    );
    kill.recoveredInMs = Date.now() - killedAt;
  };
  const chaos = (async () => {
    const recovered = new Map<QueueName, Promise<void>>();
    for (const fault of SCENARIO.faults) {
      while (answered < fault.afterFraction * wishes.length) await sleep(5);
      for (const { queue, victims } of killsOf(fault)) {
        recovered.set(
          queue,
          (recovered.get(queue) ?? Promise.resolve()).then(() => killMidBatch(queue, victims)),
        );
      }
    }
    await Promise.all(recovered.values());
  })();
  // A failed fault must not leave the held-back wishes waiting for ever; `await chaos` reports it.
  const openGate = (): void => gate.openForAll();
  chaos.then(openGate, openGate);

  await runPaced(wishes.length, { concurrency: SCENARIO.concurrency, ratePerSec: SCENARIO.ratePerSec }, submit);
  const endedAt = Date.now();
  await chaos;
  console.log(
    [
      `crash-recovery: ${wishes.length} wishes sent in ${endedAt - startedAt} ms, ${ledger.accepted.length} × 202, ${unavailable} × 503`,
      ...kills.map(
        (k) =>
          `  kill -9 ${k.victims.map(nameOf).join(' and ')} at ${k.atMs} ms, after ${k.answeredAtKill} answers, holding ${k.held} ${k.queue} messages; consuming again ${k.recoveredInMs ?? '?'} ms later`,
      ),
    ].join('\n'),
  );
  return { wishes, ledger, unexpected, unavailable, kills, totalKills, startedAt, endedAt };
}

type StatusAnswer = { status: string; evacueeId?: string; submittedAt?: string; destination?: string };

describe(`crash recovery: ${SCENARIO.name}`, () => {
  const dataDir = tempDir('exodus-crash-');
  let system: RunningSystem | undefined;
  let messaging: MessagingEngine | undefined;
  let storage: StorageEngine | undefined;
  let load: LoadOutcome | undefined;
  let failed = false;
  const started = (): { system: RunningSystem; storage: StorageEngine; load: LoadOutcome } => {
    if (system === undefined || storage === undefined || load === undefined) throw new Error('the load did not run');
    return { system, storage, load };
  };
  /** Every accepted wish must have its final status within the drain time of the last 202. */
  const drainDeadline = (): number => started().load.endedAt + SCENARIO.drainTimeoutMs;

  beforeAll(async () => {
    const roster = await generateRoster(dataDir, SCENARIO.rosterSize);
    system = await startSystem({ dataDir, replicas: REPLICAS, extraArgs: ['--lease-ms', String(SCENARIO.leaseMs)] });
    // The test's own connections to the engines, read-only in use: queue depths to time the kills,
    // and the system of record to check the tally against.
    messaging = await openMessaging(`sqlite:${dataDir}`, { maxAttempts: 5 });
    storage = await openStorage(`sqlite:${dataDir}`);
    const wishes = planWishes(roster, SCENARIO);
    expect(wishes.length).toBeGreaterThanOrEqual(2000);
    load = await loadUnderKills(system.url, dataDir, messaging, wishes);
  }, 90_000);

  afterEach(({ task }) => {
    if (task.result?.state === 'fail') failed = true;
  });

  afterAll(async () => {
    if (system !== undefined && system.process.exitCode === null) await system.stop();
    await messaging?.close();
    await storage?.close();
    // Kept on failure (or on request) for its service logs and databases.
    if (failed || load === undefined) console.error(`crash-recovery: data dir and service logs kept in ${dataDir}`);
    else if (process.env['EXODUS_KEEP_TEST_DATA'] === undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers every wish 202, once each (a 503 is retried), with the wish that was sent', () => {
    const { load } = started();
    expect(load.unexpected).toEqual([]);
    expect(load.ledger.accepted).toHaveLength(load.wishes.length);
    expect(new Set(load.ledger.accepted.map((w) => w.id)).size).toBe(load.wishes.length);
  });

  it('kills every consumer it planned to while wishes still flowed, each holding leased messages, in every stage', () => {
    const { load } = started();
    expect(load.kills).toHaveLength(load.totalKills);
    for (const kill of load.kills) expect(kill.answeredAtKill).toBeLessThan(load.wishes.length);
    expect(
      load.kills.filter((k) => k.held === 0).map((k) => k.victims.map(nameOf).join(' and ')),
      'kills without leased messages',
    ).toEqual([]);
    for (const queue of ['intake', 'store', 'tally']) {
      expect(
        load.kills.filter((k) => k.queue === queue && k.held > 0).length,
        `kills with ${queue} messages in flight`,
      ).toBeGreaterThan(0);
    }
  });

  it('ends every accepted wish stored or superseded, as last-writer-wins says, through the public API', async () => {
    const { system, load } = started();
    // `stored` is not yet final while a newer wish of the same evacuee is pending, so the outcome is
    // read once all are in.
    const statusOf = (id: string): Promise<StatusAnswer> => wishStatus<StatusAnswer>(system.url, id);
    let pending = load.ledger.accepted.map((w) => w.id);
    while (pending.length > 0 && Date.now() < drainDeadline()) {
      const still: string[] = [];
      await forEachLimit(pending, SCENARIO.concurrency, async (id) => {
        if ((await statusOf(id)).status === 'pending') still.push(id);
      });
      pending = still;
      if (pending.length > 0) await sleep(250);
    }
    console.log(`crash-recovery: every wish final ${Date.now() - load.endedAt} ms after the last 202`);
    expect(pending, `wishes still pending ${SCENARIO.drainTimeoutMs} ms after the load`).toEqual([]);
    const final = new Map<string, StatusAnswer>();
    await forEachLimit(
      load.ledger.accepted,
      SCENARIO.concurrency,
      async ({ id }) => void final.set(id, await statusOf(id)),
    );

    const newest = load.ledger.newestPerEvacuee();
    const wrong: string[] = [];
    for (const wish of load.ledger.accepted) {
      const record = final.get(wish.id);
      const expected = newest.get(wish.evacueeId)?.id === wish.id ? 'stored' : 'superseded';
      if (record?.status !== expected)
        wrong.push(`${wish.id} (${wish.evacueeId}): ${record?.status ?? 'missing'}, expected ${expected}`);
      else if (
        record.evacueeId !== wish.evacueeId ||
        record.submittedAt !== wish.submittedAt ||
        record.destination !== wish.destination
      ) {
        wrong.push(`${wish.id}: recorded as ${JSON.stringify(record)}, accepted as ${JSON.stringify(wish)}`);
      }
    }
    expect(wrong, 'wishes whose final status is not the last-writer-wins outcome').toEqual([]);
    expect([...final.values()].filter((r) => r.status === 'superseded').length).toBe(load.wishes.length - newest.size);
  }, 60_000);

  it('holds in the system of record exactly the accepted wishes: no phantom, no duplicate', async () => {
    const { storage, load } = started();
    const records: WishRecord[] = [];
    for (
      let page = await storage.store.scan(undefined, 1000);
      page.length > 0;
      page = await storage.store.scan(page.at(-1)?.id, 1000)
    )
      // The synthetic canary's wishes are the system checking itself (the audit leaves them out too).
      records.push(...page.filter((record) => !isCanary(record.evacueeId)));
    // Only if a 503 came after a durable send can there be wishes nobody was told about; those must
    // then be superseded.
    const acceptedIds = new Set(load.ledger.accepted.map((w) => w.id));
    const unknown = records.filter((r) => !acceptedIds.has(r.id));
    if (load.unavailable === 0) expect(unknown).toEqual([]);
    else expect(unknown.filter((r) => r.status !== 'superseded')).toEqual([]);
    expect(records.length - unknown.length).toBe(load.ledger.accepted.length);
  });

  it("counts in the tally what the store holds and the ledger expects; the wall shows each evacuee's newest wish once", async () => {
    const { system, storage, load } = started();
    const expectedTally = load.ledger.expectedTally();
    expect(expectedTally.mars + expectedTally.europa).toBe(new Set(load.ledger.accepted.map((w) => w.evacueeId)).size);
    let apiTally: unknown;
    while (Date.now() < drainDeadline()) {
      apiTally = await (await fetch(`${system.url}/api/tally`)).json();
      if (isDeepStrictEqual(apiTally, expectedTally)) break;
      await sleep(100);
    }
    // The store counts the synthetic canary's current wish too (always to Mars, once one was stored); the tally never does.
    const canaryStored = (await storage.readModel.lastCanary()) === undefined ? 0 : 1;
    expect(await storage.store.countCurrent()).toEqual({ ...expectedTally, mars: expectedTally.mars + canaryStored });
    expect(apiTally).toEqual(expectedTally);

    const wall = new Map<string, string>();
    for (let cursor: string | null = ''; cursor !== null;) {
      const page = (await (
        await fetch(`${system.url}/api/wall?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      ).json()) as {
        items: { id: string; evacueeId: string }[];
        next: string | null;
      };
      for (const item of page.items) {
        expect(wall.has(item.evacueeId), `${item.evacueeId} twice on the wall`).toBe(false);
        wall.set(item.evacueeId, item.id);
      }
      cursor = page.next;
    }
    const newest = load.ledger.newestPerEvacuee();
    expect(wall).toEqual(new Map([...newest].map(([evacueeId, wish]) => [evacueeId, wish.id])));
  }, 60_000);

  it("empties the queues, as the operator's `exodus status` shows them, with nothing dead-lettered", async () => {
    let queues = await queueStatus(dataDir);
    const empty = (q: Record<string, { ready: number; inFlight: number; dead: number }>): boolean =>
      ['intake', 'store', 'tally'].every(
        (name) => q[name]?.ready === 0 && q[name]?.inFlight === 0 && q[name]?.dead === 0,
      );
    while (!empty(queues) && Date.now() < drainDeadline()) {
      await sleep(250);
      queues = await queueStatus(dataDir);
    }
    for (const name of ['intake', 'store', 'tally']) {
      const { ready, inFlight, dead } = queues[name] ?? {};
      expect({ ready, inFlight, dead }, `queue ${name}`).toEqual({ ready: 0, inFlight: 0, dead: 0 });
    }
  }, 60_000);

  it('restarts exactly what was killed, and nothing else dies', () => {
    const { load } = started();
    const restarts = (service: string, replica: number): number => childOf(dataDir, service, replica).restarts;
    const timesKilled = (service: string, replica: number): number =>
      load.kills.filter((k) => k.victims.some((v) => v.service === service && v.replica === replica)).length;
    for (const [service, replica] of [
      ['frontend', 1],
      ['parser', 1],
      ['worker', 1],
      ['worker', 2],
      ['tally', 1],
    ] as const) {
      expect(restarts(service, replica), `restarts of ${service}-${replica}`).toBe(timesKilled(service, replica));
    }
    expect(restarts('parser', 1)).toBeGreaterThan(1);
    console.log(
      `crash-recovery: restarts ` +
        ['parser', 'worker', 'tally']
          .map(
            (service) =>
              `${service} ${readChildren(dataDir)
                .filter((p) => p.service === service)
                .reduce((n, p) => n + p.restarts, 0)}`,
          )
          .join(', '),
    );
  });

  it('stops gracefully on SIGTERM, draining, and exits 0', async () => {
    const { system } = started();
    const exitCode = await system.stop();
    expect(exitCode, system.output()).toBe(0);
  }, 60_000);
});
