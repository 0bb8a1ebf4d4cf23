import type { StoredPoint, TelemetryStore } from '../../ports/index.js';
import { ATTRIBUTE, METRIC, type WishOutcome } from '../../runtime/index.js';
import { outcomeOf, type Outcome } from './answers.js';
import type { Chart, Overview, QueueSummary, ResourcesResponse, ServiceSummary } from './api-shapes.js';
import { deployMarkers } from './deploys.js';
import { hostsOf } from './hosts.js';
import {
  distributionPerStep,
  gaugePerStep,
  latest,
  quantile,
  rate,
  ratePerStep,
  steps,
  type Distribution,
  type Increment,
  type Step,
} from './metric-math.js';
import { readings, type Readings } from './readings.js';
import { resourcesOf } from './resources.js';
import { servicesOf } from './services.js';

/** Rates are over the last minute; charts over the last 15, in 15-s steps. */
const WINDOW_MS = 60_000;
export const CHART_MS = 15 * 60_000;
export const STEP_MS = 15_000;

/** The charts' steps and their times (unix seconds): whole steps, so the last is not a half-filled step that looks like a drop. */
export function chartGrid(nowMs: number): { grid: Step[]; times: number[] } {
  const end = Math.floor(nowMs / STEP_MS) * STEP_MS;
  const grid = steps(end - CHART_MS, end, STEP_MS);
  return { grid, times: grid.map((step) => step.endMs / 1000) };
}

/** The overview page: services, queues, wishes, the tally and the last 15 minutes, from stored metrics. */
export function buildOverview(store: TelemetryStore, nowMs: number): Overview {
  const read = recent(store, nowMs);
  const perSecond = (outcome: WishOutcome): number =>
    rate(withAttribute(read.increments(METRIC.wishes), ATTRIBUTE.wishOutcome, outcome), nowMs - WINDOW_MS, nowMs);
  const services = servicesOf(read, nowMs);
  const markers = deployMarkers(store, { fromMs: nowMs - CHART_MS, toMs: nowMs });
  return {
    services,
    hosts: hostsOf(services),
    queues: queuesOf(read, nowMs),
    wishesPerSecond: {
      accepted: perSecond('accepted'),
      stored: perSecond('stored'),
      superseded: perSecond('superseded'),
      rejected: perSecond('rejected'),
    },
    tally: tallyOf(read.points(METRIC.tally)),
    charts: chartsOf(
      read,
      nowMs,
      services.map((service) => service.name),
    ).map((chart) => ({ ...chart, markers })),
    generatedAt: new Date(nowMs).toISOString(),
  };
}

/** The overview's services alone (no charts computed). */
export function buildServices(store: TelemetryStore, nowMs: number): ServiceSummary[] {
  return servicesOf(recent(store, nowMs), nowMs);
}

/** Each process's resources, each service's against what it is given, and the right-sizing suggestions. */
export function buildResources(store: TelemetryStore, nowMs: number): ResourcesResponse {
  const read = recent(store, nowMs);
  return resourcesOf(read, servicesOf(read, nowMs), nowMs);
}

/** The overview's queues alone (no charts computed). */
export function buildQueues(store: TelemetryStore, nowMs: number): QueueSummary[] {
  return queuesOf(recent(store, nowMs), nowMs);
}

/** The overview's metrics: the last 15 minutes (its charts'). */
function recent(store: TelemetryStore, nowMs: number): Readings {
  return readings(store, nowMs - CHART_MS);
}

const queueOf = (p: StoredPoint): string => String(p.attributes['messaging.destination.name'] ?? '');

function queuesOf(read: Readings, nowMs: number): QueueSummary[] {
  const depths = latest(
    read.points(METRIC.queueMessages).filter((p) => nowMs - p.timeMs <= WINDOW_MS),
    (p) => `${queueOf(p)}\u0000${String(p.attributes[ATTRIBUTE.queueState] ?? '')}`,
  );
  const ages = latest(read.points(METRIC.queueOldestAge), queueOf);
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

function chartsOf(read: Readings, nowMs: number, services: readonly string[]): Chart[] {
  const { grid, times } = chartGrid(nowMs);
  const perSecond = (d: Distribution): number => d.count / (STEP_MS / 1000);
  const wishes = (outcome: string) => ({
    label: outcome,
    values: ratePerStep(withAttribute(read.increments(METRIC.wishes), ATTRIBUTE.wishOutcome, outcome), grid),
  });
  const http = read.increments(METRIC.httpServerDuration);
  const answers = (outcome: Outcome) =>
    distributionPerStep(
      http.filter((i) => outcomeOf(i.attributes) === outcome),
      grid,
    ).map(perSecond);
  const queues = [...new Set(read.points(METRIC.queueMessages).map(queueOf))].filter((name) => name !== '').sort();
  const p99Ms = (grown: readonly Increment[]) =>
    distributionPerStep(grown, grid)
      .map((d) => (quantile(0.99, d) ?? NaN) * 1000)
      .map((v) => (Number.isNaN(v) ? null : v));
  const processed = read.increments(METRIC.messagingProcessDuration);
  const consumers = [...new Set(processed.map((i) => i.service))].sort();
  const cpu = read.increments(METRIC.cpuTime);

  return [
    {
      title: 'Wishes per second',
      unit: '/s',
      times,
      series: ['accepted', 'stored', 'superseded', 'rejected'].map(wishes),
    },
    {
      title: 'Requests per second',
      unit: '/s',
      times,
      series: [
        { label: 'all', values: distributionPerStep(http, grid).map(perSecond) },
        { label: 'errors', values: answers('failed') },
        { label: 'refused (429/503)', values: answers('refused') },
      ],
    },
    {
      title: 'Queue depth',
      unit: 'messages',
      times,
      series: queues.map((name) => ({
        label: name,
        values: gaugePerStep(
          read
            .points(METRIC.queueMessages)
            .filter((p) => queueOf(p) === name && p.attributes[ATTRIBUTE.queueState] !== 'dead'),
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
        {
          label: 'POST /api/wishes',
          values: p99Ms(
            http.filter(
              (i) => i.attributes['http.route'] === '/api/wishes' && i.attributes['http.request.method'] === 'POST',
            ),
          ),
        },
        ...consumers.map((service) => ({
          label: service,
          values: p99Ms(processed.filter((i) => i.service === service)),
        })),
      ],
    },
    {
      title: 'CPU by service',
      unit: 'cores',
      times,
      series: services.map((service) => ({
        label: service,
        values: reportedOnly(
          cpu.filter((i) => i.service === service),
          grid,
        ),
      })),
    },
    {
      title: 'Memory (RSS) by service',
      unit: 'MB',
      times,
      series: services.map((service) => ({
        label: service,
        // Each process's newest figure in the step, summed over the service's processes.
        values: gaugePerStep(
          read.points(METRIC.memory).filter((p) => p.service === service),
          grid,
          (attributes) => JSON.stringify(attributes),
        ).map((bytes) => (bytes === null ? null : bytes / 1e6)),
      })),
    },
  ];
}

/**
 * Cores used per step, null in a step the service reported nothing in (before it started, while it
 * was down): a gap in the line, not an idle zero.
 */
function reportedOnly(grown: readonly Increment[], grid: readonly Step[]): (number | null)[] {
  return ratePerStep(grown, grid).map((cores, i) => {
    const step = grid[i];
    return step !== undefined && grown.some((c) => c.timeMs >= step.startMs && c.timeMs < step.endMs) ? cores : null;
  });
}

const withAttribute = (grown: readonly Increment[], key: string, value: string): Increment[] =>
  grown.filter((i) => i.attributes[key] === value);
