import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTelemetryStore } from '../../../src/engines/index.js';
import type { StoredPoint, TelemetryAttributes, TelemetryStore } from '../../../src/ports/index.js';
import { parseSelector, sloBudgets, type SloDefinition } from '../../../src/services/console/slo-budgets.js';
import { tempDir } from '../../../testkit/index.js';

/**
 * The console's SLO view counts each SLO's events from the points it stored, with the selectors
 * Prometheus evaluates: a histogram's `_count`, its `_bucket{le=…}`, or a counter. The figures a
 * user checks: how many good and total events, the SLI, and the budget left.
 */

const MINUTE = 60_000;
const NOW = Date.UTC(2045, 0, 1, 12);
const WINDOW = 60 * MINUTE;
const FROM = NOW - WINDOW;
const BOUNDS = [0.1, 0.25, 1];

const wishes = (status: number): TelemetryAttributes => ({
  'http.route': '/api/wishes',
  'http.request.method': 'POST',
  'http.response.status_code': status,
});

/** One series of cumulative histogram points: at each time, the observations so far per bucket. */
function histogram(
  attributes: TelemetryAttributes,
  at: readonly [number, readonly number[]][],
  instance = 'frontend-1',
): StoredPoint[] {
  return at.map(([timeMs, buckets]) => ({
    timeMs,
    service: 'exodus-frontend',
    instance,
    name: 'http.server.request.duration',
    attributes,
    kind: 'histogram',
    value: 0,
    count: buckets.reduce((a, b) => a + b, 0),
    bounds: BOUNDS,
    buckets,
  }));
}

/** One series of a cumulative counter. */
function counter(
  name: string,
  attributes: TelemetryAttributes,
  at: readonly [number, number][],
  instance = 'worker-1',
): StoredPoint[] {
  return at.map(([timeMs, value]) => ({
    timeMs,
    service: 'exodus-worker',
    instance,
    name,
    attributes,
    kind: 'sum',
    value,
    count: 0,
    bounds: [],
    buckets: [],
  }));
}

const AVAILABILITY: SloDefinition = {
  name: 'wish-acceptance-availability',
  displayName: 'Handing in a wish works',
  target: 0.999,
  good: 'http_server_request_duration_count{http_route="/api/wishes",http_request_method="POST",http_response_status_code=~"202|429|503"}',
  total:
    'http_server_request_duration_count{http_route="/api/wishes",http_request_method="POST",http_response_status_code!~"400|401|413|415|422"}',
};
const LATENCY: SloDefinition = {
  name: 'wish-acceptance-latency',
  displayName: 'Wishes are accepted quickly',
  target: 0.99,
  good: 'http_server_request_duration_bucket{http_route="/api/wishes",http_request_method="POST",http_response_status_code="202",le="0.25"}',
  total:
    'http_server_request_duration_count{http_route="/api/wishes",http_request_method="POST",http_response_status_code="202"}',
};
const STORED: SloDefinition = {
  name: 'wishes-stored',
  displayName: 'Wishes are stored',
  target: 0.9,
  good: 'exodus_wishes_total{exodus_wish_outcome="stored"}',
  total: 'exodus_wishes_total',
};

