import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY_EVACUEE_ID } from '../../src/domain/index.js';
import { openMessaging } from '../../src/engines/index.js';
import { auditLedger, parseLedger, type AuditReport, type LedgerEntry } from '../../src/ops/index.js';
import { EVENT_TYPES, QUEUES, TOPICS, type WishStore } from '../../src/ports/index.js';
import { createEnvelope } from '../../src/runtime/index.js';
import { buildPipeline, passFor, type Pipeline } from '../../testkit/in-process.js';
import { exodus, tempDir, waitFor } from '../../testkit/index.js';

/**
 * `exodus audit`: a real pipeline (SQLite) takes wishes through its API; the 202s are the ledger;
 * the audit must find all of them accounted for, and must fail, naming the ids, when something
 * was lost or counted twice.
 */
describe('the audit of a ledger of accepted wishes', () => {
  let pipeline: Pipeline;
  const ledger: LedgerEntry[] = [];
  const audit = (entries: readonly LedgerEntry[] = ledger): Promise<AuditReport> =>
    auditLedger(entries, {
      store: pipeline.storage.store,
      readModel: pipeline.storage.readModel,
      queues: { [QUEUES.intake]: pipeline.messaging.queue(QUEUES.intake) },
    });

  beforeAll(async () => {
    pipeline = await buildPipeline({ logLevel: 'warn' });
    pipeline.startConsumers();
    // 20 evacuees; the first 5 change their mind (a second wish, to the other destination).
    const submit = async (evacuee: number, destination: 'mars' | 'europa'): Promise<void> => {
      const evacueeId = `EV-${String(evacuee).padStart(5, '0')}`;
      const res = await pipeline.app.inject({
        method: 'POST',
        url: '/api/wishes',
        headers: { authorization: `Bearer ${passFor(evacueeId)}` },
        payload: { destination, message: `wish of ${evacueeId} for ${destination}` },
      });
      expect(res.statusCode).toBe(202);
      const { id, submittedAt } = res.json<{ id: string; submittedAt: string }>();
      ledger.push({ id, evacueeId, destination, submittedAt });
    };
    for (let i = 1; i <= 20; i++) await submit(i, i % 2 === 0 ? 'mars' : 'europa');
    for (let i = 1; i <= 5; i++) await submit(i, i % 2 === 0 ? 'europa' : 'mars');
    await waitFor(async () => (await audit()).ok, 15_000, 'the pipeline never finished the ledger');
  });
  afterAll(async () => pipeline.close());

  it('accounts for every 202: stored or superseded by the newer wish, one current per evacuee, tally = store = wall', async () => {
    const report = await audit();
    expect(report).toMatchObject({
      ok: true,
      accepted: 25,
      wishes: 25,
      evacuees: 20,
      outcomes: { stored: 20, superseded: 5, rejected: 0 },
      onTheirWay: [],
      deadLettered: [],
      lost: [],
      wrongCurrent: [],
      supersededByNothing: [],
    });
    // Evacuees 1–5 moved: 10 even evacuees on Mars at first, then 1, 3, 5 there and 2, 4 away.
    expect(report.tally).toEqual({
      ledger: { mars: 11, europa: 9 },
      store: { mars: 11, europa: 9 },
      storeCount: { mars: 11, europa: 9 },
      readModel: { mars: 11, europa: 9 },
      wall: { mars: 11, europa: 9 },
    });
    expect(report.deadLetters).toEqual({ intake: [] });

    const file = join(pipeline.dataDir, 'ledger.ndjson');
    writeFileSync(file, `${ledger.map((entry) => JSON.stringify(entry)).join('\n')}\n`);
    const command = await exodus(['audit', '--data', pipeline.dataDir, '--ledger', file]);
    expect(command.code, command.stderr).toBe(0);
    expect(command.stdout).toMatch(/^OK: all 25 accepted wishes accounted for \(20 evacuees\)/);
  });

  it("leaves the synthetic canary's wishes out: stored, yet never lost, extra or counted, even when a ledger names them", async () => {
    const canary: LedgerEntry[] = [];
    for (const n of [1, 2]) {
      const res = await pipeline.app.inject({
        method: 'POST',
        url: '/api/wishes',
        headers: { authorization: `Bearer ${passFor(CANARY_EVACUEE_ID)}` },
        payload: { destination: 'mars', message: `canary run ${n}` },
      });
      expect(res.statusCode).toBe(202);
      const { id, submittedAt } = res.json<{ id: string; submittedAt: string }>();
      canary.push({ id, evacueeId: CANARY_EVACUEE_ID, destination: 'mars', submittedAt });
    }
    const [first, second] = canary.map((entry) => entry.id);
    const { store, readModel } = pipeline.storage;
    await waitFor(
      async () =>
        (await readModel.lastCanary())?.id === second &&
        (await store.get(first ?? ''))?.status === 'superseded' &&
        (await store.get(second ?? ''))?.status === 'stored',
      15_000,
      'the canary wishes never reached the store and the read model',
    );
    // The store counts the canary's current wish; nothing else does, and the audit takes it out.
    expect(await store.countCurrent()).toEqual({ mars: 12, europa: 9 });
    for (const entries of [ledger, [...ledger, ...canary]]) {
      const report = await audit(entries);
      expect(report).toMatchObject({ ok: true, accepted: 25, wishes: 25, lost: [], onTheirWay: [] });
      expect(report.tally).toEqual({
        ledger: { mars: 11, europa: 9 },
        store: { mars: 11, europa: 9 },
        storeCount: { mars: 11, europa: 9 },
        readModel: { mars: 11, europa: 9 },
        wall: { mars: 11, europa: 9 },
      });
    }
  });

  it('names an accepted wish that is in no queue, no dead-letter queue and not in the store as lost', async () => {
    const lost = {
      id: '0190a1b2-0000-7000-8000-000000000001',
      evacueeId: 'EV-09999',
      destination: 'mars' as const,
      submittedAt: new Date().toISOString(),
    };
    const report = await audit([...ledger, lost]);
    expect(report.ok).toBe(false);
    expect(report).toMatchObject({ lost: [lost.id], onTheirWay: [], deadLettered: [] });
  });

  it('tells a wish still in a queue (on its way) and a dead-lettered one from a lost one', async () => {
    // A second pipeline's queues with no consumers: what is sent there stays.
    const queues = await openMessaging(`sqlite:${tempDir()}`, { maxAttempts: 5, maxLeaseLapses: 10 });
    try {
      const entry = (n: number) => ({
        id: `0190a1b2-0000-7000-8000-00000000010${n}`,
        evacueeId: `EV-0900${n}`,
        destination: 'mars' as const,
        submittedAt: new Date().toISOString(),
      });
      const [queued, parsed, parked, lost] = [entry(1), entry(2), entry(3), entry(4)];
      await queues
        .queue(QUEUES.intake)
        .send([
          createEnvelope(EVENT_TYPES.wishAccepted, '/test', `${queued.id}.accepted`, queued),
          createEnvelope(EVENT_TYPES.wishAccepted, '/test', `${parked.id}.accepted`, parked),
        ]);
      await queues
        .topic(TOPICS.wishParsed)
        .publish([createEnvelope(EVENT_TYPES.wishParsed, '/test', `${parsed.id}.parsed`, parsed)]);
      const [poison] = (await queues.queue(QUEUES.intake).receive(10, 5000)).filter(
        (d) => d.message.id === `${parked.id}.accepted`,
      );
      await poison?.deadLetter('unreadable');
      const report = await auditLedger([...ledger, queued, parsed, parked, lost], {
        store: pipeline.storage.store,
        readModel: pipeline.storage.readModel,
        queues: Object.fromEntries(Object.values(QUEUES).map((name) => [name, queues.queue(name)])),
      });
      expect(report.ok).toBe(false);
      expect(report.onTheirWay).toEqual([
        { id: queued.id, queue: QUEUES.intake },
        { id: parsed.id, queue: QUEUES.store },
      ]);
      expect(report.deadLettered).toEqual([{ id: parked.id, queue: QUEUES.intake, lastError: 'unreadable' }]);
      expect(report.lost).toEqual([lost.id]);
    } finally {
      await queues.close();
    }
  });

  it('catches an evacuee with two current wishes', async () => {
    const [first, second] = ledger;
    const store = pipeline.storage.store;
    // A store that breaks the one-current rule: the superseded first wish of EV-00001 reads as stored.
    const broken: WishStore = Object.assign(Object.create(store) as WishStore, {
      scan: async (after: string | undefined, limit: number) =>
        (await store.scan(after, limit)).map((r) =>
          r.evacueeId === first?.evacueeId && r.status === 'superseded' ? { ...r, status: 'stored' as const } : r,
        ),
    });
    expect(second).toBeDefined();
    const report = await auditLedger(ledger, { store: broken, readModel: pipeline.storage.readModel });
    expect(report.ok).toBe(false);
    expect(report.wrongCurrent).toHaveLength(1);
    expect(report.wrongCurrent[0]?.evacueeId).toBe(first?.evacueeId);
    expect(report.wrongCurrent[0]?.current).toHaveLength(2);
  });

  it("catches a tally that differs from the ledger's expectation", async () => {
    // The ledger says the last wish went to the other destination: the store and the ledger disagree.
    const last = ledger.at(-1);
    if (last === undefined) throw new Error('empty ledger');
    const moved = { ...last, destination: last.destination === 'mars' ? ('europa' as const) : ('mars' as const) };
    const report = await audit([...ledger.slice(0, -1), moved]);
    expect(report.ok).toBe(false);
    expect(report.tallyMatches).toBe(false);
    expect(report.tally.ledger[moved.destination]).toBe(report.tally.store[moved.destination] + 1);
  });

  it('sees a wish counted in the read model that the store does not hold', async () => {
    const stored = await pipeline.storage.store.get(ledger[10]?.id ?? '');
    const wish = stored?.wish;
    if (wish === undefined) throw new Error('no stored wish to copy');
    await pipeline.storage.readModel.apply({
      ...wish,
      id: '0190a1b2-0000-7000-8000-000000000002',
      evacueeId: 'EV-08888',
    });
    const report = await audit();
    expect(report.ok).toBe(false);
    expect(report.tallyMatches).toBe(false);
    expect(report.tally.readModel[wish.destination]).toBe(report.tally.store[wish.destination] + 1);
  });

  it('is a command: exit 0 when all holds, 1 naming the ids when not, 2 with the line of a bad ledger', async () => {
    const dir = pipeline.dataDir;
    const file = join(dir, 'ledger.ndjson');
    writeFileSync(
      file,
      `${ledger
        .slice(0, 3)
        .map((entry) => JSON.stringify(entry))
        .join('\n')}\n`,
    );
    // The read model now holds one wish too many (the test above): a mismatch the command reports.
    const mismatch = await exodus(['audit', '--data', dir, '--ledger', file]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stdout).toMatch(/^NOT OK: 0 lost, 0 dead-lettered, 0 on their way.*tallies differ/);

    const lost = {
      id: '0190a1b2-0000-7000-8000-000000000003',
      evacueeId: 'EV-07777',
      destination: 'europa',
      submittedAt: new Date().toISOString(),
    };
    writeFileSync(file, `${JSON.stringify(lost)}\n`);
    const json = await exodus(['audit', '--data', dir, '--ledger', file, '--json']);
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as AuditReport).lost).toEqual([lost.id]);

    writeFileSync(
      file,
      `${JSON.stringify(ledger[0])}\n{"id": "x", "evacueeId": "EV-1", "destination": "moon", "submittedAt": "2045-01-01T00:00:00Z"}\n`,
    );
    const bad = await exodus(['audit', '--data', dir, '--ledger', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(`exodus: ${file}:2: "destination" must be one of mars, europa`);
    expect((await exodus(['audit', '--data', dir])).stderr.trim()).toBe(
      'exodus: --ledger is required (exodus audit --help)',
    );
  });
});

describe('the ledger format', () => {
  it('reads one accepted wish per line, skipping blank lines, and names the first bad line', () => {
    const good = { id: 'a', evacueeId: 'EV-1', destination: 'mars', submittedAt: '2045-01-01T00:00:00.000Z' };
    expect(parseLedger(`${JSON.stringify(good)}\n\n${JSON.stringify({ ...good, id: 'b' })}\n`)).toHaveLength(2);
    expect(() => parseLedger('{"id":', 'l.ndjson')).toThrow('l.ndjson:1: not JSON');
    expect(() => parseLedger(`${JSON.stringify(good)}\n[1]`, 'l')).toThrow('l:2: "id" must be a non-empty string');
    expect(() => parseLedger(JSON.stringify({ ...good, submittedAt: 'yesterday' }), 'l')).toThrow(
      'l:1: "submittedAt" is not a time',
    );
    expect(() => parseLedger('42', 'l')).toThrow('l:1: not a JSON object');
  });
});
