import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { prometheusRules, readSlos, SloError } from '../ops/index.js';
import { CliError } from './args.js';

/** `exodus slo rules [--dir slo] [--out FILE]`: the SLOs as Prometheus recording rules and burn-rate alerts. */
export async function sloCommand(argv: readonly string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { dir: { type: 'string', default: 'slo' }, out: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(error instanceof Error ? (error.message.split('\n')[0] ?? 'bad arguments') : 'bad arguments');
  }
  if (parsed.positionals[0] !== 'rules') throw new CliError('slo what? exodus slo rules [--dir slo] [--out FILE]');
  let rules: string;
  try {
    rules = prometheusRules(readSlos(parsed.values.dir));
  } catch (error) {
    if (error instanceof SloError) throw new CliError(error.message);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`no SLO directory ${parsed.values.dir}`);
    throw error;
  }
  if (parsed.values.out === undefined) process.stdout.write(rules);
  else writeFileSync(parsed.values.out, rules);
  await Promise.resolve();
}
