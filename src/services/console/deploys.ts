import type { StoredInstance, StoredLog, TelemetryStore } from '../../ports/index.js';
import { ATTRIBUTE, EVENT } from '../../runtime/index.js';
import { shortServiceName } from '../names.js';
import type { ChartMarker } from './api-shapes.js';

/**
 * The deploy rule (the README states it; deploys.test.ts pins it): a process reports a version that
 * none of its service's processes reported in the last `MEMORY_MS`, while another version of the
 * service was heard in that time: the service was deployed from that other version (the one heard
 * last) to this one. A service's first version is a start, not a deploy; a version heard again
 * (a second process of a rollout, a canary restarted) is not a second deploy; a process that gives
 * no version takes no part. The console writes each deploy into its own store as a
 * `service.deployed` event, which every chart marks.
 */
export const MEMORY_MS = 60 * 60_000;

export interface Deploy {
  readonly service: string;
  /** The process first heard running `to`. */
  readonly instance: string;
  readonly from: string;
  readonly to: string;
  readonly atMs: number;
}

/** What the console remembers of each service's versions: when each was last heard. */
export class DeployWatch {
  readonly #heard = new Map<string, Map<string, number>>();

  /** `known`: what the store already holds (the console restarted), so a version it knows is not news. */
  constructor(known: readonly StoredInstance[] = []) {
    for (const instance of known) this.#note(instance.service, instance.version, instance.lastSeenMs);
  }

  /** The deploys these reports make, oldest first; they are remembered, so each is told once. */
  observe(instances: readonly StoredInstance[]): Deploy[] {
    const deploys: Deploy[] = [];
    for (const report of [...instances].sort((a, b) => a.firstSeenMs - b.firstSeenMs)) {
      if (report.version === '') continue;
      const versions = this.#heard.get(report.service) ?? new Map<string, number>();
      const recent = [...versions].filter(([, lastMs]) => report.firstSeenMs - lastMs <= MEMORY_MS);
      const known = recent.some(([version]) => version === report.version);
      const previous = recent.sort(([, a], [, b]) => b - a)[0];
      if (!known && previous !== undefined)
        deploys.push({
          service: report.service,
          instance: report.instance,
          from: previous[0],
          to: report.version,
          atMs: report.firstSeenMs,
        });
      this.#note(report.service, report.version, report.lastSeenMs);
    }
    return deploys;
  }

  #note(service: string, version: string, atMs: number): void {
    if (version === '') return;
    const versions = this.#heard.get(service) ?? new Map<string, number>();
    versions.set(version, Math.max(versions.get(version) ?? -Infinity, atMs));
    this.#heard.set(service, versions);
  }
}

/** A deploy as the event the console stores (and lists under Events). */
export function deployEvent(deploy: Deploy): StoredLog {
  return {
    timeMs: deploy.atMs,
    service: deploy.service,
    instance: deploy.instance,
    severity: 9, // info: a deploy is news, not trouble
    body: `${deploy.service} deployed: ${deploy.from} → ${deploy.to} (first heard from ${deploy.instance})`,
    traceId: null,
    spanId: null,
    attributes: {
      [ATTRIBUTE.eventName]: EVENT.serviceDeployed,
      [ATTRIBUTE.service]: deploy.service,
      [ATTRIBUTE.process]: deploy.instance,
      from: deploy.from,
      to: deploy.to,
    },
    eventName: EVENT.serviceDeployed,
  };
}

/** The deploys in a chart's time (of one service, or of all): a marker each, with its versions. */
export function deployMarkers(
  store: TelemetryStore,
  window: { readonly fromMs: number; readonly toMs: number; readonly service?: string | undefined },
): ChartMarker[] {
  return store
    .logs({ events: { kind: EVENT.serviceDeployed }, fromMs: window.fromMs, toMs: window.toMs, limit: 100 })
    .filter((log) => window.service === undefined || log.service === window.service)
    .map((log) => ({
      time: log.timeMs / 1000,
      label: `${shortServiceName(log.service)} ${String(log.attributes['from'] ?? '')} → ${String(log.attributes['to'] ?? '')}`,
    }));
}
