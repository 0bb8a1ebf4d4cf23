import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/runtime/index.js';
import { WriteGate } from '../../../src/services/frontend/load-shedding.js';
import { SheddingEvents } from '../../../src/services/frontend/shedding-events.js';
import { LogCapture } from '../../../testkit/in-process.js';

describe('load shedding events', () => {
  const setUp = () => {
    const logs = new LogCapture();
    const events = new SheddingEvents(createLogger('frontend', 'info', logs));
    const seen = () => logs.lines().map((line) => [line['event'], line['reason']]);
    return { events, seen };
  };

  it('on at the first refusal for a reason, once however many follow; off after a whole tick without one', () => {
    const { events, seen } = setUp();
    events.refused('writes-in-flight');
    events.refused('writes-in-flight');
    events.tick(); // refused during this tick: still on
    events.refused('writes-in-flight');
    events.tick();
    expect(seen()).toEqual([['load_shedding.on', 'writes-in-flight']]);
    events.tick(); // a tick with no refusal
    expect(seen()).toEqual([
      ['load_shedding.on', 'writes-in-flight'],
      ['load_shedding.off', 'writes-in-flight'],
    ]);
    events.tick();
    expect(seen()).toHaveLength(2);
  });

  it('each reason comes and goes on its own', () => {
    const { events, seen } = setUp();
    events.refused('event-loop-delay');
    events.refused('intake-unavailable');
    events.tick();
    events.refused('intake-unavailable');
    events.tick();
    events.refused('event-loop-delay');
    expect(seen()).toEqual([
      ['load_shedding.on', 'event-loop-delay'],
      ['load_shedding.on', 'intake-unavailable'],
      ['load_shedding.off', 'event-loop-delay'],
      ['load_shedding.on', 'event-loop-delay'],
    ]);
  });

  it('the write gate reports a lost intake queue while it lasts, and a full one by its refusals', async () => {
    const logs = new LogCapture();
    const logger = createLogger('frontend', 'info', logs);
    const events = new SheddingEvents(logger);
    const gate = new WriteGate(1, events);
    const kinds = () =>
      logs
        .lines()
        .filter((line) => line['event'] !== undefined)
        .map((line) => `${String(line['event'])} ${String(line['reason'])}`);

    await gate.checkQueue(() => Promise.reject(new Error('connection refused')), logger);
    events.tick();
    await gate.checkQueue(() => Promise.reject(new Error('connection refused')), logger);
    events.tick(); // no write came in, but the queue is still away: still on
    expect(kinds()).toEqual(['load_shedding.on intake-unavailable']);
    await gate.checkQueue(() => Promise.resolve(), logger);
    events.tick();
    expect(kinds()).toEqual(['load_shedding.on intake-unavailable', 'load_shedding.off intake-unavailable']);

    let release: () => void = () => undefined;
    const first = gate.send(() => new Promise<void>((done) => (release = done)));
    await expect(gate.send(() => Promise.resolve())).rejects.toMatchObject({ status: 503 });
    expect(kinds().at(-1)).toBe('load_shedding.on writes-in-flight');
    release();
    await first;
    events.tick();
    events.tick();
    expect(kinds().at(-1)).toBe('load_shedding.off writes-in-flight');
  });
});
