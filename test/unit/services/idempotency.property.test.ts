import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareVersions, type Destination, type ParsedWish } from '../../../src/domain/index.js';
import { EVENT_TYPES, type Envelope } from '../../../src/ports/index.js';
import { createLogger, type MessageHandler } from '../../../src/runtime/index.js';
import { createTallyHandler } from '../../../src/services/tally/index.js';
import { createWorkerHandler } from '../../../src/services/worker/index.js';
import { skipUnless } from '../../../testkit/index.js';
import { ENGINES } from '../../contract/engines.js';
import { parsedWish } from '../../contract/fixtures.js';

const logger = createLogger('test', 'silent');

/** A few evacuees, each with several versions; collisions in submittedAt are likely on purpose. */
const history = fc
  .array(
    fc.record({
      evacuee: fc.integer({ min: 1, max: 4 }),
      atMs: fc.integer({ min: 0, max: 5 }),
      destination: fc.constantFrom<Destination>('mars', 'europa'),
    }),
    { minLength: 1, maxLength: 14 },
  )
  .map((versions) =>
    versions.map(({ evacuee, atMs, destination }, i) =>
      parsedWish({
        evacueeId: `EV-0000${evacuee}`,
        id: `0190a000-0000-7000-8000-${String(i).padStart(12, '0')}`,
        submittedAt: new Date(Date.UTC(2045, 0, 1) + atMs).toISOString(),
        destination,
      }),
    ),
  );

/** At-least-once delivery: every wish at least once, some several times, in any order, in batches. */
const deliveries = (wishes: ParsedWish[]) =>
  fc
    .tuple(
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: wishes.length, maxLength: wishes.length }),
      fc.infiniteStream(fc.integer({ min: 1, max: 5 })),
    )
    .chain(([copies, batchSizes]) => {
      const all = wishes.flatMap((wish, i) => Array.from({ length: copies[i] ?? 1 }, () => wish));
      return fc
        .shuffledSubarray(all, { minLength: all.length, maxLength: all.length })
        .map((order) => batch(order, batchSizes));
    });

function batch<T>(items: T[], sizes: Iterable<number>): T[][] {
  const out: T[][] = [];
  const it = sizes[Symbol.iterator]();
  for (let i = 0; i < items.length;) {
    const size = it.next().value as number;
    out.push(items.slice(i, i + size));
    i += size;
  }
  return out;
}

/** The obvious sequential answer: per evacuee, the greatest version wins. */
function expected(wishes: ParsedWish[]): Map<string, ParsedWish> {
  const winners = new Map<string, ParsedWish>();
  for (const wish of wishes) {
    const current = winners.get(wish.evacueeId);
    if (current === undefined || compareVersions(wish, current) > 0) winners.set(wish.evacueeId, wish);
  }
  return winners;
}

const asEvent = (wish: ParsedWish): Envelope => ({
  specversion: '1.0',
  id: `${wish.id}.parsed`,
  source: '/test',
  type: EVENT_TYPES.wishParsed,
  time: wish.submittedAt,
  datacontenttype: 'application/json',
  traceparent: '',
  data: wish,
});

async function deliver(handler: MessageHandler, batches: ParsedWish[][]): Promise<void> {
  // Like the consume loop: a batch runs concurrently, batches one after another.
  for (const group of batches) await Promise.all(group.map((wish) => handler(asEvent(wish))));
}

/** Runs per engine: a fresh store each run; a client-server engine makes a schema per run, so fewer. */
const RUNS: Readonly<Record<string, number>> = { sqlite: 150 };

describe.each(ENGINES.filter((engine) => engine.openStorage !== undefined))(
  'worker and tally under duplicates and reordering: $name',
  (engine) => {
    const skip = skipUnless(engine.unavailable === undefined, engine.unavailable ?? '');
    it.skipIf(skip)(
      'end in the sequential answer: one current wish per evacuee, counts moved once, tally = store',
      async () => {
        const open = engine.openStorage ?? (() => Promise.reject(new Error(`${engine.name} has no storage`)));
        await fc.assert(
          fc.asyncProperty(
            history.chain((wishes) => fc.tuple(fc.constant(wishes), deliveries(wishes), deliveries(wishes))),
            async ([wishes, toWorker, toTally]) => {
              const storage = await open();
              try {
                await deliver(createWorkerHandler({ store: storage.store, logger }), toWorker);
                await deliver(createTallyHandler({ readModel: storage.readModel, logger }), toTally);

                const winners = expected(wishes);
                for (const wish of wishes) {
                  const record = await storage.store.get(wish.id);
                  expect(record?.status).toBe(winners.get(wish.evacueeId)?.id === wish.id ? 'stored' : 'superseded');
                }
                const counts = { mars: 0, europa: 0 };
                for (const wish of winners.values()) counts[wish.destination]++;
                expect(await storage.store.countCurrent()).toEqual(counts);
                expect(await storage.readModel.tally()).toEqual(counts);
                const wall = await storage.readModel.wall({ limit: 100 });
                expect(wall.items.map((item) => item.id).sort()).toEqual([...winners.values()].map((w) => w.id).sort());
              } finally {
                await storage.close();
              }
            },
          ),
          { numRuns: RUNS[engine.name] ?? 30 },
        );
      },
      120_000,
    );
  },
);
