import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateProfile, type Segment } from '../../../src/ops/load/index.js';

const segment = (name: string, startMs: number, durationMs: number, from: number, to: number): Segment => ({
  name,
  kind: 'test',
  startMs,
  durationMs,
  from,
  to,
});

describe('a rate profile', () => {
  it('counts arrivals as the area under the rate: constant, ramp, pause', () => {
    const profile = new RateProfile([
      segment('flat', 0, 10_000, 50, 50),
      segment('ramp', 10_000, 10_000, 0, 100),
      segment('pause', 20_000, 5_000, 0, 0),
    ]);
    expect(profile.total).toBe(500 + 500);
    expect(profile.countAt(5_000)).toBeCloseTo(250);
    expect(profile.countAt(15_000)).toBeCloseTo(500 + 125); // ¼ of the ramp's area in its first half
    expect(profile.countAt(22_000)).toBeCloseTo(1000);
    expect(profile.totalMs).toBe(25_000);
    expect(profile.rateAt(15_000)).toBeCloseTo(50);
    expect(profile.segmentAt(21_000)?.name).toBe('pause');
  });

  it('due times invert the count: arrival i is due when the count reaches i, in order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            durationMs: fc.integer({ min: 100, max: 5_000 }),
            from: fc.integer({ min: 0, max: 500 }),
            to: fc.integer({ min: 0, max: 500 }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        (specs) => {
          let start = 0;
          const segments = specs.map((s, i) => {
            const made = segment(`s${i}`, start, s.durationMs, s.from, s.to);
            start += s.durationMs;
            return made;
          });
          const profile = new RateProfile(segments);
          let previous = -1;
          for (let i = 0; i < profile.total; i += Math.max(1, Math.floor(profile.total / 50))) {
            const due = profile.dueAtMs(i);
            expect(due).toBeGreaterThanOrEqual(previous);
            expect(profile.countAt(due)).toBeCloseTo(i, 3);
            previous = due;
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
