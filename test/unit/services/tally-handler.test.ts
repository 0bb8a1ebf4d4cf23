import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, type Envelope, type ReadModel } from '../../../src/ports/index.js';
import { createLogger } from '../../../src/runtime/index.js';
import { createTallyHandler } from '../../../src/services/tally/index.js';
import { counted } from '../../../testkit/in-process.js';
import { parsedWish } from '../../contract/fixtures.js';

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
    };
    const handler = createTallyHandler({ readModel, logger: createLogger('test', 'silent') });
    const wish = parsedWish({ evacueeId: 'EV-00001' }, Date.now() - 1500);
    const event: Envelope = {
      specversion: '1.0',
      id: `${wish.id}.parsed`,
      source: '/test',
      type: EVENT_TYPES.wishParsed,
      time: wish.submittedAt,
      datacontenttype: 'application/json',
      traceparent: '',
      data: wish,
    };
    const before = await counted('exodus.wish.time_to_wall');

    await handler(event);
    changes = false;
    await handler(event);
    expect(applied).toEqual([wish.id, wish.id]);
    expect((await counted('exodus.wish.time_to_wall')) - before).toBe(1);
  });
});
