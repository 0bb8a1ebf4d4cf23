import type { StoredPoint, TelemetryStore } from '../../ports/index.js';
import { ATTRIBUTE, METRIC, type WishOutcome } from '../../runtime/index.js';
import type { Chart, InstanceSummary, Overview, QueueSummary, ServiceSummary } from './api-shapes.js';
import { distribution, distributionPerStep, gaugePerStep, groupBy, latest, quantile, rate, ratePerStep, steps, type Distribution } from './metric-math.js';

/** Rates and percentiles are over the last minute; charts over the last 15; a process is up if heard from in 30 s. */
const WINDOW_MS = 60_000;
const CHART_MS = 15 * 60_000;
const STEP_MS = 15_000;
const UP_MS = 30_000;
const SUPERVISOR = 'exodus-supervisor';

const NAMES = Object.values(METRIC);

/** The overview page: services, queues, wishes, the tally and the last 15 minutes, from stored metrics. */
export function buildOverview(store: TelemetryStore, nowMs: number): Overview {
  const of = recentPoints(store, nowMs);
  const perSecond = (outcome: WishOutcome): number => rate(withAttribute(of(METRIC.wishes), ATTRIBUTE.wishOutcome, outcome), nowMs - WINDOW_MS, nowMs);
  return {
    services: servicesOf(of, nowMs),
    queues: queuesOf(of, nowMs),
    wishesPerSecond: { accepted: perSecond('accepted'), stored: perSecond('stored'), superseded: perSecond('superseded'), rejected: perSecond('rejected') },
    tally: tallyOf(of(METRIC.tally)),
    charts: chartsOf(of, nowMs),
    generatedAt: new Date(nowMs).toISOString(),
  };
}

/** The overview's services alone (no charts computed). */
export function buildServices(store: TelemetryStore, nowMs: number): ServiceSummary[] {
  return servicesOf(recentPoints(store, nowMs), nowMs);
}

/** The overview's queues alone (no charts computed). */
export function buildQueues(store: TelemetryStore, nowMs: number): QueueSummary[] {
  return queuesOf(recentPoints(store, nowMs), nowMs);
}

/** The overview's metrics over the last 15 minutes, by name. */
function recentPoints(store: TelemetryStore, nowMs: number): PointsByName {
  return groupByName(store.points(NAMES, nowMs - CHART_MS));
}

function servicesOf(of: PointsByName, nowMs: number): ServiceSummary[] {
  const instances = new Map<string, InstanceSummary[]>();
  for (const point of latest(of(METRIC.memory), (p) => `${p.service}\u0000${p.instance}`).values()) {
    const list = instances.get(point.service) ?? [];
    list.push({ instance: point.instance, pid: pidOf(point.instance), lastSeen: new Date(point.timeMs).toISOString(), up: nowMs - point.timeMs <= UP_MS });
    instances.set(point.service, list);
  }
  const supervised = (name: string) => latest(of(name), (p) => String(p.attributes[ATTRIBUTE.service] ?? ''));
  const running = supervised(METRIC.processesRunning);
  const wanted = supervised(METRIC.processesWanted);
  const restarts = supervised(METRIC.processRestarts);
  const names = new Set([...instances.keys(), ...wanted.keys()].filter((name) => name !== '' && name !== SUPERVISOR));

  return [...names].sort().map((name): ServiceSummary => {
    const heard = (instances.get(name) ?? []).sort((a, b) => a.instance.localeCompare(b.instance));
    const counted = running.get(name);
    const fresh = counted !== undefined && nowMs - counted.timeMs <= UP_MS;
    const work = workOf(of, name, nowMs);
    return {
      name,
      running: fresh ? counted.value : heard.filter((i) => i.up).length,
      wanted: wanted.get(name)?.value ?? null,
      restarts: restarts.get(name)?.value ?? 0,
      ...work,
      instances: heard,
    };
  });
}

/** Requests (an HTTP server) or messages processed (a consumer): rate, errors, latency over the last minute. */
function workOf(of: PointsByName, service: string, nowMs: number): Pick<ServiceSummary, 'ratePerSecond' | 'errorRate' | 'latencyMs'> {
  const http = of(METRIC.httpServerDuration).filter((p) => p.service === service);
  const points = http.length > 0 ? http : of(METRIC.messagingProcessDuration).filter((p) => p.service === service);
  const failed = (p: StoredPoint): boolean => (http.length > 0 ? Number(p.attributes['http.response.status_code'] ?? 0) >= 500 : p.attributes['error.type'] !== undefined);
  const all = distribution(points, nowMs - WINDOW_MS, nowMs);
  const errors = distribution(points.filter(failed), nowMs - WINDOW_MS, nowMs);
  return { ratePerSecond: all.count / (WINDOW_MS / 1000), errorRate: all.count === 0 ? 0 : errors.count / all.count, latencyMs: latencyOf(all) };
}

function latencyOf(observed: Distribution): ServiceSummary['latencyMs'] {
  const ms = (q: number): number | null => {
    const seconds = quantile(q, observed);
    return seconds === null ? null : seconds * 1000;
  };
  const [p50, p95, p99] = [ms(0.5), ms(0.95), ms(0.99)];
  return p50 === null || p95 === null || p99 === null ? null : { p50, p95, p99 };
}

