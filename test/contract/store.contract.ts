import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CANARY_EVACUEE_ID } from '../../src/domain/index.js';
import type { ReadModel, StorageEngine, WishStore } from '../../src/ports/index.js';
import type { EngineUnderTest } from './engines.js';
import { parsedWish } from './fixtures.js';

/** The `WishStore` and `ReadModel` guarantees (see src/ports/wish-store.ts), for one engine. */
export function storeContract(engine: EngineUnderTest, open: () => Promise<StorageEngine>): void {
  const test = (name: string, body: () => Promise<void>): void => (name in engine.skip ? it.skip : it)(name, body);

  describe(`WishStore and ReadModel contract: ${engine.name}`, () => {
    let storage: StorageEngine;
    let store: WishStore;
    let readModel: ReadModel;
    beforeEach(async () => {
      storage = await open();
      ({ store, readModel } = storage);
    });
    afterEach(async () => storage.close());

    test('stores a wish and reads it back by id', async () => {
      const wish = parsedWish({ evacueeId: 'EV-00001', to: 'Mum' });
      expect(await store.put(wish)).toBe('stored');
      expect(await store.get(wish.id)).toEqual({
        id: wish.id,
        evacueeId: 'EV-00001',
        status: 'stored',
        submittedAt: wish.submittedAt,
        wish,
      });
      expect(await store.get('nope')).toBeUndefined();
    });

    test('put is idempotent by id', async () => {
      const wish = parsedWish({ evacueeId: 'EV-00001' });
      await store.put(wish);
      expect(await store.put(wish)).toBe('duplicate');
      expect(await store.countCurrent()).toEqual({ mars: 1, europa: 0 });
    });

    test('a newer wish supersedes the current one; an older one arriving late never overwrites', async () => {
      const t = Date.now();
      const older = parsedWish({ evacueeId: 'EV-00002', destination: 'mars' }, t);
      const newer = parsedWish({ evacueeId: 'EV-00002', destination: 'europa' }, t + 1000);
      const oldest = parsedWish({ evacueeId: 'EV-00002', destination: 'mars' }, t - 1000);
      expect(await store.put(older)).toBe('stored');
      expect(await store.put(newer)).toBe('stored');
      expect(await store.put(oldest)).toBe('superseded');
      expect((await store.get(older.id))?.status).toBe('superseded');
      expect((await store.get(newer.id))?.status).toBe('stored');
      expect((await store.get(oldest.id))?.status).toBe('superseded');
      expect(await store.countCurrent()).toEqual({ mars: 0, europa: 1 });
    });

    test('racing writers (as replicas would): the newest of each evacuee wins, every other is superseded, each id is stored once', async () => {
      const t = Date.now();
      const evacuees = ['EV-00011', 'EV-00012', 'EV-00013', 'EV-00014', 'EV-00015'];
      const versions = evacuees.flatMap((evacueeId, e) =>
        Array.from({ length: 12 }, (_, v) =>
          parsedWish({ evacueeId, destination: (v + e) % 2 === 0 ? 'mars' : 'europa' }, t + v * 1000),
        ),
      );
      // Every version twice (a redelivery racing its first delivery), in an order no writer controls.
      const puts = [...versions, ...versions]
        .map((wish, i) => ({ wish, key: (i * 7919) % 120 }))
        .sort((a, b) => a.key - b.key);
      const outcomes = await Promise.all(
        puts.map(({ wish }) => store.put(wish).then((outcome) => ({ id: wish.id, outcome }))),
      );
      for (const wish of versions) {
        const answers = outcomes.filter((o) => o.id === wish.id).map((o) => o.outcome);
        expect(
          answers.filter((a) => a === 'duplicate'),
          wish.id,
        ).toHaveLength(1);
      }
      const newest = evacuees.map((evacueeId) => versions.filter((w) => w.evacueeId === evacueeId).at(-1));
      for (const wish of versions) {
        expect((await store.get(wish.id))?.status, wish.id).toBe(newest.includes(wish) ? 'stored' : 'superseded');
      }
      const expected = { mars: 0, europa: 0 };
      for (const wish of newest) if (wish !== undefined) expected[wish.destination]++;
      expect(await store.countCurrent()).toEqual(expected);
    });

    for (const order of ['smaller id first', 'greater id first'] as const) {
      test(`same submittedAt, ${order}: the greater id wins in the store, the count and the wall`, async () => {
        const at = new Date().toISOString();
        const smaller = parsedWish({
          evacueeId: 'EV-00003',
          id: '01900000-0000-7000-8000-00000000000a',
          submittedAt: at,
          destination: 'mars',
        });
        const greater = parsedWish({
          evacueeId: 'EV-00003',
          id: '01900000-0000-7000-8000-00000000000b',
          submittedAt: at,
          destination: 'europa',
        });
        const [first, second] = order === 'smaller id first' ? [smaller, greater] : [greater, smaller];
        expect(await store.put(first)).toBe('stored');
        expect(await store.put(second)).toBe(second === greater ? 'stored' : 'superseded');
        expect((await store.get(greater.id))?.status).toBe('stored');
        expect((await store.get(smaller.id))?.status).toBe('superseded');
        expect(await store.countCurrent()).toEqual({ mars: 0, europa: 1 });

        expect(await readModel.apply(first)).toBe(true);
        expect(await readModel.apply(second)).toBe(second === greater);
        expect(await readModel.tally()).toEqual({ mars: 0, europa: 1 });
        expect((await readModel.wall({ limit: 10 })).items.map((item) => item.id)).toEqual([greater.id]);
      });
    }

    test('a rejection is recorded once with its reason, and a later put of that id is a duplicate', async () => {
      const wish = parsedWish({ evacueeId: 'EV-00004' });
      await store.reject({ ...wish, reason: 'message: empty' });
      await store.reject({ ...wish, reason: 'message: empty' });
      expect(await store.get(wish.id)).toEqual({
        id: wish.id,
        evacueeId: 'EV-00004',
        status: 'rejected',
        reason: 'message: empty',
        submittedAt: wish.submittedAt,
      });
      expect(await store.put(wish)).toBe('duplicate');
      expect(await store.countCurrent()).toEqual({ mars: 0, europa: 0 });
    });

    test('scan pages through every record in id order', async () => {
      const wishes = Array.from({ length: 7 }, (_, i) => parsedWish({ evacueeId: `EV-0010${i}` }));
      await Promise.all(wishes.map((w) => store.put(w)));
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.scan(after, 3);
        if (page.length === 0) break;
        seen.push(...page.map((r) => r.id));
        after = page.at(-1)?.id;
      }
      expect(seen).toEqual(wishes.map((w) => w.id).sort());
    });

    test('registers evacuees idempotently', async () => {
      expect(
        await store.registerEvacuees([
          { id: 'EV-00001', name: 'Ada' },
          { id: 'EV-00002', name: 'Bo' },
        ]),
      ).toBe(2);
      expect(await store.registerEvacuees([{ id: 'EV-00001', name: 'Ada L.' }])).toBe(1);
    });

    test('the read model moves a count when an evacuee changes destination, once', async () => {
      const t = Date.now();
      const first = parsedWish({ evacueeId: 'EV-00005', destination: 'mars' }, t);
      const second = parsedWish({ evacueeId: 'EV-00005', destination: 'europa' }, t + 1);
      expect(await readModel.apply(first)).toBe(true);
      expect(await readModel.tally()).toEqual({ mars: 1, europa: 0 });
      expect(await readModel.apply(second)).toBe(true);
      expect(await readModel.apply(second)).toBe(false);
      expect(await readModel.apply(first)).toBe(false);
      expect(await readModel.tally()).toEqual({ mars: 0, europa: 1 });
    });

    test('the wall shows the current wish of each evacuee, newest first, filtered and paged', async () => {
      const t = Date.now();
      const wishes = Array.from({ length: 5 }, (_, i) =>
        parsedWish({ evacueeId: `EV-0020${i}`, destination: i % 2 ? 'europa' : 'mars' }, t + i),
      );
      const replaced = parsedWish({ evacueeId: 'EV-00200', destination: 'mars', message: 'changed my mind' }, t + 10);
      for (const wish of [...wishes, replaced]) await readModel.apply(wish);

      const page1 = await readModel.wall({ limit: 2 });
      expect(page1.items.map((i) => i.id)).toEqual([replaced.id, wishes[4]?.id]);
      expect(page1.next).not.toBeNull();
      const page2 = await readModel.wall({ limit: 2, cursor: page1.next ?? '' });
      const page3 = await readModel.wall({ limit: 2, cursor: page2.next ?? '' });
      expect([...page1.items, ...page2.items, ...page3.items]).toHaveLength(5);
      expect(page3.next).toBeNull();
      expect(page1.items[0]).toEqual({
        id: replaced.id,
        evacueeId: 'EV-00200',
        destination: 'mars',
        message: 'changed my mind',
        submittedAt: replaced.submittedAt,
        arrivalDate: replaced.arrivalDate,
      });

      // A page that ends exactly at the last wish has no next page; pages of 3 end where they should.
      expect((await readModel.wall({ limit: 5 })).next).toBeNull();
      const byThree = await readModel.wall({ limit: 3 });
      expect(byThree.items.map((i) => i.id)).toEqual([replaced.id, wishes[4]?.id, wishes[3]?.id]);
      expect((await readModel.wall({ limit: 3, cursor: byThree.next ?? '' })).items.map((i) => i.id)).toEqual([
        wishes[2]?.id,
        wishes[1]?.id,
      ]);

      const europa = await readModel.wall({ destination: 'europa', limit: 10 });
      expect(europa.items.map((i) => i.evacueeId)).toEqual(['EV-00203', 'EV-00201']);
    });

    test("the canary's note keeps the newest canary wish, idempotently and order-insensitively, and shows on neither the wall nor the tally", async () => {
      const t = Date.now();
      const older = parsedWish({ evacueeId: CANARY_EVACUEE_ID }, t);
      const newer = parsedWish({ evacueeId: CANARY_EVACUEE_ID }, t + 1000);
      expect(await readModel.lastCanary()).toBeUndefined();
      expect(await readModel.noteCanary(older)).toBe(true);
      expect(await readModel.lastCanary()).toEqual({ id: older.id, submittedAt: older.submittedAt });
      expect(await readModel.noteCanary(newer)).toBe(true);
      // A redelivery, and an older one arriving late, change nothing.
      expect(await readModel.noteCanary(newer)).toBe(false);
      expect(await readModel.noteCanary(older)).toBe(false);
      expect(await readModel.lastCanary()).toEqual({ id: newer.id, submittedAt: newer.submittedAt });
      expect(await readModel.tally()).toEqual({ mars: 0, europa: 0 });
      expect((await readModel.wall({ limit: 10 })).items).toEqual([]);
    });
  });
}
