import { describe, expect, it } from 'vitest';
import type { TraceView } from '../../../src/services/console/api-shapes.js';
import { layoutScatter } from '../../../web/console/scatter-layout.js';

const trace = (id: string, start: string, durationMs: number, errorCount = 0): TraceView => ({
  traceId: id,
  rootService: 'exodus-frontend',
  rootName: 'POST /api/wishes',
  start,
  durationMs,
  errorCount,
  spans: [],
});

describe('the latency scatter', () => {
  it('places traces by start across and duration up (from zero to the longest), errors marked', () => {
    const { dots, maxMs } = layoutScatter([
      trace('a', '2027-01-01T10:00:00.000Z', 100),
      trace('b', '2027-01-01T10:00:10.000Z', 50, 2),
      trace('c', '2027-01-01T10:00:05.000Z', 0),
    ]);
    expect(maxMs).toBe(100);
    const [a, b, c] = dots;
    expect(a?.x).toBeLessThan(c?.x ?? 0);
    expect(c?.x).toBeLessThan(b?.x ?? 0);
    expect((c?.x ?? 0) - (a?.x ?? 0)).toBeCloseTo((b?.x ?? 0) - (c?.x ?? 0), 6); // linear in time
    expect(a?.y).toBeLessThan(b?.y ?? 0); // longer is higher (SVG's y grows downwards)
    expect(b?.y).toBeLessThan(c?.y ?? 0);
    expect((c?.y ?? 0) - (b?.y ?? 0)).toBeCloseTo((b?.y ?? 0) - (a?.y ?? 0), 6); // linear in duration
    expect(dots.map((dot) => dot.error)).toEqual([false, true, false]);
    expect(b?.label).toContain('2 errors');
  });

  it('one trace, or all at one instant, sits in the middle; zero durations stay on the axis', () => {
    const { dots } = layoutScatter([
      trace('a', '2027-01-01T10:00:00.000Z', 0),
      trace('b', '2027-01-01T10:00:00.000Z', 0),
    ]);
    expect(dots[0]?.x).toBe(dots[1]?.x);
    expect(Number.isFinite(dots[0]?.x) && Number.isFinite(dots[0]?.y)).toBe(true);
  });
});
