import { describe, expect, it } from 'vitest';
import { StallWatch } from '../../../src/engines/nats/stall-watch.js';

describe('NATS: moving off a server that stopped serving', () => {
  it('moves only after nothing but failures for the whole stall time, then starts counting again', () => {
    let now = 0;
    const watch = new StallWatch(10_000, () => now);
    expect(watch.failed()).toBe(false);
    now = 9_999;
    expect(watch.failed()).toBe(false);
    now = 10_000;
    expect(watch.failed()).toBe(true);
    now = 15_000;
    expect(watch.failed()).toBe(false); // a new stall begins with this failure
    now = 25_000;
    expect(watch.failed()).toBe(true);
  });

  it('one request served in between (an election that ended) starts the stall over', () => {
    let now = 0;
    const watch = new StallWatch(10_000, () => now);
    watch.failed();
    now = 8_000;
    watch.served();
    now = 12_000;
    expect(watch.failed()).toBe(false);
    now = 21_999;
    expect(watch.failed()).toBe(false);
  });
});
