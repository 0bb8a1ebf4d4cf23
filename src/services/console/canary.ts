import type { StoredLog, TelemetryStore } from '../../ports/index.js';
import { CANARY_RUN } from '../../runtime/index.js';
import type { CanaryRunView } from './api-shapes.js';

/** Runs shown: five minutes of them at the default pace. */
const RUNS = 30;
/** How far back they are looked for: a canary silent for longer has no runs to show. */
const WINDOW_MS = 15 * 60_000;

/**
 * The synthetic canary's last runs, newest first, read back from the one log record each run leaves
 * (runtime/canary-telemetry.ts: a `canary.failed` event or an info line, with the `canary.*`
 * attributes), so the console needs nothing but the telemetry it keeps.
 */
export function canaryRuns(store: TelemetryStore, nowMs: number): CanaryRunView[] {
  return store
    .logs({ words: [`"${CANARY_RUN.ok}"`], fromMs: nowMs - WINDOW_MS, newestFirst: true, limit: RUNS })
    .flatMap((record) => {
      const run = runOf(record);
      return run === undefined ? [] : [run];
    });
}

/** A record as a run; undefined when it is not one (a line that only mentions the words). */
export function runOf(record: StoredLog): CanaryRunView | undefined {
  const { attributes } = record;
  const ok = attributes[CANARY_RUN.ok];
  if (typeof ok !== 'boolean') return undefined;
  const ms = (key: string): number | null => {
    const value = attributes[key];
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
  };
  const at = attributes[CANARY_RUN.at];
  const wishId = attributes[CANARY_RUN.wishId];
  const error = attributes[CANARY_RUN.error];
  return {
    at: typeof at === 'string' ? at : new Date(record.timeMs).toISOString(),
    ok,
    wishId: typeof wishId === 'string' ? wishId : null,
    acceptedMs: ms(CANARY_RUN.acceptedMs),
    storedMs: ms(CANARY_RUN.storedMs),
    wallMs: ms(CANARY_RUN.wallMs),
    ...(typeof error === 'string' ? { error } : {}),
  };
}
