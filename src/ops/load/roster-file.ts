import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { InputError } from '../input-error.js';

/** An evacuee the load speaks for: their id and boarding pass, from `exodus roster generate`'s CSV. */
export interface RosterEntry {
  readonly evacueeId: string;
  readonly pass: string;
}

/** A roster that cannot be used: names the file and, where it can, the line. */
export class RosterFileError extends InputError {}

/** Reads a roster CSV with the columns `evacuee_id` and `boarding_pass` (as `exodus roster generate` writes it). */
export function readRosterFile(file: string): RosterEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RosterFileError(
      `cannot read the roster ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  let records: Record<string, string>[];
  try {
    records = parse<Record<string, string>>(text, { columns: true, skip_empty_lines: true, trim: true });
  } catch (error) {
    throw new RosterFileError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const entries = records.map((record, i) => {
    const evacueeId = record['evacuee_id'] ?? '';
    const pass = record['boarding_pass'] ?? '';
    if (evacueeId === '' || pass === '')
      throw new RosterFileError(
        `${file}:${i + 2}: needs evacuee_id and boarding_pass (a roster from exodus roster generate)`,
      );
    return { evacueeId, pass };
  });
  if (entries.length === 0) throw new RosterFileError(`${file}: no evacuees`);
  return entries;
}
