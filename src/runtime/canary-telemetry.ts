import type { DestinationStream } from 'pino';
import type { Logger } from './logger.js';
import { lazyInstruments } from './metrics.js';
import { recordCanaryTimeToWall } from './pipeline-metrics.js';
import { ATTRIBUTE, CANARY_RUN, EVENT, METRIC } from './telemetry-names.js';

/**
 * One run of the synthetic canary (ops/canary.ts): a wish handed in through the public API as the
 * reserved canary evacuee, and what it saw. Timings are milliseconds from the moment its POST was
 * sent; a stage it did not see is absent.
 */
export interface CanaryRun {
  /** When its POST was sent (ISO 8601). */
  readonly at: string;
  readonly ok: boolean;
  readonly wishId?: string;
  /** Until the 202. */
  readonly acceptedMs?: number;
  /** Until its status read `stored` (or `superseded`: the store took it and a newer one since). */
  readonly storedMs?: number;
  /** Until the read model had it (the frontend's `GET /api/canary`): when it would have been on the wall. */
  readonly wallMs?: number;
  /** The whole run, until it was seen everywhere or gave up. */
  readonly tookMs: number;
  /** Why it failed, in words, naming the stage. */
  readonly error?: string;
}

const instruments = lazyInstruments((exodus) => ({
  duration: exodus.createHistogram(METRIC.canaryDuration, {
    description: 'The synthetic canary: from its POST to each stage it saw (the 202, stored, on the read model)',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] },
  }),
  runs: exodus.createCounter(METRIC.canaryRuns, {
    description: 'Synthetic canary runs, by outcome (ok, failed)',
    unit: '{run}',
  }),
}));

/**
 * Tells one run everywhere it counts: its metrics (each stage's time, the run by outcome), its part
 * in the freshness SLO (see `recordCanaryTimeToWall`), and one log record the console reads its runs
 * from — on a failure, the `canary.failed` event (warn); otherwise a plain info line.
 */
export function reportCanaryRun(logger: Logger, run: CanaryRun): void {
  const { duration, runs } = instruments();
  const stages = { accepted: run.acceptedMs, stored: run.storedMs, wall: run.wallMs };
  for (const [stage, ms] of Object.entries(stages))
    if (ms !== undefined) duration.record(ms / 1000, { [ATTRIBUTE.canaryStage]: stage });
  runs.add(1, { [ATTRIBUTE.canaryOutcome]: run.ok ? 'ok' : 'failed' });
  // Only a wish that was accepted has a freshness to measure; a refused POST is the availability SLO's.
  if (run.acceptedMs !== undefined) recordCanaryTimeToWall(run.wallMs ?? run.tookMs);
  const fields = {
    [CANARY_RUN.field]: {
      at: run.at,
      ok: run.ok,
      wishId: run.wishId,
      acceptedMs: run.acceptedMs,
      storedMs: run.storedMs,
      wallMs: run.wallMs,
      tookMs: run.tookMs,
      error: run.error,
    },
  };
  if (run.ok)
    logger.info(
      fields,
      `canary ok: accepted in ${ms(run.acceptedMs)}, stored in ${ms(run.storedMs)}, on the read model in ${ms(run.wallMs)}`,
    );
  else logger.warn({ event: EVENT.canaryFailed, ...fields }, `canary failed: ${run.error ?? 'no reason given'}`);
}

function ms(value: number | undefined): string {
  return value === undefined ? '–' : `${Math.round(value)} ms`;
}

/**
 * A person's terminal (`exodus up`'s pretty lines) is told of failed canary runs, not of each ok one
 * every few seconds: those go on to the console, which lists them. Piped JSON keeps every line.
 */
export function withoutOkCanaryRuns(lines: DestinationStream | undefined): DestinationStream | undefined {
  if (lines === undefined) return undefined;
  const okRun = `"${CANARY_RUN.field}":{"at":`;
  return {
    write(line: string): void {
      if (line.includes(okRun) && (JSON.parse(line) as { level?: unknown }).level === OK_RUN_LEVEL) return;
      lines.write(line);
    },
  };
}

/** pino's info: an ok run's level (a failed one is a warn). */
const OK_RUN_LEVEL = 30;
