import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every fault `exodus chaos` starts is also appended to `<data>/chaos-faults.ndjson`, so that an
 * `exodus load` run in another terminal against the same system (given its `--data`) can put it on
 * its report's time axis.
 */
const file = (dataDir: string): string => join(dataDir, 'chaos-faults.ndjson');

export interface FaultMark {
  /** When it started, ms since the epoch. */
  readonly atMs: number;
  readonly label: string;
}

export function logFaultStart(dataDir: string, mark: FaultMark): void {
  appendFileSync(file(dataDir), JSON.stringify(mark) + '\n');
}

/** The faults started in [fromMs, toMs]; none when no chaos ran on this data dir. */
export function faultsBetween(dataDir: string, fromMs: number, toMs: number): FaultMark[] {
  if (!existsSync(file(dataDir))) return [];
  return readFileSync(file(dataDir), 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        const mark = JSON.parse(line) as Partial<FaultMark>;
        return typeof mark.atMs === 'number' &&
          typeof mark.label === 'string' &&
          mark.atMs >= fromMs &&
          mark.atMs <= toMs
          ? [{ atMs: mark.atMs, label: mark.label }]
          : [];
      } catch {
        return []; // a blank or half-written line
      }
    });
}
