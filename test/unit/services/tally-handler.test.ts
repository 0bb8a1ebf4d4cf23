import { describe, expect, it } from 'vitest';
import { CANARY_EVACUEE_ID } from '../../../src/domain/index.js';
import { EVENT_TYPES, type CanaryNote, type Envelope, type ReadModel } from '../../../src/ports/index.js';
import { createLogger } from '../../../src/runtime/index.js';
import { createTallyHandler } from '../../../src/services/tally/index.js';
import { counted } from '../../../testkit/in-process.js';
import { parsedWish } from '../../contract/fixtures.js';

/** The tally's parsed-wish event carrying `wish`. */
const parsedEvent = (wish: ReturnType<typeof parsedWish>): Envelope => ({
  specversion: '1.0',
  id: `${wish.id}.parsed`,
  source: '/test',
  type: EVENT_TYPES.wishParsed,
  time: wish.submittedAt,
  datacontenttype: 'application/json',
  traceparent: '',
  data: wish,
});

describe('the tally handler', () => {
  it('times a wish from its 202 to the wall once: when the read model takes it, not when a redelivery or an older version changes nothing', async () => {
    let changes = true;
    const applied: string[] = [];
    const readModel: ReadModel = {
      apply: async (wish) => {
        applied.push(wish.id);
        return changes;
      },
      wall: async () => ({ items: [], next: null }),
      tally: async () => ({ mars: 0, europa: 0 }),
      noteCanary: async () => true,
      lastCanary: async () => undefined,
    };
    const handler = createTallyHandler({ readModel, logger: createLogger('test', 'silent') });
    const wish = parsedWish({ evacueeId: 'EV-00001' }, Date.now() - 1500);
    const event = parsedEvent(wish);
    const before = await counted('exodus.wish.time_to_wall');

    await handler(event);
    changes = false;
    await handler(event);
    expect(applied).toEqual([wish.id, wish.id]);
    expect((await counted('exodus.wish.time_to_wall')) - before).toBe(1);
  });

  it("notes the canary's wish and never applies it: the wall and the tally never show it, and it is not timed as a wish", async () => {
    const applied: string[] = [];
    const noted: CanaryNote[] = [];
    const readModel: ReadModel = {
      apply: async (wish) => {
        applied.push(wish.id);
        return true;
      },
      wall: async () => ({ items: [], next: null }),
      tally: async () => ({ mars: 0, europa: 0 }),
      noteCanary: async (wish) => {
        noted.push(wish);
        return true;
      },
      lastCanary: async () => noted.at(-1),
    };
    const handler = createTallyHandler({ readModel, logger: createLogger('test', 'silent') });
    const canary = parsedWish({ evacueeId: CANARY_EVACUEE_ID }, Date.now() - 500);
    const real = parsedWish({ evacueeId: 'EV-00002' }, Date.now() - 400);
    const before = await counted('exodus.wish.time_to_wall');

    await handler(parsedEvent(canary));
    await handler(parsedEvent(real));
    expect(noted.map((note) => note.id)).toEqual([canary.id]);
    expect(applied).toEqual([real.id]);
    expect((await counted('exodus.wish.time_to_wall')) - before).toBe(1);
  });
});
