import type { StoredPoint } from '../../ports/index.js';
import { ATTRIBUTE, LOOP_DELAY, METRIC } from '../../runtime/index.js';
import { shortServiceName } from '../names.js';
import type {
  InstanceResources,
  ResourcesResponse,
  ServiceResources,
  ServiceSummary,
  Suggestion,
} from './api-shapes.js';
import { groupBy, latest, steps, total } from './metric-math.js';
import { pidOf } from './point-origin.js';
import type { Readings } from './readings.js';

/*
 * What each process uses (CPU, memory, event loop) and whether each service is given the right
 * number of processes. Every process reports `process.cpu.time` (a counter: its rate is cores used),
 * `process.memory.usage` (RSS), and, from OpenTelemetry's Node runtime instrumentation, its heap
 * (`v8js.memory.heap.used` per heap space, and the limit) and event loop (`nodejs.eventloop.delay.p99`
 * in seconds, `nodejs.eventloop.utilization`).
 */

/** "Now" is the last minute; peaks and averages are over the last 15 minutes, a minute at a time. */
const NOW_MS = 60_000;
export const RESOURCE_WINDOW_MS = 15 * 60_000;
const STEP_MS = 60_000;

/**
 * The right-sizing rules (the README states them; resources.test.ts pins them). A Node process runs
 * JavaScript on one core, so the unit is a process:
 * - **fewer would do**: a service with 2 or more processes whose busiest minute used less than
 *   `CORES_PER_PROCESS` per process it needs: `max(1, ceil(peak cores ÷ CORES_PER_PROCESS))`
 *   processes would carry that peak with room for bursts;
 * - **add a process**: the busiest minute's event-loop delay p99 over `DELAY_LIMIT_MS`, or a process
 *   using more than `BUSY_CORES` of its core: requests and messages wait for the loop;
 * - **memory**: a process's heap over `HEAP_SHARE` of its limit: V8 collects ever harder, then the
 *   process dies out of memory.
 * A service is judged once it has reported CPU for `EVIDENCE_MS`: a verdict on a few seconds would
 * change with every export.
 */
export const RULES = {
  CORES_PER_PROCESS: 0.5,
  DELAY_LIMIT_MS: 100,
  BUSY_CORES: 0.8,
  HEAP_SHARE: 0.8,
  EVIDENCE_MS: 30_000,
} as const;

const CPU_TIME = METRIC.cpuTime;
export const HEAP_USED = 'v8js.memory.heap.used';
const HEAP_LIMIT = 'v8js.memory.heap.limit';
export const LOOP_DELAY_P99 = LOOP_DELAY.p99;
const LOOP_UTILIZATION = 'nodejs.eventloop.utilization';

const processKey = (p: { service: string; instance: string }): string => `${p.service}\u0000${p.instance}`;

/**
 * Each process's resources now, each service's over the window with what it is given, and what
 * the rules suggest. `services` is the overview's list (what runs, and the processes each is given).
 */
export function resourcesOf(readings: Readings, services: readonly ServiceSummary[], nowMs: number): ResourcesResponse {
  const instances = instancesOf(readings, nowMs);
  const perService = services.map((service) =>
    serviceResources(
      readings,
      service.name,
      service.wanted ?? service.instances.length,
      instances.filter((i) => i.service === service.name),
      nowMs,
    ),
  );
  return {
    instances: instances.filter((i) => services.some((s) => s.name === i.service)),
    services: perService,
    suggestions: perService.flatMap(suggestionsFor),
    generatedAt: new Date(nowMs).toISOString(),
  };
}

function instancesOf(readings: Readings, nowMs: number): InstanceResources[] {
  const cpu = groupBy(readings.increments(CPU_TIME), processKey);
  const newest = (name: string) => latest(readings.points(name), processKey);
  const heapBySpace = latest(readings.points(HEAP_USED), (p) => `${processKey(p)}\u0000${spaceOf(p)}`);
  const heapLimit = newest(HEAP_LIMIT);
  const delay = newest(LOOP_DELAY_P99);
  const utilization = newest(LOOP_UTILIZATION);
  const heard = [...newest(METRIC.memory).values()].filter((p) => nowMs - p.timeMs <= NOW_MS);
  return heard
    .map((rss): InstanceResources => {
      const key = processKey(rss);
      const heap = [...heapBySpace.values()].filter((p) => processKey(p) === key);
      const grown = cpu.get(key) ?? [];
      return {
        service: rss.service,
        instance: rss.instance,
        pid: pidOf(rss.attributes),
        cpuCores: grown.length === 0 ? null : total(grown, nowMs - NOW_MS, nowMs + 1) / (NOW_MS / 1000),
        rssBytes: rss.value,
        heapBytes: heap.length === 0 ? null : heap.reduce((sum, p) => sum + p.value, 0),
        heapLimitBytes: heapLimit.get(key)?.value ?? null,
        eventLoopDelayP99Ms: secondsToMs(delay.get(key)),
        eventLoopUtilization: utilization.get(key)?.value ?? null,
      };
    })
    .sort((a, b) => processKey(a).localeCompare(processKey(b), 'en', { numeric: true }));
}

