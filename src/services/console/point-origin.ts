import type { TelemetryAttributes } from '../../ports/index.js';

/*
 * Two facts OTLP gives about a metric point besides its own attributes, which the console needs to
 * count what a process counted: the process that counted it (the resource's `process.pid`) and when
 * its cumulative series began (the point's `start_time_unix_nano`). A TelemetryStore point has no
 * field for either, so the receiver keeps them among the point's attributes, under these keys; being
 * attributes, they also make a restarted process (new pid, new start) a series of its own. No SLO
 * selector names them. Should the store gain fields for them, the functions here are all that change.
 */
export const ORIGIN = {
  pid: 'process.pid',
  /** Milliseconds since the epoch; absent when the sender gave no start time (0 in OTLP). */
  seriesStartMs: 'exodus.series.start_ms',
} as const;

/** The attributes to add to each point of one resource's metrics: its process's pid, when it said. */
export function processAttributes(resource: TelemetryAttributes): TelemetryAttributes {
  const pid = resource[ORIGIN.pid];
  return typeof pid === 'number' ? { [ORIGIN.pid]: pid } : {};
}

/** The attribute to add to a cumulative point: when its series began (OTLP's 0 means unknown: nothing). */
export function seriesStartAttributes(startMs: number): TelemetryAttributes {
  return startMs > 0 ? { [ORIGIN.seriesStartMs]: startMs } : {};
}

/** When a point's series began, if its sender said. */
export function seriesStartOf(attributes: TelemetryAttributes): number | undefined {
  const start = attributes[ORIGIN.seriesStartMs];
  return typeof start === 'number' ? start : undefined;
}

/** The pid of the process that sent a point, or null if it did not say. */
export function pidOf(attributes: TelemetryAttributes): number | null {
  const pid = attributes[ORIGIN.pid];
  return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : null;
}
