import type { StoredPoint, TelemetryStore } from '../../ports/index.js';
import { EVENT, METRIC, serviceNameOf } from '../../runtime/index.js';
import { SERVICES, shortServiceName } from '../names.js';
import { outcomeOf } from './answers.js';
import type {
  Chart,
  EventView,
  InstanceSummary,
  ProcessView,
  ServicePage,
  ServiceSummary,
  TraceSummary,
  TraceView,
  VersionWork,
} from './api-shapes.js';
import { deployMarkers } from './deploys.js';
import { versionOf } from './instance-origin.js';
import { distributionPerStep, gaugePerStep, latest, quantile, ratePerStep, type Increment } from './metric-math.js';
import { CHART_MS, chartGrid, STEP_MS } from './overview.js';
import { seriesStartOf } from './point-origin.js';
import { readings, type Readings } from './readings.js';
import { HEAP_USED, LOOP_DELAY_P99, resourcesOf } from './resources.js';
import { otelServiceName, searchEvents, searchLogs, searchTraces } from './search.js';
import { servicesOf, workIncrements, workOf } from './services.js';

/** How much of each list the page shows. */
const EVENTS = 20;
const LOG_LINES = 50;
const TRACES = 5;
/** The latest traces the slowest are picked from, and the events a process's history is read from. */
const RECENT_TRACES = 100;
const RECENT_EVENTS = 1000;
/** A version's work is over the last minute, as the overview's rates are. */
const WORK_WINDOW_MS = 60_000;
/** What a version is called when its processes gave none. */
const NO_VERSION = 'unknown';

export type ServicePageAnswer = { readonly page: ServicePage } | { readonly notFound: string };

/**
 * One service's page (or one of its processes', `instance`): everything the console knows of it,
 * from the same sources as the overview, the resources and the searches. A name that is none of the
 * services Exodus runs, or a process the service does not have, is `notFound`, with the names that are.
 */
export function buildServicePage(
  store: TelemetryStore,
  request: { readonly name: string; readonly instance?: string | undefined },
  nowMs: number,
): ServicePageAnswer {
  const service = otelServiceName(request.name) ?? request.name;
  if (!SERVICES.some((known) => serviceNameOf(known) === service))
    return {
      notFound: `no service ${request.name}: the services are ${SERVICES.join(', ')} (or by their telemetry names, exodus-worker …)`,
    };
  const read = readings(store, nowMs - CHART_MS);
  const whole = servicesOf(read, nowMs).find((s) => s.name === service) ?? silent(service);
  const instance = request.instance ?? null;
  if (instance !== null && !whole.instances.some((i) => i.instance === instance)) {
    const names = whole.instances.map((i) => i.instance).join(', ');
    return {
      notFound: `${shortServiceName(service)} has no process ${instance}: its processes are ${names || 'none yet'}`,
    };
  }
  const ofFocus = (item: { readonly instance: string }): boolean => instance === null || item.instance === instance;
  const instances = whole.instances.filter(ofFocus);
  const events = searchEvents(store, { limit: RECENT_EVENTS }).filter((e) => e.service === service);
  const summary: ServiceSummary =
    instance === null
      ? whole
      : {
          ...whole,
          ...workOf(read, service, nowMs, ofFocus),
          running: instances.filter((i) => i.up).length,
          instances,
        };
  const markers = deployMarkers(store, { fromMs: nowMs - CHART_MS, toMs: nowMs, service });
  const trace = (view: TraceView): boolean =>
    instance === null || view.spans.some((span) => span.service === service && span.instance === instance);
  return {
    page: {
      service,
      shortName: shortServiceName(service),
      instance,
      summary,
      processes: instances.map((i) => processView(i, events, read)),
      versions: versionsOf(read, service, instances, nowMs, ofFocus),
      charts: chartsOf(read, service, instances, nowMs, ofFocus).map((chart) => ({ ...chart, markers })),
      resources: resourcesOf(read, [whole], nowMs).instances.filter(ofFocus),
      events: events.filter((e) => instance === null || e.process === instance).slice(0, EVENTS),
      logs: searchLogs(store, { service, instance: instance ?? undefined, windowMs: 0, limit: LOG_LINES }),
      slowestTraces: searchTraces(store, { service, limit: RECENT_TRACES })
        .filter((t) => trace(t) && !isNoise(t))
        .sort((a, b) => b.durationMs - a.durationMs)
        .slice(0, TRACES)
        .map(traceSummary),
      failingTraces: searchTraces(store, {
        service,
        status: 'error',
        limit: instance === null ? TRACES : RECENT_TRACES,
      })
        .filter(trace)
        .slice(0, TRACES)
        .map(traceSummary),
      generatedAt: new Date(nowMs).toISOString(),
    },
  };
}

