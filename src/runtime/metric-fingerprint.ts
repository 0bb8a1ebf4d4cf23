import { METRIC } from './telemetry-names.js';

/** The shape of a collection this module reads (structural: the exporters pin their own copy of the metrics SDK). */
export interface CollectedMetrics {
  readonly scopeMetrics: readonly {
    readonly metrics: readonly {
      readonly descriptor: { readonly name: string };
      readonly dataPoints: readonly { readonly attributes: object; readonly value: unknown }[];
    }[];
  }[];
}

/** Timed sends and receives (messaging-metrics.ts). */
const MESSAGING_OPERATION = 'messaging.client.operation.duration';

/**
 * Figures that move in a process at rest by themselves: the CPU time and memory it uses, the Node
 * runtime's event loop, heap and GC (OpenTelemetry's runtime instrumentation), the age of a queue's
 * oldest ready message, which grows with the clock alone while one waits, and the timing of a
 * consumer's receives, which a receive that found nothing moves too (a send or a receive that found
 * messages moves its counter of messages as well). Their change says only that time passed, so it
 * never makes an export of its own; each export still carries them.
 */
function restless(name: string): boolean {
  return (
    name === METRIC.cpuTime ||
    name === METRIC.memory ||
    name === METRIC.queueOldestAge ||
    name === MESSAGING_OPERATION ||
    name.startsWith('nodejs.') ||
    name.startsWith('v8js.')
  );
}

/**
 * Every series of a collection but the restless ones, with its value (a histogram's counts and
 * sum), as one string: two collections with equal fingerprints have nothing new to tell, but that
 * time passed. A series that appeared or went away changes it too.
 */
export function workFingerprint(collected: CollectedMetrics): string {
  const parts: string[] = [];
  for (const scope of collected.scopeMetrics)
    for (const metric of scope.metrics) {
      if (restless(metric.descriptor.name)) continue;
      parts.push(metric.descriptor.name);
      for (const point of metric.dataPoints) parts.push(JSON.stringify([point.attributes, point.value]));
    }
  return parts.join('\n');
}
