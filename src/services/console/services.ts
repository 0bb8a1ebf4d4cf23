import type { StoredInstance, StoredPoint } from '../../ports/index.js';
import { ATTRIBUTE, METRIC, serviceNameOf } from '../../runtime/index.js';
import { SERVICES } from '../names.js';
import { outcomeOf, type Outcome } from './answers.js';
import type { InstanceSummary, ServiceSummary } from './api-shapes.js';
import { distribution, groupBy, latest, quantile, type Distribution, type Increment } from './metric-math.js';
import { pidOf } from './point-origin.js';
import type { Readings } from './readings.js';

/** Rates and percentiles are over the last minute; a process is up if heard from in 30 s. */
const WINDOW_MS = 60_000;
export const UP_MS = 30_000;

/**
 * The services Exodus runs (`exodus serve`'s, and the console): only these are rows. Anything else
 * that reports (a command: `exodus chaos`, `exodus load`; the supervisor) is not a service, and a
 * command that has finished is not one that is down.
 */
const RUN_BY_EXODUS: ReadonlySet<string> = new Set(SERVICES.map(serviceNameOf));

/**
 * Each service that runs, with its processes from one source: where a supervisor keeps it, the
 * supervisor's own list (running or waiting to be restarted, with pids) and any other process of the
 * service heard from lately; otherwise the processes heard from lately. Running and wanted are
 * counted from that same list, so they never disagree.
 */
export function servicesOf(readings: Readings, nowMs: number): ServiceSummary[] {
  const identities = identitiesOf(readings);
  const heard = heardFrom(readings, nowMs, identities);
  const kept = keptBySupervisor(readings, heard, nowMs, identities);
  const restarts = latest(readings.points(METRIC.processRestarts), (p) =>
    String(p.attributes[ATTRIBUTE.service] ?? ''),
  );
  const names = [...new Set([...kept.keys(), ...heard.keys()])].filter((name) => RUN_BY_EXODUS.has(name)).sort();
  return names.map((name): ServiceSummary => {
    const supervised = kept.get(name);
    const heardHere = heard.get(name) ?? [];
    // A process of the service that no supervisor keeps (a canary started by hand, one on another
    // host) is listed beside the supervisor's while it is up: a version it runs must not go unseen.
    // Once silent it goes (a process the supervisor stopped when scaled down is no missing one).
    const others =
      supervised === undefined
        ? []
        : heardHere.filter((h) => h.up && !supervised.some((s) => s.instance === h.instance));
    const instances = [...(supervised ?? heardHere), ...others].sort((a, b) =>
      a.instance.localeCompare(b.instance, 'en', { numeric: true }),
    );
    return {
      name,
      running: instances.filter((instance) => instance.up).length,
      wanted: supervised === undefined ? null : supervised.length + others.length,
      restarts: restarts.get(name)?.value ?? 0,
      ...workOf(readings, name, nowMs),
      waitingFor: waitingForOf(readings, name, nowMs),
      instances,
    };
  });
}

type Identity = Pick<InstanceSummary, 'version' | 'host' | 'pod' | 'node'>;
const UNKNOWN: Identity = { version: null, host: null, pod: null, node: null };
const processKey = (service: string, instance: string): string => `${service}\u0000${instance}`;

/** What each process last said of itself (its newest report wins: a restart as another version replaces the old). */
function identitiesOf(readings: Readings): (service: string, instance: string) => Identity {
  const newest = new Map<string, StoredInstance>();
  for (const heard of readings.instances()) {
    const key = processKey(heard.service, heard.instance);
    const seen = newest.get(key);
    if (seen === undefined || seen.lastSeenMs <= heard.lastSeenMs) newest.set(key, heard);
  }
  return (service, instance) => {
    const heard = newest.get(processKey(service, instance));
    if (heard === undefined) return UNKNOWN;
    return { version: heard.version === '' ? null : heard.version, host: heard.host, pod: heard.pod, node: heard.node };
  };
}

/** Processes by service, as their own telemetry says: every process reports its memory; up if it did within 30 s. */
function heardFrom(
  readings: Readings,
  nowMs: number,
  identities: (service: string, instance: string) => Identity,
): Map<string, InstanceSummary[]> {
  const out = new Map<string, InstanceSummary[]>();
  for (const point of latest(readings.points(METRIC.memory), (p) => `${p.service}\u0000${p.instance}`).values()) {
    const list = out.get(point.service) ?? [];
    list.push({
      instance: point.instance,
      pid: pidOf(point.attributes),
      lastSeen: new Date(point.timeMs).toISOString(),
      up: nowMs - point.timeMs <= UP_MS,
      crashLoop: null,
      ...identities(point.service, point.instance),
    });
    out.set(point.service, list);
  }
  return out;
}

/**
 * Processes by service, as each supervisor said in its last report (within 30 s): a supervisor that
 * stopped reporting says nothing, and a process it no longer keeps is not in its last report.
 */
