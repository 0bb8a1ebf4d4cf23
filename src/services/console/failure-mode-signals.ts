import type { TelemetryAttributes, TelemetryStore } from '../../ports/index.js';
import {
  byRisk,
  FAILURE_MODES,
  LIVE_WINDOW_MS,
  riskOf,
  SCALES,
  signalTerms,
  type FailureMode,
  type LiveSignal,
} from '../failure-modes.js';
import type { AlertsResponse, FailureModesResponse, LiveSignalView } from './api-shapes.js';
import { latest, seriesKey, total } from './metric-math.js';
import { readings, type Readings } from './readings.js';

/** A gauge's newest value counts if it was exported this recently (a process sends at least once per 15 s, at rest too; a gone one's last value does not). */
const FRESH_MS = 60_000;

/**
 * The failure-mode table (src/services/failure-modes.ts) with each row's live signals as they stand
 * now: an event kind seen in the last 15 minutes, an SLO with a burn-rate alert firing, a metric
 * above its threshold or grown in the last 15 minutes. Highest RRN first.
 */
export function failureModesNow(
  store: TelemetryStore,
  alerts: AlertsResponse,
  nowMs: number,
  modes: readonly FailureMode[] = FAILURE_MODES,
): FailureModesResponse {
  const fromMs = nowMs - LIVE_WINDOW_MS;
  const read = readings(store, fromMs - 60_000);
  const signalNow = (signal: LiveSignal): LiveSignalView => {
    const { kind, name, liveWhen } = signalTerms(signal);
    const base = { kind, name, liveWhen };
    switch (signal.kind) {
      case 'event': {
        const [last] = store.logs({ events: { kind: signal.event }, fromMs, newestFirst: true, limit: 1 });
        return { ...base, ref: signal.event, live: last !== undefined, at: isoOrNull(last?.timeMs), value: null };
      }
      case 'slo': {
        const firing = alerts.alerts.filter((alert) => alert.slo === signal.slo && alert.state === 'firing');
        const since = firing.map((alert) => alert.since ?? '').sort()[0];
        return { ...base, ref: signal.slo, live: firing.length > 0, at: since ?? null, value: null };
      }
      case 'metric':
        return { ...base, ref: signal.metric, ...metricNow(read, signal, fromMs, nowMs) };
    }
  };
  return {
    failureModes: byRisk(modes).map((mode) => ({
      id: mode.id,
      failure: mode.failure,
      detectedBy: mode.detectedBy,
      usersSee: mode.usersSee,
      mitigation: mode.mitigation,
      provenBy: mode.provenBy,
      severity: mode.severity,
      occurrence: mode.occurrence,
      detection: mode.detection,
      rrn: riskOf(mode),
      signals: mode.signals.map(signalNow),
    })),
    scales: { ...SCALES },
    liveWindowMs: LIVE_WINDOW_MS,
    generatedAt: new Date(nowMs).toISOString(),
  };
}

function metricNow(
  read: Readings,
  signal: Extract<LiveSignal, { kind: 'metric' }>,
  fromMs: number,
  nowMs: number,
): { live: boolean; at: string | null; value: number | null } {
  const wanted = (attributes: TelemetryAttributes): boolean =>
    Object.entries(signal.attributes ?? {}).every(([key, value]) => String(attributes[key] ?? '') === value);
  if (signal.live === 'grew') {
    const grown = read
      .increments(signal.metric)
      .filter((increment) => wanted(increment.attributes) && increment.value > 0);
    const growth = total(grown, fromMs, nowMs);
    const lastMs = Math.max(...grown.filter((i) => i.timeMs >= fromMs).map((i) => i.timeMs));
    return { live: growth > 0, at: growth > 0 ? isoOrNull(lastMs) : null, value: growth };
  }
  const newest = [
    ...latest(
      read.points(signal.metric).filter((point) => point.timeMs >= nowMs - FRESH_MS && wanted(point.attributes)),
      seriesKey,
    ).values(),
  ];
  if (newest.length === 0) return { live: false, at: null, value: null };
  const top = newest.reduce((best, point) => (point.value > best.value ? point : best));
  return { live: top.value > signal.live.above, at: isoOrNull(top.timeMs), value: top.value };
}

function isoOrNull(timeMs: number | undefined): string | null {
  return timeMs === undefined || !Number.isFinite(timeMs) ? null : new Date(timeMs).toISOString();
}
