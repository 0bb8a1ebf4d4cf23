import type { Latency } from '../../src/services/console/api-shapes.js';
import { duration, percent, perSecond } from './format.js';
import { cell } from './table.js';

/** An error rate from this share up is flagged (1 %). */
const ERROR_RATE_FLAG = 0.01;

/** The columns of a service's (or one version's) work over the last minute, as the overview and a service's page show it. */
export const WORK_COLUMNS = [
  { label: 'Rate /s', class: 'num' },
  { label: 'Errors', class: 'num' },
  { label: 'Refused', class: 'num' },
  { label: 'p50', class: 'num' },
  { label: 'p95', class: 'num' },
  { label: 'p99', class: 'num' },
] as const;

/** The cells of `WORK_COLUMNS`. Refusals are the door working as designed (the SLOs count them good): shown, never flagged. */
export function workCells(work: {
  readonly ratePerSecond: number;
  readonly errorRate: number;
  readonly refusedRate: number;
  readonly latencyMs: Latency | null;
}): HTMLTableCellElement[] {
  const latency = work.latencyMs;
  return [
    cell(perSecond(work.ratePerSecond), 'num rate'),
    cell(percent(work.errorRate), work.errorRate >= ERROR_RATE_FLAG ? 'num errors warn' : 'num errors'),
    cell(percent(work.refusedRate), 'num refused'),
    cell(duration(latency?.p50), 'num'),
    cell(duration(latency?.p95), 'num'),
    cell(duration(latency?.p99), 'num p99'),
  ];
}
