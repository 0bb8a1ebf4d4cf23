import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DependencyWatch, dependencyOf } from '../../../src/runtime/dependency-watch.js';
import { createLogger } from '../../../src/runtime/index.js';
import { LogCapture } from '../../../testkit/in-process.js';

const watching = () => {
  const logs = new LogCapture();
  const watch = new DependencyWatch({ queue: 'store', logger: createLogger('test', 'info', logs) });
  const events = () => logs.lines().filter((line) => String(line['event']).startsWith('dependency.'));
  return { watch, events };
};

describe('which dependency an outage is of', () => {
  it.each([
    ['postgres_unavailable', 'postgres'],
    ['nats_disconnected', 'nats'],
    ['sqlite_unavailable', 'sqlite'],
    ['dynamodb_throttled', 'dynamodb'],
    ['store-unavailable', 'store'],
    ['ECONNRESET', 'ECONNRESET'],
  ])('%s → %s', (code, dependency) => expect(dependencyOf(code)).toBe(dependency));
});

describe('a dependency watch', () => {
  it('tells the outage once, after the turn, with what was held in that turn; its end once, with the peak', async () => {
    const { watch, events } = watching();
    for (let i = 0; i < 3; i++) watch.hold('postgres');
    expect(events()).toEqual([]);
    await nextTurn();
    watch.hold('postgres');
    expect(watch.holding('postgres')).toBe(4);
    for (let i = 0; i < 3; i++) watch.release('postgres');
    expect(events()).toEqual([
      expect.objectContaining({ event: 'dependency.unavailable', dependency: 'postgres', held: 3 }),
    ]);
    watch.release('postgres');
    expect(watch.holding('postgres')).toBe(0);
    expect(events()).toEqual([
      expect.objectContaining({ event: 'dependency.unavailable', level: 40 }),
      expect.objectContaining({ event: 'dependency.available', dependency: 'postgres', queue: 'store', heldPeak: 4 }),
    ]);
  });

  it('an outage over within its turn is never told, neither its start nor its end', async () => {
    const { watch, events } = watching();
    watch.hold('sqlite');
    watch.release('sqlite');
    await nextTurn();
    expect(events()).toEqual([]);
  });

  it('keeps each dependency apart, and a release of one never held changes nothing', async () => {
    const { watch, events } = watching();
    watch.hold('sqlite');
    watch.hold('nats');
    watch.release('postgres');
    await nextTurn();
    watch.release('nats');
    expect(watch.holding('sqlite')).toBe(1);
    expect(events().map((line) => [line['event'], line['dependency']])).toEqual([
      ['dependency.unavailable', 'sqlite'],
      ['dependency.unavailable', 'nats'],
      ['dependency.available', 'nats'],
    ]);
  });
});
