import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StorageEngine } from '../../../src/ports/index.js';
import { skipUnless } from '../../../testkit/index.js';
import { DYNAMODB_UNAVAILABLE, openTestDynamoStorage } from '../../contract/dynamodb-fixture.js';
import { parsedWish } from '../../contract/fixtures.js';

// The wall index is read newest first, a page at a time: with more rows than a page (the contract's
// cases fit in one query), a page must still be the newest ones, not the oldest ones sorted.
describe.skipIf(skipUnless(DYNAMODB_UNAVAILABLE === undefined, `DynamoDB wall: ${DYNAMODB_UNAVAILABLE ?? ''}`))(
  'DynamoDB wall with more rows than a page',
  () => {
    let storage: StorageEngine;
    beforeAll(async () => {
      storage = await openTestDynamoStorage();
    }, 60_000);
    afterAll(async () => storage?.close());

    it('pages through the newest first, per destination and across them', async () => {
      const t = Date.parse('2045-01-01T00:00:00.000Z');
      const wishes = Array.from({ length: 9 }, (_, i) =>
        parsedWish({ evacueeId: `EV-0030${i}`, destination: i % 3 === 0 ? 'europa' : 'mars' }, t + i * 1000),
      );
      for (const wish of wishes) await storage.readModel.apply(wish);
      const newestFirst = [...wishes].reverse();
      const mars = newestFirst.filter((wish) => wish.destination === 'mars').map((wish) => wish.id);

      const first = await storage.readModel.wall({ destination: 'mars', limit: 2 });
      expect(first.items.map((item) => item.id)).toEqual(mars.slice(0, 2));
      const second = await storage.readModel.wall({ destination: 'mars', limit: 2, cursor: first.next ?? '' });
      expect(second.items.map((item) => item.id)).toEqual(mars.slice(2, 4));
      expect((await storage.readModel.wall({ limit: 4 })).items.map((item) => item.id)).toEqual(
        newestFirst.slice(0, 4).map((wish) => wish.id),
      );
    });
  },
);