describe('SLO budgets in the console', () => {
  let store: TelemetryStore;
  beforeEach(() => {
    store = openTelemetryStore(tempDir('exodus-slo-budgets-'));
  });
  afterEach(() => store.close());

  const budgets = (slos: readonly SloDefinition[]) => sloBudgets(store, slos, NOW, WINDOW);

  it('availability: good and total answers over the window from the histogram counts, the SLI, and the budget left', () => {
    // Each series has a base point just before the window; what it counted since then is in the window.
    store.record({
      points: [
        ...histogram(wishes(202), [
          [FROM - 30_000, [100, 0, 0, 0]],
          [FROM + 10 * MINUTE, [500, 200, 0, 0]],
          [NOW - MINUTE, [1_000, 490, 0, 0]],
        ]),
        ...histogram(wishes(503), [
          [FROM - 30_000, [0, 0, 0, 0]],
          [NOW - MINUTE, [5, 0, 0, 0]],
        ]),
        ...histogram(wishes(429), [
          [FROM - 30_000, [0, 0, 0, 0]],
          [NOW - MINUTE, [0, 3, 0, 0]],
        ]),
        ...histogram(wishes(500), [
          [FROM - 30_000, [7, 0, 0, 0]],
          [NOW - MINUTE, [9, 0, 0, 0]],
        ]),
        ...histogram(wishes(401), [
          [FROM - 30_000, [0, 0, 0, 0]],
          [NOW - MINUTE, [100, 0, 0, 0]],
        ]),
      ],
    });
    const [budget] = budgets([AVAILABILITY]);
    // good: 1,390 accepted + 5 shed + 3 rate-limited; total: those and 2 failures (the 401s are the callers' mistakes).
    expect(budget).toMatchObject({
      name: AVAILABILITY.name,
      displayName: AVAILABILITY.displayName,
      target: 0.999,
      windowMs: WINDOW,
      good: 1_398,
      total: 1_400,
    });
    expect(budget?.sli).toBeCloseTo(1_398 / 1_400, 12);
    // 2 bad in 1,400 is 1.43 ‰ against a 1 ‰ budget: overspent by 43 %.
    expect(budget?.budgetLeft).toBeCloseTo(1 - 2 / 1_400 / 0.001, 9);
    expect(budget?.problem).toBeUndefined();
  });

  it('latency: the bucket selector counts the observations at or under its bound', () => {
    store.record({
      points: histogram(wishes(202), [
        [FROM - 30_000, [0, 0, 0, 0]],
        [NOW - MINUTE, [800, 150, 40, 10]],
      ]),
    });
    expect(budgets([LATENCY])[0]).toMatchObject({ good: 950, total: 1_000, sli: 0.95 });
    // A bound between the histogram's bounds counts the buckets wholly under it.
    expect(budgets([{ ...LATENCY, good: LATENCY.good.replace('le="0.25"', 'le="0.5"') }])[0]).toMatchObject({
      good: 950,
    });
    expect(budgets([{ ...LATENCY, good: LATENCY.good.replace('le="0.25"', 'le="0.1"') }])[0]).toMatchObject({
      good: 800,
    });
    expect(budgets([{ ...LATENCY, good: LATENCY.good.replace('le="0.25"', 'le="0.05"') }])[0]).toMatchObject({
      good: 0,
      sli: 0,
    });
    expect(budgets([{ ...LATENCY, good: LATENCY.good.replace('le="0.25"', 'le="1"') }])[0]).toMatchObject({
      good: 990,
    });
    // 0.95 against 0.99: five times the budget, 4 budgets overspent.
    expect(budgets([LATENCY])[0]?.budgetLeft).toBeCloseTo(-4, 9);
  });

  it('a counter SLI counts the events in the window, not their rate', () => {
    store.record({
      points: [
        ...counter('exodus.wishes', { 'exodus.wish.outcome': 'stored' }, [
          [FROM - 30_000, 1_000],
          [FROM + 30 * MINUTE, 1_300],
          [NOW - MINUTE, 1_540],
        ]),
        ...counter('exodus.wishes', { 'exodus.wish.outcome': 'superseded' }, [
          [FROM - 30_000, 0],
          [NOW - MINUTE, 60],
        ]),
      ],
    });
    expect(budgets([STORED])[0]).toMatchObject({ good: 540, total: 600, sli: 0.9 });
    expect(budgets([STORED])[0]?.budgetLeft).toBeCloseTo(0, 9);
  });

  it('what was counted before the window, or by series matching other labels, does not count', () => {
    store.record({
      points: [
        // Grew 900 before the window began (an hour and more ago), 100 within it.
        ...histogram(wishes(202), [
          [FROM - 2 * WINDOW, [0, 0, 0, 0]],
          [FROM - 30_000, [900, 0, 0, 0]],
          [NOW - MINUTE, [1_000, 0, 0, 0]],
        ]),
        // Another route and another method: not the SLO's.
        ...histogram({ ...wishes(202), 'http.route': '/api/wall' }, [
          [FROM - 30_000, [0, 0, 0, 0]],
          [NOW - MINUTE, [0, 0, 0, 70]],
        ]),
        ...histogram({ ...wishes(202), 'http.request.method': 'GET' }, [
          [FROM - 30_000, [0, 0, 0, 0]],
          [NOW - MINUTE, [0, 0, 0, 30]],
        ]),
      ],
    });
    expect(budgets([LATENCY])[0]).toMatchObject({ good: 100, total: 100, sli: 1, budgetLeft: 1 });
  });

  it('several processes (series) of one metric are summed', () => {
    store.record({
      points: [
        ...histogram(
          wishes(202),
          [
            [FROM - 30_000, [0, 0, 0, 0]],
            [NOW - MINUTE, [100, 0, 0, 0]],
          ],
          'frontend-1',
        ),
        ...histogram(
          wishes(202),
          [
            [FROM - 30_000, [0, 0, 0, 0]],
            [NOW - MINUTE, [50, 0, 0, 50]],
          ],
          'frontend-2',
        ),
      ],
    });
    expect(budgets([LATENCY])[0]).toMatchObject({ good: 150, total: 200, sli: 0.75 });
  });

  it('without events there is no SLI and no budget figure (not a perfect one)', () => {
    expect(budgets([AVAILABILITY, LATENCY, STORED])).toEqual([
      {
        name: AVAILABILITY.name,
        displayName: AVAILABILITY.displayName,
        target: 0.999,
        windowMs: WINDOW,
        good: 0,
        total: 0,
        sli: null,
        budgetLeft: null,
      },
      {
        name: LATENCY.name,
        displayName: LATENCY.displayName,
        target: 0.99,
        windowMs: WINDOW,
        good: 0,
        total: 0,
        sli: null,
        budgetLeft: null,
      },
      {
        name: STORED.name,
        displayName: STORED.displayName,
        target: 0.9,
        windowMs: WINDOW,
        good: 0,
        total: 0,
        sli: null,
        budgetLeft: null,
      },
    ]);
  });

  it('an SLI never exceeds 1, even when its good selector counts more than its total', () => {
    store.record({
      points: [
        ...histogram(wishes(202), [
          [FROM - 30_000, [0, 0, 0, 0]],
          [NOW - MINUTE, [10, 0, 0, 0]],
        ]),
        ...histogram(wishes(503), [
          [FROM - 30_000, [0, 0, 0, 0]],
          [NOW - MINUTE, [10, 0, 0, 0]],
        ]),
      ],
    });
    const odd = { ...LATENCY, good: AVAILABILITY.good };
    expect(budgets([odd])[0]).toMatchObject({ good: 20, total: 10, sli: 1, budgetLeft: 1 });
  });

  it('a selector it cannot read is a problem named in the answer, not a figure', () => {
    store.record({
      points: histogram(wishes(202), [
        [FROM - 30_000, [0, 0, 0, 0]],
        [NOW - MINUTE, [10, 0, 0, 0]],
      ]),
    });
    const problems = budgets([
      { ...LATENCY, name: 'a', good: 'sum(rate(x[5m]))' },
      { ...LATENCY, name: 'b', total: 'unknown_metric_count' },
      { ...LATENCY, name: 'c', good: LATENCY.good.replace(',le="0.25"', '') },
      { ...LATENCY, name: 'd', good: LATENCY.good.replace('le="0.25"', 'le="+Inf"') },
      { ...LATENCY, name: 'e', good: 'http_server_request_duration_count{http_route=/api/wishes}' },
    ]);
    expect(problems.map((b) => [b.name, b.problem, b.sli, b.budgetLeft])).toEqual([
      ['a', 'not a selector the console can read: sum(rate(x[5m]))', null, null],
      ['b', 'no metric the console knows as unknown_metric', null, null],
      ['c', `a _bucket selector needs le="<bound>": ${LATENCY.good.replace(',le="0.25"', '')}`, null, null],
      ['d', `a _bucket selector needs le="<bound>": ${LATENCY.good.replace('le="0.25"', 'le="+Inf"')}`, null, null],
      [
        'e',
        'not a selector the console can read: http_server_request_duration_count{http_route=/api/wishes}',
        null,
        null,
      ],
    ]);
    // The good side's problem is named first; a total side's own problem when the good side is fine.
    expect(budgets([{ ...LATENCY, good: 'nope_count', total: 'other_count' }])[0]?.problem).toBe(
      'no metric the console knows as nope',
    );
  });

  it('reads each metric once, from a minute before the window, however many selectors name it', () => {
    const asked: [readonly string[], number][] = [];
    const counting: TelemetryStore = new Proxy(store, {
      get: (target, key): unknown =>
        key === 'points'
          ? (names: readonly string[], sinceMs: number) => (asked.push([names, sinceMs]), target.points(names, sinceMs))
          : Reflect.get(target, key),
    });
    sloBudgets(counting, [AVAILABILITY, LATENCY, STORED], NOW, WINDOW);
    expect(asked.sort()).toEqual([
      [['exodus.wishes'], FROM - MINUTE],
      [['http.server.request.duration'], FROM - MINUTE],
    ]);
  });

  it('label matchers: =, !=, =~ and !~, regexes anchored as in PromQL, an absent label read as empty', () => {
    store.record({
      points: [
        ...counter('exodus.wishes', { 'exodus.wish.outcome': 'stored' }, [
          [FROM - 30_000, 0],
          [NOW - MINUTE, 1],
        ]),
        ...counter('exodus.wishes', { 'exodus.wish.outcome': 'stored-late' }, [
          [FROM - 30_000, 0],
          [NOW - MINUTE, 10],
        ]),
        ...counter('exodus.wishes', { 'exodus.wish.outcome': 'rejected' }, [
          [FROM - 30_000, 0],
          [NOW - MINUTE, 100],
        ]),
        ...counter('exodus.wishes', {}, [
          [FROM - 30_000, 0],
          [NOW - MINUTE, 1_000],
        ]),
      ],
    });
    const count = (selector: string): number =>
      budgets([{ ...STORED, good: selector, total: 'exodus_wishes_total' }])[0]?.good ?? -1;
    expect(count('exodus_wishes_total')).toBe(1_111);
    expect(count('exodus_wishes')).toBe(1_111);
    expect(count('exodus_wishes_total{exodus_wish_outcome="stored"}')).toBe(1);
    expect(count('exodus_wishes_total{exodus_wish_outcome!="stored"}')).toBe(1_110);
    expect(count('exodus_wishes_total{exodus_wish_outcome=~"stored"}')).toBe(1);
    expect(count('exodus_wishes_total{exodus_wish_outcome=~"stored.*"}')).toBe(11);
    expect(count('exodus_wishes_total{exodus_wish_outcome=~"stored|rejected"}')).toBe(101);
    expect(count('exodus_wishes_total{exodus_wish_outcome!~"stored|rejected"}')).toBe(1_010);
    expect(count('exodus_wishes_total{exodus_wish_outcome=""}')).toBe(1_000);
    expect(count('exodus_wishes_total{exodus_wish_outcome="stored",other=""}')).toBe(1);
    expect(count('exodus_wishes_total{ exodus_wish_outcome = "rejected" ,}')).toBe(100);
  });
});

