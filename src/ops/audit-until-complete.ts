import { setTimeout as sleep } from 'node:timers/promises';
import { openMessaging, openStorage } from '../engines/index.js';
import { QUEUES } from '../ports/index.js';
import type { Config } from '../runtime/index.js';
import { auditLedger, type AuditReport, type LedgerEntry } from './audit.js';

/** How often a wait looks again while accepted wishes are still on their way. */
const RECHECK_MS = 1000;

/**
 * Audits `ledger` against the engines `config` names, looking again every second while wishes are
 * missing, for up to `waitMs` (telling `onWait` each time); `waitedMs` is how long until it held
 * (undefined: it never did). `exodus audit --wait` and the audit after a load.
 */
export async function auditUntilComplete(
  config: Config,
  ledger: readonly LedgerEntry[],
  waitMs: number,
  onWait?: (report: AuditReport, leftMs: number) => void,
): Promise<{ report: AuditReport; waitedMs: number | undefined }> {
  const messaging = await openMessaging(config.queueUrl, config);
  const storage = await openStorage(config.storeUrl, { poolSize: 2 });
  try {
    const queues = Object.fromEntries(Object.values(QUEUES).map((name) => [name, messaging.queue(name)]));
    const started = Date.now();
    for (;;) {
      const report = await auditLedger(ledger, { store: storage.store, readModel: storage.readModel, queues });
      if (report.ok) return { report, waitedMs: Date.now() - started };
      if (Date.now() - started >= waitMs) return { report, waitedMs: undefined };
      onWait?.(report, waitMs - (Date.now() - started));
      await sleep(RECHECK_MS);
    }
  } finally {
    await messaging.close();
    await storage.close();
  }
}
