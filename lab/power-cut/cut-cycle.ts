import type { DatabaseCheck } from './integrity.js';
import type { CutReport } from './lossy-fs.js';

/** What one cut did and how the system came back. */
export interface CutCycle {
  readonly atS: number;
  readonly dropped: CutReport;
  readonly databases: readonly DatabaseCheck[];
  /** From starting `exodus up` again to its frontend ready, and to the load's first 202. */
  readonly readyS: number;
  readonly firstAcceptedS: number | undefined;
  /** From the cut to the first 202 after it. */
  readonly downS: number | undefined;
  /** A wish accepted after the restart reached the store (the consumers run again). */
  readonly resumed: boolean;
  /** From that first 202 to its wish in the store. */
  readonly storedS: number | undefined;
}