describe('PromQL selectors the console reads', () => {
  it('a metric name alone, or with label matchers of every kind; quoted values unescaped', () => {
    expect(parseSelector('up')).toEqual({ metric: 'up', matchers: [] });
    expect(parseSelector(' x:y_z {} ')).toEqual({ metric: 'x:y_z', matchers: [] });
    expect(parseSelector('m{a="1",b!="2",c=~"3|4",d!~"5"}')).toEqual({
      metric: 'm',
      matchers: [
        { label: 'a', op: '=', value: '1' },
        { label: 'b', op: '!=', value: '2' },
        { label: 'c', op: '=~', value: '3|4' },
        { label: 'd', op: '!~', value: '5' },
      ],
    });
    expect(parseSelector('m{a="1", }')).toEqual({ metric: 'm', matchers: [{ label: 'a', op: '=', value: '1' }] });
    expect(parseSelector('m{a="1",,}')).toBeUndefined();
    expect(parseSelector('m{path="say \\"hi\\"",re=~"a\\\\.b"}')?.matchers).toEqual([
      { label: 'path', op: '=', value: 'say "hi"' },
      { label: 're', op: '=~', value: 'a\\.b' },
    ]);
  });

  it('anything else is not a selector it can read', () => {
    for (const text of [
      '',
      '9lives',
      'rate(m[5m])',
      'm{a=1}',
      'm{a="1"',
      'm{="1"}',
      'm{a~"1"}',
      'm{a="1"} + 1',
      'm[5m]',
    ])
      expect(parseSelector(text), text).toBeUndefined();
  });
});
