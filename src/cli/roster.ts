import { parse } from 'csv-parse/sync';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_PASS_VALIDITY_DAYS,
  demoName,
  evacueeIdFor,
  isEvacueeId,
  issuePass,
  type Evacuee,
} from '../domain/index.js';
import { openStorage } from '../engines/index.js';
import type { Config } from '../runtime/index.js';
import { CliError, requireString, type VerbInput } from './args.js';

/**
 * `exodus roster generate|import`: the people allowed to leave a wish. Generating is like seeding
 * test accounts: N demo evacuees with boarding passes signed by this deployment's secret, valid for
 * `--valid-days` (default 30).
 */
export async function rosterCommand({
  flags,
  positionals: [action, file],
  config: settings,
}: VerbInput): Promise<void> {
  const config = settings();
  const out = typeof flags['out'] === 'string' ? flags['out'] : undefined;
  const validDays = Number(flags['valid-days'] ?? DEFAULT_PASS_VALIDITY_DAYS);
  if (!(validDays > 0 && validDays <= 3650))
    throw new CliError('--valid-days must be a number of days, more than 0 and at most 3650 (fractions allowed)');
  const expiresAt = new Date(Date.now() + validDays * 86_400_000);
  switch (action) {
    case 'generate': {
      const count = Number(requireString(flags, 'count'));
      if (!Number.isInteger(count) || count < 1 || count > 1_000_000)
        throw new CliError('--count must be an integer from 1 to 1000000');
      if (out === undefined) throw new CliError('--out FILE is required');
      const evacuees = Array.from({ length: count }, (_, i) => ({ id: evacueeIdFor(i + 1), name: demoName(i) }));
      await register(config, evacuees);
      writeRoster(config, evacuees, out, expiresAt);
      console.log(`wrote ${count} evacuees, ${describeIds(evacuees)}, with boarding passes to ${out}`);
      // Generated ids always start at EV-00001: the same people as the demo roster's, with new passes.
      if (existsSync(join(config.dataDir, DEMO_ROSTER_FILE)))
        console.log(
          `(EV-00001 on are the demo evacuees of ${join(config.dataDir, DEMO_ROSTER_FILE)}: the same people, new passes; their wishes are one per evacuee)`,
        );
      return;
    }
    case 'import': {
      if (file === undefined) throw new CliError('roster import FILE: which file?');
      const evacuees = readRoster(file);
      await register(config, evacuees);
      if (out !== undefined) writeRoster(config, evacuees, out, expiresAt);
      console.log(
        `registered ${evacuees.length} evacuees from ${file}${out === undefined ? '' : `; boarding passes in ${out}`}`,
      );
      return;
    }
    default:
      throw new CliError(
        'roster what? generate --count N --out FILE [--valid-days D], or import FILE [--out PASSES.csv] [--valid-days D]',
      );
  }
}

/** Where `exodus up` writes the demo roster of a first start, in the data dir. */
export const DEMO_ROSTER_FILE = 'demo-roster.csv';

/** `EV-00001` or `EV-00001 … EV-02000`. */
function describeIds(evacuees: readonly Evacuee[]): string {
  const [first, last] = [evacuees[0]?.id, evacuees.at(-1)?.id];
  return first === last ? String(first) : `${String(first)} … ${String(last)}`;
}

/** A demo roster of `count` evacuees registered in the store and written to `file`; returns the first, with its pass. */
export async function demoRoster(
  config: Config,
  count: number,
  file: string,
): Promise<{ id: string; name: string; pass: string }> {
  const evacuees = Array.from({ length: count }, (_, i) => ({ id: evacueeIdFor(i + 1), name: demoName(i) }));
  await register(config, evacuees);
  const expiresAt = new Date(Date.now() + DEFAULT_PASS_VALIDITY_DAYS * 86_400_000);
  writeRoster(config, evacuees, file, expiresAt);
  const first = evacuees[0] ?? { id: evacueeIdFor(1), name: demoName(0) };
  return { ...first, pass: issuePass(config.passSecret.reveal(), first.id, expiresAt) };
}

async function register(config: Config, evacuees: readonly Evacuee[]): Promise<void> {
  const storage = await openStorage(config.storeUrl, { poolSize: config.storePoolSize });
  try {
    await storage.store.registerEvacuees(evacuees);
  } finally {
    await storage.close();
  }
}

function writeRoster(config: Config, evacuees: readonly Evacuee[], file: string, expiresAt: Date): void {
  const secret = config.passSecret.reveal();
  const rows = evacuees.map((e) => `${e.id},${csvField(e.name)},${issuePass(secret, e.id, expiresAt)}`);
  writeFileSync(file, ['evacuee_id,name,boarding_pass', ...rows].join('\n') + '\n', { mode: 0o600 });
}

/** A roster CSV with a header naming at least `evacuee_id` and `name`; every row is checked, with its line. */
export function readRoster(file: string): Evacuee[] {
  let records: Record<string, string>[];
  try {
    records = parse<Record<string, string>>(readFileSync(file), { columns: true, skip_empty_lines: true, trim: true });
  } catch (error) {
    throw new CliError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const seen = new Set<string>();
  return records.map((record, i) => {
    const line = i + 2;
    const id = record['evacuee_id'] ?? '';
    const name = record['name'] ?? '';
    if (!isEvacueeId(id)) throw new CliError(`${file}:${line}: evacuee_id "${id}" is not like EV-00042`);
    if (name === '' || name.length > 120) throw new CliError(`${file}:${line}: name must be 1 to 120 characters`);
    if (seen.has(id)) throw new CliError(`${file}:${line}: ${id} appears twice`);
    seen.add(id);
    return { id, name };
  });
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
