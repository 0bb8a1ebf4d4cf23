import { parseArgs } from 'node:util';
import { CONFIG_FLAG_NAMES, loadConfig, type Config } from '../runtime/index.js';

/** A usage or input error: the CLI prints it as one line and exits 2. */
export class CliError extends Error {}

type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

const CONFIG_FLAGS: FlagSpec = Object.fromEntries(CONFIG_FLAG_NAMES.map((name) => [name, { type: 'string' as const }]));

/**
 * Parses a verb's arguments: the shared engine/config flags plus the verb's own. A verb's own flag
 * wins over a config flag of the same name (`dlq --queue NAME` names a queue, not an engine URL;
 * the engine then comes from `EXODUS_QUEUE` or the data dir).
 */
export function parseVerb(argv: readonly string[], own: FlagSpec = {}): { config: Config; flags: Record<string, string | boolean | undefined>; positionals: string[] } {
  const { flags, positionals } = parseFlags(argv, { ...CONFIG_FLAGS, ...own });
  const configFlags = Object.fromEntries(Object.entries(flags).filter(([name]) => !(name in own) && CONFIG_FLAG_NAMES.includes(name)));
  return { config: loadConfig(configFlags), flags, positionals };
}

/** A verb's own flags only (a verb that needs no engines or data dir); a bad one is a one-line CliError. */
export function parseFlags(argv: readonly string[], options: FlagSpec): { flags: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { flags: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    throw new CliError(error instanceof Error ? (error.message.split('\n')[0] ?? 'bad arguments') : 'bad arguments');
  }
}

export function requireString(flags: Record<string, string | boolean | undefined>, name: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || value === '') throw new CliError(`--${name} is required`);
  return value;
}
