import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTelemetryStore } from '../../../src/engines/index.js';
import type { StoredPoint, TelemetryAttributes, TelemetryStore } from '../../../src/ports/index.js';
import type { ServiceResources } from '../../../src/services/console/api-shapes.js';
import { buildOverview, buildResources } from '../../../src/services/console/overview.js';
import { RULES, suggestionsFor } from '../../../src/services/console/resources.js';
import { tempDir } from '../../../testkit/index.js';

/**
 * Resources and right-sizing in the console: what each process uses, from the points it exported
 * (CPU time, RSS, heap by space, event-loop delay), and the rules' suggestions in words.
 */

const MINUTE = 60_000;
const NOW = Date.UTC(2045, 0, 1, 12);

function point(
  name: string,
  kind: StoredPoint['kind'],
  instance: string,
  timeMs: number,
  value: number,
  attributes: TelemetryAttributes = {},
  service = 'exodus-worker',
): StoredPoint {
  return {
    timeMs,
    service,
    instance,
    name,
    attributes: { 'process.pid': 4300 + Number(instance.at(-1)), ...attributes },
    kind,
    value,
    count: 0,
    bounds: [],
    buckets: [],
  };
}

/** A process as its telemetry shows it: RSS, heap in two spaces and its limit, loop delay, and CPU seconds at two times. */
function process_(instance: string, cpu: readonly [number, number][], delaySeconds = 0.004): StoredPoint[] {
  return [
    point('process.memory.usage', 'gauge', instance, NOW - 2000, 120e6),
    point('v8js.memory.heap.used', 'gauge', instance, NOW - 2000, 6e6, { 'v8js.heap.space.name': 'new_space' }),
    point('v8js.memory.heap.used', 'gauge', instance, NOW - 2000, 24e6, { 'v8js.heap.space.name': 'old_space' }),
    point('v8js.memory.heap.limit', 'gauge', instance, NOW - 2000, 2e9),
    point('nodejs.eventloop.delay.p99', 'gauge', instance, NOW - 2000, delaySeconds),
    point('nodejs.eventloop.utilization', 'gauge', instance, NOW - 2000, 0.03),
    ...cpu.map(([at, seconds]) => point('process.cpu.time', 'sum', instance, at, seconds, { 'cpu.mode': 'user' })),
  ];
}

describe('resources in the console', () => {
  let store: TelemetryStore;
  beforeEach(() => {
    store = openTelemetryStore(tempDir('exodus-resources-'));
  });
  afterEach(() => store.close());

  it('each process: cores used over the last minute, RSS, heap over every space, loop delay in ms; two idle workers: one would do', () => {
    store.record({
      points: [
        // Series without a start time: each one's first point is the base, the growth since is what it used.
        ...process_('worker-1', [
          [NOW - 10 * MINUTE, 10],
          [NOW - 90_000, 11],
          [NOW - 5000, 11.6],
        ]),
        ...process_('worker-2', [
          [NOW - 10 * MINUTE, 10],
          [NOW - 90_000, 10.5],
          [NOW - 5000, 10.8],
        ]),
        // 300 wishes accepted in the window (the first point is the base).
        point(
          'exodus.wishes',
          'sum',
          'frontend-1',
          NOW - 10 * MINUTE,
          100,
          { 'exodus.wish.outcome': 'accepted' },
          'exodus-frontend',
        ),
        point(
          'exodus.wishes',
          'sum',
          'frontend-1',
          NOW - MINUTE,
          400,
          { 'exodus.wish.outcome': 'accepted' },
          'exodus-frontend',
        ),
      ],
    });
    const { instances, services, suggestions } = buildResources(store, NOW);

    const { cpuCores, ...worker1 } = instances.find((i) => i.instance === 'worker-1') ?? { cpuCores: null };
    expect(cpuCores).toBeCloseTo(0.6 / 60, 9);
    expect(worker1).toEqual({
      service: 'exodus-worker',
      instance: 'worker-1',
      pid: 4301,
      rssBytes: 120e6,
      heapBytes: 30e6,
      heapLimitBytes: 2e9,
      eventLoopDelayP99Ms: 4,
      eventLoopUtilization: 0.03,
    });
    const worker = services.find((s) => s.service === 'exodus-worker');
    // The minute before the last holds 1.5 CPU seconds of both workers, the last one 0.9: the busiest is the peak.
    expect(worker?.processes).toBe(2);
    expect(worker?.cpuCores.peak).toBeCloseTo(1.5 / 60, 6);
    expect(worker?.cpuCores.average).toBeCloseTo((1.5 / 60 + 0.9 / 60) / 2, 6);
    expect(worker?.cpuSecondsPerMillionWishes).toBeCloseTo((2.4 / 300) * 1e6, 3);
    expect(suggestions).toEqual([
      {
        service: 'exodus-worker',
        rule: 'fewer-would-do',
        processes: 2,
        suggested: 1,
        text: 'worker: 2 processes used at most 0.025 cores in the busiest minute of the last 15 (1 % of a core each) — 1 would do',
      },
    ]);
  });

  it('a process whose loop lags past the limit: add one, and no "fewer would do" beside it', () => {
    store.record({
      points: [
        ...process_(
          'worker-1',
          [
            [NOW - 10 * MINUTE, 1],
            [NOW - 5000, 2],
          ],
          0.18,
        ),
        ...process_('worker-2', [
          [NOW - 10 * MINUTE, 1],
          [NOW - 5000, 2],
        ]),
      ],
    });
    expect(buildResources(store, NOW).suggestions).toEqual([
      expect.objectContaining({
        rule: 'add-a-process',
        suggested: 3,
        text: 'worker: event-loop delay p99 reached 180 ms (over 100 ms) — add a process (2 → 3)',
      }),
    ]);
  });
});