/** A service Exodus runs that has not reported (yet, or lately): a page that says so. */
function silent(service: string): ServiceSummary {
  return {
    name: service,
    running: 0,
    wanted: null,
    restarts: 0,
    ratePerSecond: 0,
    errorRate: 0,
    refusedRate: 0,
    latencyMs: null,
    waitingFor: [],
    instances: [],
  };
}

/**
 * A process with its history, from its supervisor's events (newest first): its last start, its
 * restarts so far, its last exit. A process no supervisor keeps has no such events: its start is
 * when its own CPU counter began (the SDK starts with the process).
 */
function processView(instance: InstanceSummary, events: readonly EventView[], read: Readings): ProcessView {
  const own = events.filter((e) => e.process === instance.instance);
  const started = own.find((e) => e.kind === EVENT.processStarted || e.kind === EVENT.processRestarted);
  const counted = own.find((e) => typeof e.detail['restarts'] === 'number');
  const exit = own.find((e) => e.kind === EVENT.processExited || e.kind === EVENT.processStopped);
  const cpu = latest(
    read.points(METRIC.cpuTime).filter((p) => p.instance === instance.instance),
    () => '',
  ).get('');
  const cpuStart = cpu === undefined ? undefined : seriesStartOf(cpu.attributes);
  return {
    ...instance,
    startedAt: started?.time ?? (cpuStart === undefined ? null : new Date(cpuStart).toISOString()),
    restarts: Number(counted?.detail['restarts'] ?? 0),
    lastExit:
      exit === undefined
        ? null
        : {
            at: exit.time,
            code: typeof exit.detail['code'] === 'number' ? exit.detail['code'] : null,
            signal: typeof exit.detail['signal'] === 'string' ? exit.detail['signal'] : null,
            planned: exit.kind === EVENT.processStopped,
          },
  };
}

const versionName = (version: string): string => (version === '' ? NO_VERSION : version);
/** Versions in numeric order (1.4 before 1.10); an unnamed version last. */
const byVersion = (a: string, b: string): number =>
  Number(a === '') - Number(b === '') || a.localeCompare(b, 'en', { numeric: true });

/**
 * The service's work by version over the last minute: a version is listed while a process runs it
 * or its work is in the window, so a canary shows beside the version it is judged against.
 */
function versionsOf(
  read: Readings,
  service: string,
  instances: readonly InstanceSummary[],
  nowMs: number,
  ofFocus: (item: { readonly instance: string }) => boolean,
): VersionWork[] {
  const work = workIncrements(read, service).filter(ofFocus);
  const versions = new Set([
    ...instances.filter((i) => i.up).map((i) => i.version ?? ''),
    ...work.filter((i) => i.timeMs > nowMs - WORK_WINDOW_MS).map((i) => versionOf(i.attributes)),
  ]);
  return [...versions].sort(byVersion).map((version) => ({
    version: versionName(version),
    instances: instances.filter((i) => (i.version ?? '') === version).map((i) => i.instance),
    ...workOf(read, service, nowMs, (i) => ofFocus(i) && versionOf(i.attributes) === version),
  }));
}

