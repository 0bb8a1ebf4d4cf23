import type { StoredInstance, TelemetryAttributes } from '../../ports/index.js';

/*
 * What a process says of itself in its OTLP resource, besides its name: where it runs (`host.name`;
 * on Kubernetes `k8s.pod.name` and `k8s.node.name`) and what it runs (`service.version`). The
 * receiver keeps one record per process and version (the store's instances), and puts the version
 * on each metric point too, among its attributes (as point-origin.ts does the pid), so a service's
 * rate, errors and latency split by version with no join: a process restarted as another version
 * is another series anyway (a new pid).
 */
export const RESOURCE = {
  version: 'service.version',
  host: 'host.name',
  pod: 'k8s.pod.name',
  node: 'k8s.node.name',
} as const;

const textOf = (value: string | number | boolean | undefined): string | null =>
  value === undefined || value === '' ? null : String(value);

/** The attribute to add to each metric point of a resource: its version, when it said. */
export function versionAttributes(resource: TelemetryAttributes): TelemetryAttributes {
  const version = textOf(resource[RESOURCE.version]);
  return version === null ? {} : { [RESOURCE.version]: version };
}

/** The version a point was sent by, or '' when its sender gave none. */
export function versionOf(attributes: TelemetryAttributes): string {
  return textOf(attributes[RESOURCE.version]) ?? '';
}

/**
 * The record of one resource's process, heard from between the earliest and latest times of what
 * it sent; none when it sent nothing with a time.
 */
export function instanceRecord(
  from: { readonly service: string; readonly instance: string },
  resource: TelemetryAttributes,
  timesMs: readonly number[],
): StoredInstance[] {
  const times = timesMs.filter((t) => t > 0);
  if (times.length === 0) return [];
  return [
    {
      ...from,
      version: versionOf(resource),
      host: textOf(resource[RESOURCE.host]),
      pod: textOf(resource[RESOURCE.pod]),
      node: textOf(resource[RESOURCE.node]),
      // Not Math.min(...times): a batch may hold more times than a call has arguments.
      firstSeenMs: times.reduce((min, t) => Math.min(min, t), Infinity),
      lastSeenMs: times.reduce((max, t) => Math.max(max, t), -Infinity),
    },
  ];
}
