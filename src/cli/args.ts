import { CONFIG_FLAG_NAMES, loadConfig, type Config } from '../runtime/index.js';

/** A usage or input error: the CLI prints it as one line and exits 2. */
export class CliError extends Error {}

/** A verb's flags by long name (`valid-days`, `no-console`), as given; absent ones are undefined. */
export type Flags = Readonly<Record<string, string | boolean | undefined>>;

/** What a verb gets from the command line, parsed and checked by the program (program.ts). */
export interface VerbInput {
  readonly flags: Flags;
  readonly positionals: readonly string[];
  /** The settings (engines, data dir, limits) from these flags and the environment; a bad one throws ConfigError. */
  readonly config: () => Config;
}

export type Verb = (input: VerbInput) => Promise<void>;

/**
 * The settings from a verb's flags and the environment. A verb's own flag wins over a setting of the
 * same name (`dlq --queue NAME` names a queue, not an engine URL; the engine then comes from
 * `EXODUS_QUEUE` or the data dir), so those are left out here.
 */
export function configOf(flags: Flags, own: readonly string[] = []): Config {
  const settings = Object.fromEntries(
    Object.entries(flags).filter(
      ([name, value]) => typeof value === 'string' && !own.includes(name) && CONFIG_FLAG_NAMES.includes(name),
    ),
  );
  return loadConfig(settings);
}

export function requireString(flags: Flags, name: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || value === '') throw new CliError(`--${name} is required`);
  return value;
}