/**
 * The last 15 minutes of the service (or the process): its work with a series per version (one,
 * `all`, while a single version runs), and its resources with a series per process.
 */
function chartsOf(
  read: Readings,
  service: string,
  instances: readonly InstanceSummary[],
  nowMs: number,
  ofFocus: (item: { readonly instance: string }) => boolean,
): Chart[] {
  const { grid, times } = chartGrid(nowMs);
  const work = workIncrements(read, service).filter(ofFocus);
  const versions = [...new Set(work.map((i) => versionOf(i.attributes)))].sort(byVersion);
  const perVersion = (values: (grown: readonly Increment[]) => (number | null)[]) =>
    versions.length <= 1
      ? [{ label: 'all', values: values(work) }]
      : versions.map((version) => ({
          label: versionName(version),
          values: values(work.filter((i) => versionOf(i.attributes) === version)),
        }));
  const perProcess = (values: (instance: string) => (number | null)[]) =>
    instances.map((i) => ({ label: i.instance, values: values(i.instance) }));
  const points = (name: string, instance: string): StoredPoint[] =>
    read.points(name).filter((p) => p.service === service && p.instance === instance);
  const stepSeconds = STEP_MS / 1000;
  return [
    {
      title: 'Rate',
      unit: '/s',
      times,
      series: perVersion((grown) => distributionPerStep(grown, grid).map((d) => d.count / stepSeconds)),
    },
    {
      title: 'Errors',
      unit: '%',
      times,
      series: perVersion((grown) => {
        const all = distributionPerStep(grown, grid);
        const failed = distributionPerStep(
          grown.filter((i) => outcomeOf(i.attributes) === 'failed'),
          grid,
        );
        return all.map((d, i) => (d.count === 0 ? null : ((failed[i]?.count ?? 0) / d.count) * 100));
      }),
    },
    {
      title: 'Latency p99',
      unit: 'ms',
      times,
      series: perVersion((grown) =>
        distributionPerStep(grown, grid).map((d) => {
          const seconds = quantile(0.99, d);
          return seconds === null ? null : seconds * 1000;
        }),
      ),
    },
    {
      title: 'CPU',
      unit: 'cores',
      times,
      series: perProcess((instance) =>
        ratePerStep(
          read.increments(METRIC.cpuTime).filter((i) => i.service === service && i.instance === instance),
          grid,
        ),
      ),
    },
    {
      title: 'Memory (RSS)',
      unit: 'MB',
      times,
      series: perProcess((instance) => megabytes(gaugePerStep(points(METRIC.memory, instance), grid, () => ''))),
    },
    {
      title: 'Heap used',
      unit: 'MB',
      times,
      series: perProcess((instance) =>
        megabytes(gaugePerStep(points(HEAP_USED, instance), grid, (a) => String(a['v8js.heap.space.name'] ?? ''))),
      ),
    },
    {
      title: 'Event-loop delay p99',
      unit: 'ms',
      times,
      series: perProcess((instance) =>
        gaugePerStep(points(LOOP_DELAY_P99, instance), grid, () => '').map((s) => (s === null ? null : s * 1000)),
      ),
    },
  ];
}

const megabytes = (bytes: readonly (number | null)[]): (number | null)[] =>
  bytes.map((b) => (b === null ? null : b / 1e6));

/** A trace of one span that only received a batch or answered a scrape or a probe: nothing to look at. */
function isNoise(trace: TraceView): boolean {
  const only = trace.spans[0];
  if (trace.spans.length !== 1 || only === undefined) return false;
  return only.name.startsWith('receive') || /^GET \/(metrics|healthz|readyz)$/.test(only.name);
}

function traceSummary(trace: TraceView): TraceSummary {
  const { spans, ...rest } = trace;
  return { ...rest, spanCount: spans.length };
}
