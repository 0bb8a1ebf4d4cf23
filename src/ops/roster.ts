import { parse } from 'csv-parse/sync';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  CANARY_EVACUEE_ID,
  DEFAULT_PASS_VALIDITY_DAYS,
  demoName,
  evacueeIdFor,
  isCanary,
  isEvacueeId,
  issuePass,
  type Evacuee,
} from '../domain/index.js';
import { openStorage } from '../engines/index.js';
import type { Config } from '../runtime/index.js';
import { InputError } from './input-error.js';

/** Where `exodus up` writes the demo roster of a first start, in the data dir. */
export const DEMO_ROSTER_FILE = 'demo-roster.csv';

/** `count` demo evacuees, EV-00001 on: generated ids always start there, so a new roster is the same people. */
export function demoEvacuees(count: number): Evacuee[] {
  return Array.from({ length: count }, (_, i) => ({ id: evacueeIdFor(i + 1), name: demoName(i) }));
}

/** A demo roster of `count` evacuees registered in the store and written to `file`; returns the first, with its pass. */
export async function demoRoster(
  config: Config,
  count: number,
  file: string,
): Promise<{ id: string; name: string; pass: string }> {
  const evacuees = demoEvacuees(count);
  await registerEvacuees(config, evacuees);
  const expiresAt = new Date(Date.now() + DEFAULT_PASS_VALIDITY_DAYS * 86_400_000);
  writeRoster(config, evacuees, file, expiresAt);
  const first = evacuees[0] ?? { id: evacueeIdFor(1), name: demoName(0) };
  return { ...first, pass: issuePass(config.passSecret.reveal(), first.id, expiresAt) };
}

export async function registerEvacuees(config: Config, evacuees: readonly Evacuee[]): Promise<void> {
  const storage = await openStorage(config.storeUrl, { poolSize: config.storePoolSize });
  try {
    await storage.store.registerEvacuees(evacuees);
  } finally {
    await storage.close();
  }
}

/** The roster with a boarding pass each, signed by this deployment's secret, readable by its owner only. */
export function writeRoster(config: Config, evacuees: readonly Evacuee[], file: string, expiresAt: Date): void {
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
    throw new InputError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const seen = new Set<string>();
  return records.map((record, i) => {
    const line = i + 2;
    const id = record['evacuee_id'] ?? '';
    const name = record['name'] ?? '';
    if (!isEvacueeId(id)) throw new InputError(`${file}:${line}: evacuee_id "${id}" is not like EV-00042`);
    if (isCanary(id))
      throw new InputError(`${file}:${line}: ${CANARY_EVACUEE_ID} is reserved for the synthetic canary (exodus up)`);
    if (name === '' || name.length > 120) throw new InputError(`${file}:${line}: name must be 1 to 120 characters`);
    if (seen.has(id)) throw new InputError(`${file}:${line}: ${id} appears twice`);
    seen.add(id);
    return { id, name };
  });
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