describe('the right-sizing rules', () => {
  const service = (over: Partial<ServiceResources>): ServiceResources => ({
    service: 'exodus-parser',
    processes: 2,
    // Two processes carrying 0.6 of a core at the peak: as many as the rules want.
    cpuCores: { average: 0.4, peak: 0.6, busiestProcess: 0.3 },
    rssBytes: { now: 200e6, peakProcess: 100e6 },
    eventLoopDelayP99Ms: { peak: 10 },
    heapShare: { peak: 0.1 },
    cpuSecondsPerMillionWishes: null,
    judgedSinceMs: RULES.EVIDENCE_MS,
    ...over,
  });
  const rules = (over: Partial<ServiceResources>) =>
    suggestionsFor(service(over)).map((s) => `${s.rule} ${s.suggested}`);

  it(`fewer would do: one process per ${RULES.CORES_PER_PROCESS} core at the peak, at least one, only from two up`, () => {
    expect(rules({ processes: 2, cpuCores: { average: 0, peak: 0.49, busiestProcess: 0.3 } })).toEqual([
      'fewer-would-do 1',
    ]);
    expect(rules({ processes: 2, cpuCores: { average: 0, peak: 0.51, busiestProcess: 0.3 } })).toEqual([]);
    expect(rules({ processes: 4, cpuCores: { average: 0, peak: 0.9, busiestProcess: 0.3 } })).toEqual([
      'fewer-would-do 2',
    ]);
    expect(rules({ processes: 1, cpuCores: { average: 0, peak: 0.01, busiestProcess: 0.01 } })).toEqual([]);
    expect(rules({ processes: 2, cpuCores: { average: null, peak: null, busiestProcess: null } })).toEqual([
      'fewer-would-do 1',
    ]);
  });

  it(`add a process: loop delay p99 over ${RULES.DELAY_LIMIT_MS} ms, or a process over ${RULES.BUSY_CORES} of its core`, () => {
    expect(rules({ eventLoopDelayP99Ms: { peak: 101 } })).toEqual(['add-a-process 3']);
    expect(rules({ eventLoopDelayP99Ms: { peak: 100 } })).toEqual([]);
    expect(rules({ cpuCores: { average: 0.5, peak: 0.9, busiestProcess: 0.81 } })).toEqual(['add-a-process 3']);
    expect(rules({ cpuCores: { average: 0.5, peak: 0.9, busiestProcess: 0.8 } })).toEqual([]);
  });

  it(`a heap over ${RULES.HEAP_SHARE * 100} % of its limit is said apart, with the process count unchanged`, () => {
    expect(rules({ heapShare: { peak: 0.81 } })).toEqual(['heap-near-its-limit 2']);
    expect(rules({ heapShare: { peak: 0.8 } })).toEqual([]);
  });

  it(`says nothing before ${RULES.EVIDENCE_MS / 1000} s of reports`, () => {
    expect(rules({ judgedSinceMs: RULES.EVIDENCE_MS - 1, eventLoopDelayP99Ms: { peak: 500 } })).toEqual([]);
  });
});

describe('the overview’s CPU chart', () => {
  it('is a gap, not an idle zero, in the steps before a service reported and while it was silent', () => {
    const store = openTelemetryStore(tempDir('exodus-cpu-chart-'));
    try {
      // Reported twice in the last minute only: 0.5 s of CPU over the 10 s between its exports.
      store.record({
        points: process_('worker-1', [
          [NOW - 40_000, 1],
          [NOW - 30_000, 1.5],
        ]),
      });
      const cpu = buildOverview(store, NOW).charts.find((chart) => chart.title === 'CPU by service');
      const values = cpu?.series.find((series) => series.label === 'exodus-worker')?.values ?? [];
      expect(values.length).toBeGreaterThan(4);
      const reported = values.filter((v) => v !== null);
      expect(reported.length).toBeGreaterThan(0);
      expect(reported.every((v) => v >= 0)).toBe(true);
      // Fifteen minutes of steps, all but the last minute's unknown.
      expect(values.slice(0, values.length - 5).every((v) => v === null)).toBe(true);
    } finally {
      store.close();
    }
  });
});
