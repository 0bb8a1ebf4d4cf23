import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runOf } from './ingest.js';
import type { BenchResults } from './results.js';
import { drainSeconds, TARGETS, type Figure } from './targets.js';

/**
 * bench/results/history.ndjson: one line per full `npm run bench`, so a trend (or the commit that
 * broke it) can be read without keeping every latest.json. Only headline figures; latest.json has the rest.
 */
export interface HistoryEntry {
  readonly date: string;
  readonly commit: string | undefined;
  /** src/ had uncommitted changes when measured. */
  readonly dirty: boolean | undefined;
  readonly machine: { readonly cores: number; readonly cpuModel: string };
  readonly fdatasyncPerSec: number;
  /** The targets of the day (targets.ts: issue 25's), by figure key, in the unit the key names. */
  readonly targets: Readonly<Record<string, Figure>>;
  /** Closed model (saturation). */
  readonly ingestPerSec: { readonly exodus: Figure; readonly bare: Figure };
  /** First POST → all in the tally. */
  readonly drainSec: { readonly sqlite: Figure; readonly natsPostgres: Figure; readonly peer?: Figure };
  /** All of exodus's processes; the peer's Node processes (peer/drain.ts). */
  readonly cpuUsPerWish: { readonly sqlite: Figure; readonly natsPostgres: Figure; readonly peer?: Figure };
}

export function historyEntry(results: BenchResults): HistoryEntry {
  const runs = results.ingest?.runs ?? [];
  const closedPerSec = (server: 'exodus' | 'bare'): Figure =>
    runOf(runs, server, 'closed')?.result.okPerSec ?? 'not measured';
  return {
    date: results.startedAt,
    commit: results.git?.commit,
    dirty: results.git?.dirty,
    machine: { cores: results.machine.cores, cpuModel: results.machine.cpuModel },
    fdatasyncPerSec: results.environment.fdatasyncPerSec,
    targets: Object.fromEntries(
      TARGETS.flatMap((target) => target.bounds.map((bound) => [bound.key, bound.figure(results)])),
    ),
    ingestPerSec: { exodus: closedPerSec('exodus'), bare: closedPerSec('bare') },
    drainSec: {
      sqlite: drainSeconds(results.drain),
      natsPostgres: drainSeconds(results.drainDistributed),
      peer: peerSeconds(results),
    },
    cpuUsPerWish: {
      sqlite: results.drain?.cpuUsPerWish.system ?? 'not measured',
      natsPostgres: results.drainDistributed?.cpuUsPerWish.system ?? 'not measured',
      peer: results.peer?.cpuUsPerWish.system ?? 'not measured',
    },
  };
}

function peerSeconds({ peer }: BenchResults): Figure {
  if (peer === undefined) return 'not measured';
  return peer.allTalliedMs === undefined ? 'timed out' : peer.allTalliedMs / 1000;
}

/** Appends one line (the file is created if absent); returns its path. */
export function appendHistory(dir: string, entry: HistoryEntry): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'history.ndjson');
  appendFileSync(file, JSON.stringify(entry) + '\n');
  return file;
}
