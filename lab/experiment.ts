/**
 * What every lab experiment is and what it hands back. An experiment drives an open-model load with
 * a ledger against Exodus on the lab's hosts, does its fault on a schedule, and is judged by the
 * audit (every 202 stored or superseded, tally = store = wall) and by the lab's own checks.
 */

/** Something that happened, on the run's time axis (seconds from the load's start). */
export interface TimelineEvent {
  readonly atS: number;
  readonly label: string;
}

/** One second of the load, for the report's timeline. */
export interface LoadSecond {
  readonly atS: number;
  /** 202s in that second. */
  readonly accepted: number;
  /** 503/429 answers (refusals with Retry-After) in that second. */
  readonly refused: number;
  /** Transport errors and timeouts in that second. */
  readonly errors: number;
  /** Messages waiting in the pipeline's queues, when it could be read. */
  readonly backlog: number | undefined;
}

/** One lab check beside the audit: a name, whether it held, and what was seen. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ExperimentResult {
  readonly experiment: string;
  /** Distinct wishes answered 202. */
  readonly accepted: number;
  /** Requests refused (503/429) after every retry, or never answered: the client was told no, or knows nothing. */
  readonly refused: number;
  /** Accepted wishes in no store, queue or dead-letter queue after the wait: must be 0. */
  readonly lost: number;
  /** Accepted wishes still in a queue when the audit gave up waiting (safe, arriving). */
  readonly onTheirWay: number;
  /** Accepted wishes parked in a dead-letter queue. */
  readonly deadLettered: number;
  /** Evacuees whose current wish is not their newest, or who have two. */
  readonly wrongCurrent: number;
  /** tally = store = wall, per destination. */
  readonly tallyMatches: boolean;
  /** From the fault to the end of the last second with a refusal or a failure: whole again (power-cut: the median from a restart to its first 202). */
  readonly recoveryS: number | undefined;
  /** From the load's end until every 202 was audited in the store: the backlog the fault left, drained (undefined: it never was). */
  readonly drainedS: number | undefined;
  readonly checks: readonly Check[];
  readonly timeline: readonly TimelineEvent[];
  readonly seconds: readonly LoadSecond[];
  /** Where to look further: the console the lab's processes exported to, the servers' logs. */
  readonly links: Readonly<Record<string, string>>;
  /** Whatever else the experiment measured (e.g. the power cuts' count), for results.json. */
  readonly extra: Readonly<Record<string, number | string | boolean>>;
  /** Nothing accepted lost, nothing twice, every check held. */
  readonly ok: boolean;
}

/** What a run of one experiment is given. */
export interface ExperimentOptions {
  /** Where its results.json, report and logs go. */
  readonly outDir: string;
  /** Arrivals per second of the open-model load. */
  readonly rate: number;
  /** How long the load runs, in ms (the fault is placed inside it). */
  readonly durationMs: number;
  readonly seed: number;
  /** One line of progress for the operator. */
  readonly log: (line: string) => void;
}

export interface Experiment {
  readonly name: string;
  /** One line: the fault and what must hold. */
  readonly summary: string;
  readonly run: (options: ExperimentOptions) => Promise<ExperimentResult>;
}

/** The verdict every experiment reports the same way: nothing lost or wrong, and every check held. */
export function judged(result: Omit<ExperimentResult, 'ok'>): ExperimentResult {
  const ok =
    result.lost === 0 &&
    result.deadLettered === 0 &&
    result.wrongCurrent === 0 &&
    result.tallyMatches &&
    result.checks.every((check) => check.ok);
  return { ...result, ok };
}
