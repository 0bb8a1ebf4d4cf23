import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { TurnBatch } from '../../../src/engines/shared/turn-batch.js';

class Bad extends Error {}

/** A batch runner that records the batches it was given and fails any that holds a negative number. */
function doubling(): { batch: TurnBatch<number, number>; batches: number[][] } {
  const batches: number[][] = [];
  const batch = new TurnBatch<number, number>(
    async (items) => {
      batches.push([...items]);
      if (items.some((n) => n < 0)) throw new Bad(`negative in ${items.join(',')}`);
      return items.map((n) => n * 2);
    },
    (error) => error instanceof Bad,
  );
  return { batch, batches };
}

describe('TurnBatch', () => {
  test('the calls of one turn run as one batch, each answered with its own result, in order', async () => {
    const { batch, batches } = doubling();
    const answers = await Promise.all([1, 2, 3].map((n) => batch.add(n)));
    expect(answers).toEqual([2, 4, 6]);
    await nextTurn();
    expect(batches).toEqual([[1, 2, 3]]); // and no empty batch after it
  });

  test('calls of later turns make later batches', async () => {
    const { batch, batches } = doubling();
    const first = batch.add(1);
    await nextTurn();
    const second = batch.add(2);
    expect(await Promise.all([first, second])).toEqual([2, 4]);
    expect(batches).toEqual([[1], [2]]);
  });

  test('a batch that fails for one item (isolate says so) is run again one item at a time: only that item fails', async () => {
    const { batch, batches } = doubling();
    const results = await Promise.allSettled([1, -1, 3].map((n) => batch.add(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results[0]).toMatchObject({ value: 2 });
    expect(results[2]).toMatchObject({ value: 6 });
    expect(batches).toEqual([[1, -1, 3], [1], [-1], [3]]);
  });

  test('a failure isolate does not claim (an outage) fails every item of the batch, without running each again', async () => {
    const batches: number[][] = [];
    const down = new TurnBatch<number, number>(async (items) => {
      batches.push([...items]);
      throw new Error('the database is down');
    });
    const results = await Promise.allSettled([1, 2].map((n) => down.add(n)));
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok'))).toEqual([
      'the database is down',
      'the database is down',
    ]);
    expect(batches).toEqual([[1, 2]]);
  });

  test('each answer may be a promise of its own, settled on its own', async () => {
    const sends = new TurnBatch<number, number>((items) =>
      items.map((n) => (n === 2 ? Promise.reject(new Error('no')) : Promise.resolve(n))),
    );
    const results = await Promise.allSettled([1, 2].map((n) => sends.add(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
  });
});