function serviceResources(
  readings: Readings,
  service: string,
  given: number,
  instances: readonly InstanceResources[],
  nowMs: number,
): ServiceResources {
  const cpu = readings.increments(CPU_TIME).filter((i) => i.service === service);
  // Cores used in each minute that has CPU reports, over the time it has covered (the current minute is not over).
  const measured = steps(nowMs - RESOURCE_WINDOW_MS, nowMs + 1, STEP_MS).flatMap((step) => {
    const inStep = cpu.filter((c) => c.timeMs >= step.startMs && c.timeMs < step.endMs);
    const coveredSeconds = (Math.min(step.endMs, nowMs) - step.startMs) / 1000;
    return inStep.length === 0 || coveredSeconds <= 0
      ? []
      : [inStep.reduce((sum, c) => sum + c.value, 0) / coveredSeconds];
  });
  const delays = readings
    .points(LOOP_DELAY_P99)
    .filter((p) => p.service === service)
    .map((p) => p.value * 1000);
  const heapShares = instances.flatMap((i) =>
    i.heapBytes === null || i.heapLimitBytes === null || i.heapLimitBytes === 0 ? [] : [i.heapBytes / i.heapLimitBytes],
  );
  const firstCpuMs = cpu.reduce((min, c) => Math.min(min, c.fromMs), Infinity);
  const cpuSeconds = cpu.reduce((sum, c) => sum + c.value, 0);
  const wishes = total(
    readings.increments(METRIC.wishes).filter((i) => i.attributes[ATTRIBUTE.wishOutcome] === 'accepted'),
    nowMs - RESOURCE_WINDOW_MS,
    nowMs + 1,
  );
  return {
    service,
    processes: given,
    cpuCores: {
      average: measured.length === 0 ? null : measured.reduce((a, b) => a + b, 0) / measured.length,
      peak: measured.length === 0 ? null : Math.max(...measured),
      busiestProcess: maxOrNull(instances.map((i) => i.cpuCores)),
    },
    rssBytes: {
      now: sumOrNull(instances.map((i) => i.rssBytes)),
      peakProcess: maxOrNull(instances.map((i) => i.rssBytes)),
    },
    eventLoopDelayP99Ms: { peak: delays.length === 0 ? null : Math.max(...delays) },
    heapShare: { peak: heapShares.length === 0 ? null : Math.max(...heapShares) },
    cpuSecondsPerMillionWishes: wishes === 0 ? null : (cpuSeconds / wishes) * 1e6,
    judgedSinceMs: Number.isFinite(firstCpuMs) ? nowMs - firstCpuMs : 0,
  };
}

/** What the rules say of one service (nothing until it has reported long enough to judge). */
export function suggestionsFor(service: ServiceResources): Suggestion[] {
  if (service.judgedSinceMs < RULES.EVIDENCE_MS) return [];
  const out: Suggestion[] = [];
  const { processes } = service;
  const peak = service.cpuCores.peak ?? 0;
  const delay = service.eventLoopDelayP99Ms.peak;
  const busiest = service.cpuCores.busiestProcess;
  const heap = service.heapShare.peak;
  const needed = Math.max(1, Math.ceil(peak / RULES.CORES_PER_PROCESS));
  const overloaded =
    (delay !== null && delay > RULES.DELAY_LIMIT_MS) || (busiest !== null && busiest > RULES.BUSY_CORES);
  if (overloaded) {
    const why =
      delay !== null && delay > RULES.DELAY_LIMIT_MS
        ? `event-loop delay p99 reached ${Math.round(delay)} ms (over ${RULES.DELAY_LIMIT_MS} ms)`
        : `a process used ${percent(busiest ?? 0)} of its core (over ${percent(RULES.BUSY_CORES)})`;
    out.push({
      service: service.service,
      rule: 'add-a-process',
      processes,
      suggested: processes + 1,
      text: `${shortServiceName(service.service)}: ${why} — add a process (${processes} → ${processes + 1})`,
    });
  } else if (processes >= 2 && needed < processes) {
    out.push({
      service: service.service,
      rule: 'fewer-would-do',
      processes,
      suggested: needed,
      text: `${shortServiceName(service.service)}: ${processes} processes used at most ${cores(peak)} in the busiest minute of the last 15 (${percent(peak / processes)} of a core each) — ${needed} would do`,
    });
  }
  if (heap !== null && heap > RULES.HEAP_SHARE)
    out.push({
      service: service.service,
      rule: 'heap-near-its-limit',
      processes,
      suggested: processes,
      text: `${shortServiceName(service.service)}: a process's heap reached ${percent(heap)} of its limit — give it more memory (--max-old-space-size) or look for what grows`,
    });
  return out;
}

const spaceOf = (p: StoredPoint): string => String(p.attributes['v8js.heap.space.name'] ?? '');
const secondsToMs = (point: StoredPoint | undefined): number | null =>
  point === undefined ? null : point.value * 1000;
const sumOrNull = (values: readonly (number | null)[]): number | null =>
  values.some((v) => v !== null) ? values.reduce<number>((sum, v) => sum + (v ?? 0), 0) : null;
const maxOrNull = (values: readonly (number | null)[]): number | null => {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : Math.max(...known);
};
const percent = (share: number): string => `${Math.round(share * 100)} %`;
const cores = (n: number): string => `${n < 0.1 ? n.toFixed(3) : n.toFixed(2)} cores`;