function queuesOf(of: PointsByName, nowMs: number): QueueSummary[] {
  const queueOf = (p: StoredPoint): string => String(p.attributes['messaging.destination.name'] ?? '');
  const depths = latest(
    of(METRIC.queueMessages).filter((p) => nowMs - p.timeMs <= WINDOW_MS),
    (p) => `${queueOf(p)}\u0000${String(p.attributes[ATTRIBUTE.queueState] ?? '')}`,
  );
  const ages = latest(of(METRIC.queueOldestAge), queueOf);
  const names = [...new Set([...depths.values()].map(queueOf))].filter((name) => name !== '').sort();
  return names.map((name): QueueSummary => {
    const depth = (state: string): number => depths.get(`${name}\u0000${state}`)?.value ?? 0;
    const newest = Math.max(...[...depths.values()].filter((p) => queueOf(p) === name).map((p) => p.timeMs));
    return {
      name,
      ready: depth('ready'),
      inFlight: depth('in_flight'),
      delayed: depth('delayed'),
      dead: depth('dead'),
      oldestAgeSeconds: ages.get(name)?.value ?? 0,
      at: new Date(newest).toISOString(),
    };
  });
}

function tallyOf(points: readonly StoredPoint[]): Overview['tally'] {
  const byDestination = latest(points, (p) => String(p.attributes[ATTRIBUTE.destination] ?? ''));
  if (byDestination.size === 0) return null;
  return { mars: byDestination.get('mars')?.value ?? 0, europa: byDestination.get('europa')?.value ?? 0 };
}

function chartsOf(of: PointsByName, nowMs: number): Chart[] {
  // Whole steps, so the last point is not a half-filled step that looks like a drop.
  const end = Math.floor(nowMs / STEP_MS) * STEP_MS;
  const grid = steps(end - CHART_MS, end, STEP_MS);
  const times = grid.map((step) => step.endMs / 1000);
  const perSecond = (d: Distribution): number => d.count / (STEP_MS / 1000);
  const wishes = (outcome: string) => ({ label: outcome, values: ratePerStep(withAttribute(of(METRIC.wishes), ATTRIBUTE.wishOutcome, outcome), grid) });
  const http = of(METRIC.httpServerDuration);
  const queueOf = (p: StoredPoint): string => String(p.attributes['messaging.destination.name'] ?? '');
  const queues = [...new Set(of(METRIC.queueMessages).map(queueOf))].filter((name) => name !== '').sort();
  const p99Ms = (points: readonly StoredPoint[]) => distributionPerStep(points, grid).map((d) => (quantile(0.99, d) ?? NaN) * 1000).map((v) => (Number.isNaN(v) ? null : v));
  const consumers = [...new Set(of(METRIC.messagingProcessDuration).map((p) => p.service))].sort();

  return [
    { title: 'Wishes per second', unit: '/s', times, series: ['accepted', 'stored', 'superseded', 'rejected'].map(wishes) },
    {
      title: 'Requests per second',
      unit: '/s',
      times,
      series: [
        { label: 'all', values: distributionPerStep(http, grid).map(perSecond) },
        { label: '5xx', values: distributionPerStep(http.filter((p) => Number(p.attributes['http.response.status_code'] ?? 0) >= 500), grid).map(perSecond) },
        { label: 'refused (429/503)', values: ratePerStep(of(METRIC.refusedRequests), grid) },
      ],
    },
    {
      title: 'Queue depth',
      unit: 'messages',
      times,
      series: queues.map((name) => ({
        label: name,
        values: gaugePerStep(
          of(METRIC.queueMessages).filter((p) => queueOf(p) === name && p.attributes[ATTRIBUTE.queueState] !== 'dead'),
          grid,
          (attributes) => String(attributes[ATTRIBUTE.queueState] ?? ''),
        ),
      })),
    },
    {
      title: 'p99 latency',
      unit: 'ms',
      times,
      series: [
        { label: 'POST /api/wishes', values: p99Ms(http.filter((p) => p.attributes['http.route'] === '/api/wishes' && p.attributes['http.request.method'] === 'POST')) },
        ...consumers.map((service) => ({ label: service, values: p99Ms(of(METRIC.messagingProcessDuration).filter((p) => p.service === service)) })),
      ],
    },
  ];
}

export type PointsByName = (name: string) => readonly StoredPoint[];

function groupByName(points: readonly StoredPoint[]): PointsByName {
  const byName = groupBy(points, (point) => point.name);
  return (name) => byName.get(name) ?? [];
}

const withAttribute = (points: readonly StoredPoint[], key: string, value: string): StoredPoint[] => points.filter((p) => p.attributes[key] === value);

/** `host:1234` (how a process without `service.instance.id` is named) → 1234. */
function pidOf(instance: string): number | null {
  const match = /:(\d+)$/.exec(instance);
  return match?.[1] === undefined ? null : Number(match[1]);
}
