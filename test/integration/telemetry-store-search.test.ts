import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTelemetryStore } from '../../src/engines/index.js';
import type { StoredPoint, StoredSpan, TelemetryStore } from '../../src/ports/index.js';
import { LONE_NOISE } from '../../src/services/console/trace-noise.js';
import { tempDir } from '../../testkit/index.js';

let n = 0;
const span = (over: Partial<StoredSpan> & { traceId: string }): StoredSpan => ({
  spanId: (++n).toString(16).padStart(16, '0'),
  parentSpanId: null,
  service: 'exodus-frontend',
  instance: 'frontend-1',
  name: 'POST /api/wishes',
  kind: 2,
  startMs: 1_000_000 + n,
  durationMs: 5,
  statusCode: 0,
  statusMessage: '',
  attributes: {},
  events: [],
  links: [],
  wishId: null,
  evacueeId: null,
  ...over,
});
const trace = (i: number): string => i.toString(16).padStart(32, '0');

describe('the telemetry store finds traces by attribute and leaves lone receive and scrape spans out, in SQL', () => {
  let store: TelemetryStore;
  beforeAll(() => {
    store = openTelemetryStore(tempDir('exodus-store-search-'));
    store.record({
      spans: [
        span({ traceId: trace(1), attributes: { 'http.response.status_code': 503, 'http.route': '/api/wishes' } }),
        span({ traceId: trace(2), attributes: { 'http.response.status_code': 202, 'http.route': '/api/wishes' } }),
        // A string "503" is text, yet an operator's 503 finds it too.
        span({ traceId: trace(3), attributes: { 'http.response.status_code': '503', flag: true } }),
        span({ traceId: trace(4), name: 'receive wishes', attributes: { 'messaging.destination.name': 'wishes' } }),
        span({ traceId: trace(5), name: 'GET /metrics', attributes: { 'http.route': '/metrics' } }),
        // A receive with a child (its processing) is a real trace; a failed lone receive is worth seeing.
        span({ traceId: trace(6), spanId: 'aaaaaaaaaaaaaaaa', name: 'receive wishes' }),
        span({ traceId: trace(6), parentSpanId: 'aaaaaaaaaaaaaaaa', name: 'process wishes' }),
        span({ traceId: trace(7), name: 'receive intake', statusCode: 2 }),
        // Not a receive, though its name begins alike.
        span({ traceId: trace(8), name: 'received-late' }),
      ],
    });
  });
  afterAll(() => store.close());

  const find = (query: Partial<Parameters<TelemetryStore['findTraceIds']>[0]>): string[] =>
    store.findTraceIds({ limit: 50, ...query }).sort();

  it('matches an attribute by its value as text: a number by its spelling, a boolean by true/false, a string exactly', () => {
    expect(find({ attributes: [{ key: 'http.response.status_code', value: '503' }] })).toEqual([trace(1), trace(3)]);
    expect(find({ attributes: [{ key: 'http.response.status_code', value: '503.0' }] })).toEqual([trace(1)]);
    expect(find({ attributes: [{ key: 'flag', value: 'true' }] })).toEqual([trace(3)]);
    expect(find({ attributes: [{ key: 'flag', value: '1' }] })).toEqual([]);
    expect(find({ attributes: [{ key: 'messaging.destination.name', value: 'wishes' }] })).toEqual([trace(4)]);
    expect(find({ attributes: [{ key: 'messaging.destination.name', value: 'Wishes' }] })).toEqual([]);
  });

  it('several attributes must all hold on one span, and combine with the other filters', () => {
    const both = [
      { key: 'http.response.status_code', value: '503' },
      { key: 'http.route', value: '/api/wishes' },
    ];
    expect(find({ attributes: both })).toEqual([trace(1)]);
    expect(find({ attributes: both, service: 'exodus-parser' })).toEqual([]);
    expect(find({ attributes: [{ key: 'http.route', value: '/api/wishes' }], minDurationMs: 6 })).toEqual([]);
  });

  it('refuses a key that could break out of a JSON path', () => {
    expect(() => find({ attributes: [{ key: 'a"b', value: '1' }] })).toThrow(RangeError);
  });

  it('leaves out the traces of one receive or scrape span, unless failed; keeps them when not asked to', () => {
    const all = [1, 2, 3, 4, 5, 6, 7, 8].map(trace);
    expect(find({})).toEqual(all);
    expect(find({ hideLone: LONE_NOISE })).toEqual([1, 2, 3, 6, 7, 8].map(trace));
    expect(
      find({ hideLone: LONE_NOISE, attributes: [{ key: 'messaging.destination.name', value: 'wishes' }] }),
    ).toEqual([]);
  });

  it('lists the instruments it holds: kind, unit as sent, services and attribute keys of their recent points', () => {
    const point = (over: Partial<StoredPoint>): StoredPoint => ({
      timeMs: 5_000_000,
      service: 'exodus-worker',
      instance: 'worker-1',
      name: 'exodus.wishes',
      attributes: {},
      kind: 'sum',
      value: 1,
      count: 0,
      bounds: [],
      buckets: [],
      ...over,
    });
    store.record({
      points: [
        point({ unit: '{wish}', attributes: { 'exodus.wish.outcome': 'stored' } }),
        point({ service: 'exodus-frontend', unit: '{wish}', attributes: { 'exodus.wish.outcome': 'accepted' } }),
        // Long before its newest point: not among the recent keys.
        point({ timeMs: 1_000_000, attributes: { old: 'x' } }),
        point({ name: 'process.memory.usage', kind: 'gauge', timeMs: 4_000_000 }),
      ],
    });
    expect(store.instruments({ sinceMs: 0, recentMs: 60_000 })).toEqual([
      {
        name: 'exodus.wishes',
        kind: 'sum',
        unit: '{wish}',
        services: ['exodus-frontend', 'exodus-worker'],
        attributeKeys: ['exodus.wish.outcome'],
        lastMs: 5_000_000,
      },
      {
        name: 'process.memory.usage',
        kind: 'gauge',
        unit: null,
        services: ['exodus-worker'],
        attributeKeys: [],
        lastMs: 4_000_000,
      },
    ]);
    expect(store.instruments({ sinceMs: 4_500_000, recentMs: 60_000 }).map((i) => i.name)).toEqual(['exodus.wishes']);
    expect(store.instruments({ sinceMs: 0, recentMs: 60_000, name: 'nope' })).toEqual([]);
    const matching = store.pointsWhere({
      name: 'exodus.wishes',
      sinceMs: 2_000_000,
      service: 'exodus-worker',
      attributes: [{ key: 'exodus.wish.outcome', value: 'stored' }],
    });
    expect(matching.map((p) => p.attributes)).toEqual([{ 'exodus.wish.outcome': 'stored' }]);
  });

  it('reads a long window as the newest point of each series in each step', () => {
    const at = (timeMs: number, value: number, instance = 'worker-1'): StoredPoint => ({
      timeMs,
      service: 'exodus-worker',
      instance,
      name: 'stepped',
      attributes: { k: 'v' },
      kind: 'sum',
      value,
      count: 0,
      bounds: [],
      buckets: [],
    });
    store.record({
      points: [at(10_000, 1), at(15_000, 2), at(19_999, 3), at(20_000, 4), at(25_000, 5), at(12_000, 7, 'worker-2')],
    });
    const stepped = store.pointsWhere({
      name: 'stepped',
      sinceMs: 10_000,
      newestPerStep: { originMs: 0, stepMs: 10_000 },
    });
    expect(stepped.map((p) => [p.instance, p.timeMs, p.value])).toEqual([
      ['worker-2', 12_000, 7],
      ['worker-1', 19_999, 3],
      ['worker-1', 25_000, 5],
    ]);
  });
});
