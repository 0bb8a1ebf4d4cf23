import { writeFileSync } from 'node:fs';
import { prometheusRules, readSlos, SloError } from '../ops/index.js';
import type { VerbInput } from './args.js';
import { CliError } from './args.js';

/** `exodus slo rules [--dir slo] [--out FILE]`: the SLOs as Prometheus recording rules and burn-rate alerts. */
export async function sloCommand({ flags }: VerbInput): Promise<void> {
  const dir = typeof flags['dir'] === 'string' ? flags['dir'] : 'slo';
  const out = typeof flags['out'] === 'string' ? flags['out'] : undefined;
  let rules: string;
  try {
    rules = prometheusRules(readSlos(dir));
  } catch (error) {
    if (error instanceof SloError) throw new CliError(error.message);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`no SLO directory ${dir}`);
    throw error;
  }
  if (out === undefined) process.stdout.write(rules);
  else writeFileSync(out, rules);
}
