import type { TelemetryAttributes } from '../../ports/index.js';

/**
 * What one piece of work came to, as the console counts it: one definition for the overview's
 * Errors and Refused columns, its requests chart, and the availability SLO
 * (slo/wish-acceptance-availability.yaml counts 202, 429 and 503 good, and leaves the caller's
 * mistakes out):
 * - `refused`: 429 (a rate limit) or 503 (load shed, the intake unreachable): the front door turning
 *   work away on purpose, with Retry-After, to be asked again; not an error;
 * - `failed`: any other 5xx, or a message whose processing failed (`error.type` set, as the
 *   semantic conventions mark it): the service broke its promise;
 * - `mistaken`: any other 4xx: the caller's mistake, which the service answered as it should;
 * - `served`: everything else.
 */
export type Outcome = 'served' | 'mistaken' | 'refused' | 'failed';

/** The statuses by which the front door asks to be asked again later (both with Retry-After). */
const REFUSALS: ReadonlySet<number> = new Set([429, 503]);

/** An HTTP server's answer, from its `http.response.status_code`. */
export function answerOutcome(status: number): Outcome {
  if (REFUSALS.has(status)) return 'refused';
  if (status >= 500) return 'failed';
  if (status >= 400) return 'mistaken';
  return 'served';
}

/** A measurement's outcome: an HTTP answer's by its status, a processed message's by its `error.type`. */
export function outcomeOf(attributes: TelemetryAttributes): Outcome {
  const status = attributes['http.response.status_code'];
  if (status !== undefined) return answerOutcome(Number(status));
  return attributes['error.type'] === undefined ? 'served' : 'failed';
}
