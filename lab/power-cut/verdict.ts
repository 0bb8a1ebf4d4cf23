import type { Check } from '../experiment.js';
import type { CutCycle } from './cut-cycle.js';

/** The middle value (the mean of the two middle ones for an even count); undefined for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** The lab's checks beside the audit: every cut made and hitting unsynced writes, every database intact, every restart resumed. */
export function cutChecks(run: {
  readonly cycles: readonly CutCycle[];
  readonly planned: number;
  readonly lost: readonly string[];
}): Check[] {
  const { cycles, planned, lost } = run;
  const broken = cycles.flatMap((c, i) =>
    c.databases.filter((d) => !d.ok).map((d) => `cut ${i + 1}: ${d.file}: ${d.detail}`),
  );
  const stalled = cycles.flatMap((c, i) => (c.resumed ? [] : [`cut ${i + 1}`]));
  const dropped = cycles.reduce((n, c) => n + c.dropped.droppedBytes, 0);
  const databases = cycles.reduce((n, c) => n + c.databases.length, 0);
  return [
    { name: 'every planned cut made', ok: cycles.length >= planned, detail: `${cycles.length} of ${planned}` },
    {
      name: 'the cuts dropped unsynced writes',
      ok: dropped > 0,
      detail: `${dropped} bytes written and never fsynced were lost`,
    },
    {
      name: 'every database passes PRAGMA integrity_check after every cut',
      ok: broken.length === 0 && cycles.every((c) => c.databases.length > 0),
      detail: broken.length === 0 ? `${databases} checks over ${cycles.length} cuts, all ok` : broken.join('; '),
    },
    {
      name: 'the pipeline resumed after every cut',
      ok: stalled.length === 0,
      detail:
        stalled.length === 0
          ? 'after each restart a new 202 came and reached the store'
          : `no 202 reached the store after ${stalled.join(', ')}`,
    },
    {
      name: 'every 202 survived the cuts',
      ok: lost.length === 0,
      detail: lost.length === 0 ? 'none lost' : `${lost.length} lost, e.g. ${lost.slice(0, 3).join(', ')}`,
    },
  ];
}
