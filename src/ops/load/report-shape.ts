import type { Segment } from './profile.js';
import type { LoadResult } from './run.js';
import type { Verdict } from './thresholds.js';

/** The audit's figures as a load report shows them. */
export interface AuditSummary {
  readonly ok: boolean;
  readonly accepted: number;
  readonly stored: number;
  readonly superseded: number;
  readonly rejected: number;
  /** Accepted and still in a queue when the wait ended: safe, not lost (the audit's classes, ops/audit.ts). */
  readonly onTheirWay: number;
  readonly deadLettered: number;
  /** Accepted and in no queue, dead-letter queue or the store. */
  readonly lost: number;
  readonly waitS: number | undefined;
}

/** Everything a run leaves behind besides the ledger: `results.json` is this object. */
export interface LoadReport {
  readonly scenario: { readonly name: string; readonly description: string };
  /** How the run was asked for (rate, duration, connections, seed…), as given. */
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly segments: readonly Segment[];
  readonly result: LoadResult;
  readonly verdicts: readonly Verdict[];
  readonly audit: AuditSummary | undefined;
  readonly pass: boolean;
}