function keptBySupervisor(
  readings: Readings,
  heard: Map<string, InstanceSummary[]>,
  nowMs: number,
  identities: (service: string, instance: string) => Identity,
): Map<string, InstanceSummary[]> {
  const out = new Map<string, InstanceSummary[]>();
  const bySupervisor = (p: StoredPoint): string => `${p.service}\u0000${p.instance}`;
  const whose = (p: StoredPoint): string =>
    `${String(p.attributes[ATTRIBUTE.service] ?? '')}\u0000${String(p.attributes[ATTRIBUTE.process] ?? '')}`;
  // The crash-loop and next-start gauges of the same collection, by process and time.
  const reportKey = (p: StoredPoint): string => `${bySupervisor(p)}\u0000${whose(p)}\u0000${p.timeMs}`;
  const sameReport = (name: string) => new Map(readings.points(name).map((p) => [reportKey(p), p.value]));
  const crashLoops = sameReport(METRIC.processCrashLoop);
  const nextStarts = sameReport(METRIC.processNextStart);
  for (const reports of groupBy(readings.points(METRIC.processPid), bySupervisor).values()) {
    // One collection's points share its time: the newest time is the last report.
    const newest = reports.reduce((max, p) => Math.max(max, p.timeMs), -Infinity);
    if (nowMs - newest > UP_MS) continue;
    // A process it keeps runs on its host: what one that never reported is said to run on.
    const supervisorHost = reports[0] === undefined ? null : identities(reports[0].service, reports[0].instance).host;
    for (const point of reports.filter((p) => p.timeMs === newest)) {
      const service = String(point.attributes[ATTRIBUTE.service] ?? '');
      const instance = String(point.attributes[ATTRIBUTE.process] ?? '');
      const own = heard.get(service)?.find((i) => i.instance === instance);
      const identity = identities(service, instance);
      const exits = crashLoops.get(reportKey(point)) ?? 0;
      const nextStart = nextStarts.get(reportKey(point)) ?? 0;
      const list = out.get(service) ?? [];
      // The gauge's value is the pid while the process runs, 0 while it waits to be restarted.
      list.push({
        instance,
        pid: point.value > 0 ? point.value : null,
        lastSeen: own?.lastSeen ?? null,
        up: point.value > 0,
        crashLoop:
          exits > 0 ? { exits, nextTryAt: nextStart > 0 ? new Date(nextStart * 1000).toISOString() : null } : null,
        ...identity,
        host: identity.host ?? supervisorHost,
      });
      out.set(service, list);
    }
  }
  return out;
}

/** What a service's work is measured by: requests where it serves HTTP, else messages processed. */
export function workIncrements(readings: Readings, service: string): Increment[] {
  const ofService = (name: string): Increment[] => readings.increments(name).filter((i) => i.service === service);
  const http = ofService(METRIC.httpServerDuration);
  return http.length > 0 ? http : ofService(METRIC.messagingProcessDuration);
}

/**
 * What the service's consumers hold messages for now: each process's last word (within 30 s) on each
 * dependency (runtime/dependency-watch.ts), summed over its processes; a dependency held for by none is left out.
 */
function waitingForOf(readings: Readings, service: string, nowMs: number): ServiceSummary['waitingFor'] {
  const held = new Map<string, number>();
  const lastWord = latest(
    readings.points(METRIC.dependencyHeld).filter((p) => p.service === service && nowMs - p.timeMs <= UP_MS),
    (p) =>
      `${p.instance}\u0000${String(p.attributes[ATTRIBUTE.dependency] ?? '')}\u0000${String(p.attributes['messaging.destination.name'] ?? '')}`,
  );
  for (const point of lastWord.values()) {
    const dependency = String(point.attributes[ATTRIBUTE.dependency] ?? '');
    held.set(dependency, (held.get(dependency) ?? 0) + point.value);
  }
  return [...held.entries()]
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([dependency, count]) => ({ dependency, held: count }));
}

/**
 * Requests (an HTTP server) or messages processed (a consumer) over the last minute: their rate,
 * the shares that failed and that were refused (see answers.ts), and their latency. `only` narrows
 * the work (one process, one version).
 */
export function workOf(
  readings: Readings,
  service: string,
  nowMs: number,
  only: (increment: Increment) => boolean = () => true,
): Pick<ServiceSummary, 'ratePerSecond' | 'errorRate' | 'refusedRate' | 'latencyMs'> {
  const work = workIncrements(readings, service).filter(only);
  const inWindow = (grown: readonly Increment[]): Distribution => distribution(grown, nowMs - WINDOW_MS, nowMs);
  const all = inWindow(work);
  const shareOf = (outcome: Outcome): number =>
    all.count === 0 ? 0 : inWindow(work.filter((i) => outcomeOf(i.attributes) === outcome)).count / all.count;
  return {
    ratePerSecond: all.count / (WINDOW_MS / 1000),
    errorRate: shareOf('failed'),
    refusedRate: shareOf('refused'),
    latencyMs: latencyOf(all),
  };
}

function latencyOf(observed: Distribution): ServiceSummary['latencyMs'] {
  const ms = (q: number): number | null => {
    const seconds = quantile(q, observed);
    return seconds === null ? null : seconds * 1000;
  };
  const [p50, p95, p99] = [ms(0.5), ms(0.95), ms(0.99)];
  return p50 === null || p95 === null || p99 === null ? null : { p50, p95, p99 };
}
