import { describe, expect, it } from 'vitest';
import { destroyNamespace, openStorage } from '../../../src/engines/index.js';
import type { StorageEngine } from '../../../src/ports/index.js';
import { skipUnless } from '../../../testkit/index.js';
import { DYNAMODB_UNAVAILABLE, testDynamoUrl } from '../../contract/dynamodb-fixture.js';
import { parsedWish } from '../../contract/fixtures.js';

/**
 * The contract races writers through one engine, whose puts of one evacuee queue in the process; so
 * only engines of their own (replicas) on one table race to the conditions, and only they show the
 * re-read and retry on DynamoDB Local itself.
 */
describe.skipIf(skipUnless(DYNAMODB_UNAVAILABLE === undefined, `dynamodb: ${DYNAMODB_UNAVAILABLE ?? ''}`))(
  'DynamoDB engine: replicas on one table',
  () => {
    it('racing replicas: the newest of each evacuee wins in the store and the read model, counts moved once', async () => {
      const url = await testDynamoUrl();
      const replicas = await Promise.all([1, 2, 3, 4].map(() => openStorage(url)));
      try {
        const t = Date.now();
        const evacuees = ['EV-00031', 'EV-00032', 'EV-00033', 'EV-00034', 'EV-00035'];
        const versions = evacuees.flatMap((evacueeId, e) =>
          Array.from({ length: 12 }, (_, v) =>
            parsedWish({ evacueeId, destination: (v + e) % 2 === 0 ? 'mars' : 'europa' }, t + v * 1000),
          ),
        );
        // Every version three times, spread over the replicas in an order none controls.
        const deliveries = [...versions, ...versions, ...versions]
          .map((wish, i) => ({ wish, key: (i * 7919) % 180 }))
          .sort((a, b) => a.key - b.key);
        const replica = (i: number): StorageEngine => {
          const engine = replicas[i % replicas.length];
          if (engine === undefined) throw new Error('no replicas');
          return engine;
        };

        const outcomes = await Promise.all(
          deliveries.map(({ wish }, i) =>
            replica(i)
              .store.put(wish)
              .then((outcome) => ({ id: wish.id, outcome })),
          ),
        );
        const changed = await Promise.all(deliveries.map(({ wish }, i) => replica(i + 1).readModel.apply(wish)));

        const newest = evacuees.map((evacueeId) => versions.filter((wish) => wish.evacueeId === evacueeId).at(-1));
        const [first] = replicas;
        for (const wish of versions) {
          expect(
            outcomes.filter((o) => o.id === wish.id && o.outcome === 'duplicate'),
            wish.id,
          ).toHaveLength(2);
          expect((await first?.store.get(wish.id))?.status, wish.id).toBe(
            newest.includes(wish) ? 'stored' : 'superseded',
          );
        }
        const expected = { mars: 0, europa: 0 };
        for (const wish of newest) if (wish !== undefined) expected[wish.destination]++;
        expect(await first?.store.countCurrent()).toEqual(expected);
        expect(await first?.readModel.tally()).toEqual(expected);
        expect((await first?.readModel.wall({ limit: 100 }))?.items.map((item) => item.id).sort()).toEqual(
          newest.map((wish) => wish?.id).sort(),
        );
        // Each apply that changed the wall replaced an older row: at most one per version, at least the winners.
        expect(changed.filter(Boolean).length).toBeGreaterThanOrEqual(evacuees.length);
        expect(changed.filter(Boolean).length).toBeLessThanOrEqual(versions.length);
      } finally {
        await Promise.all(replicas.map((engine) => engine.close()));
        await destroyNamespace(url);
      }
    }, 120_000);
  },
);
