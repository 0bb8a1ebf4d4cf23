import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushIntervalLogs, IntervalLog } from '../../../src/runtime/index.js';

describe('the interval log', () => {
  afterEach(() => vi.useRealTimers());

  it('writes one summary per key per interval, the first occurrence starting the clock; flush writes early and starts afresh', () => {
    vi.useFakeTimers();
    const written: { key: string; count: number }[] = [];
    const log = new IntervalLog<{ key: string; count: number }>(1000, (summary) => written.push({ ...summary }));
    const add = (key: string): boolean => {
      const { summary, first } = log.gather(key, () => ({ key, count: 0 }));
      summary.count++;
      return first;
    };

    expect([add('a'), add('a'), add('b'), add('a')]).toEqual([true, false, true, false]);
    vi.advanceTimersByTime(999);
    expect(written).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(written).toEqual([
      { key: 'a', count: 3 },
      { key: 'b', count: 1 },
    ]);

    expect(add('a')).toBe(true);
    log.flush();
    expect(written.at(-1)).toEqual({ key: 'a', count: 1 });
    vi.advanceTimersByTime(5000);
    expect(written).toHaveLength(3); // nothing pending, nothing written
  });

  it('a shutdown writes what every interval log still holds, each once', () => {
    vi.useFakeTimers();
    const written: string[] = [];
    const refusals = new IntervalLog<{ key: string }>(1000, ({ key }) => written.push(key));
    const injections = new IntervalLog<{ key: string }>(1000, ({ key }) => written.push(key));
    refusals.gather('429', () => ({ key: '429' }));
    injections.gather('injection', () => ({ key: 'injection' }));
    flushIntervalLogs();
    expect(written.sort()).toEqual(['429', 'injection']);
    vi.advanceTimersByTime(5000);
    flushIntervalLogs();
    expect(written).toHaveLength(2);
  });
});
