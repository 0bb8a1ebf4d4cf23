import { parseDurationMs, type Config } from '../runtime/index.js';

/** A usage or input error: the CLI prints it as one line and exits 2. */
export class CliError extends Error {}

/**
 * One of a verb's own options: commander's flags syntax (`--count <n>`, `--json`), what it means,
 * and how its text becomes a value. A value that does not parse is a usage error naming the flag.
 */
export interface OptionSpec<T> {
  readonly flags: string;
  readonly help: string;
  /** Turns the given text into the value; throws `CliError`. Absent: a switch (`--json`, `--no-demo`), true when given. */
  readonly parse?: (text: string) => T;
  /** The value when the flag is not given, as the user would write it (parsed, and shown in the help). */
  readonly default?: string;
  /** What happens when the flag is not given, said in words (help only; the verb decides it). */
  readonly fallback?: string;
  readonly required?: boolean;
}

type Options = Readonly<Record<string, OptionSpec<unknown>>>;

/** The options as the verb reads them: a required or defaulted one always has its value, the others may be undefined. */
export type OptionValues<O extends Options> = {
  readonly [K in keyof O]: O[K] extends OptionSpec<infer T>
    ? O[K] extends { readonly required: true } | { readonly default: string }
      ? T
      : T | undefined
    : never;
};

/** What a verb gets from the command line, parsed and checked by the program (program.ts). */
export interface VerbInput<O extends Options> {
  readonly options: OptionValues<O>;
  readonly positionals: readonly string[];
  /** The settings given as flags (`queue`, `data`, …, by name), as written: what `up` hands on to its processes. */
  readonly settings: Readonly<Record<string, string>>;
  /** The settings (engines, data dir, limits) from those flags and the environment; a bad one throws ConfigError. */
  readonly config: () => Config;
}

/**
 * Which settings (engines, data dir, limits; every one also an EXODUS_* variable) a verb shows in
 * its help: `all` (up, serve), `engines` (--data, --queue, --store; the rest accepted, not listed),
 * or `none` (the verb uses no engine).
 */
export type SettingsShown = 'all' | 'engines' | 'none';

/**
 * A verb (or sub-verb): its place in the command line, its help, its options with their types, and
 * what it does. The program is built from these, so every verb's module loads for every command:
 * a verb imports the files it uses (not a whole face), and what is heavy (the load generator, the
 * chaos kit, the console, YAML) inside `run`. `exodus serve worker` must not carry the others.
 */
export interface Verb<O extends Options = Options> {
  readonly path: readonly [string, ...string[]];
  readonly summary: string;
  /** Positional arguments, commander syntax: `<service>`, `[file]`. */
  readonly args?: string;
  readonly options: O;
  readonly settings: SettingsShown;
  readonly examples: readonly string[];
  /**
   * The verb works on an existing system and never creates one: with the embedded engines, a data
   * dir that does not exist (a typo) is a usage error, not a new empty system.
   */
  readonly needsData?: boolean;
  readonly run: (input: VerbInput<O>) => Promise<void>;
}

/** A verb as the program holds it, whatever its options. */
export type AnyVerb = Verb<Options>;

/** Declares a verb with its options' types checked against what `run` reads. */
export function defineVerb<const O extends Options>(verb: Verb<O>): AnyVerb {
  // The program hands `run` the values parsed by these very specs, so the narrower input is what it gets.
  return verb as unknown as AnyVerb;
}

// Option kinds. Each returns its spec with the caller's extras (`required`, `default`) kept literal,
// so `OptionValues` knows which are always there.

type Extras = Pick<OptionSpec<unknown>, 'default' | 'fallback' | 'required'>;

/** A switch: true when given (`--json`; `--no-demo` is true when given too). */
export const toggle = (flags: string, help: string): OptionSpec<boolean> => ({ flags, help });

/** Text as given; empty text is refused. */
export const text = <const E extends Extras>(
  flags: string,
  help: string,
  extras?: E,
): OptionSpec<string> & NoInfer<E> =>
  ({ flags, help, parse: (value: string) => nonEmpty(flags, value), ...extras }) as OptionSpec<string> & E;

/** A whole number from `min` to `max`. */
export const whole = <const E extends Extras>(
  flags: string,
  help: string,
  range: { readonly min: number; readonly max?: number },
  extras?: E,
): OptionSpec<number> & NoInfer<E> =>
  numeric(
    flags,
    help,
    (n) => Number.isInteger(n) && n >= range.min && n <= (range.max ?? Infinity),
    `a whole number ${range.max === undefined ? `≥ ${range.min}` : `from ${range.min} to ${range.max}`}`,
    extras,
  );

/** A number (fractions allowed) more than `above`, at most `max`. */
export const decimal = <const E extends Extras>(
  flags: string,
  help: string,
  range: { readonly above: number; readonly max?: number },
  extras?: E,
): OptionSpec<number> & NoInfer<E> =>
  numeric(
    flags,
    help,
    (n) => n > range.above && n <= (range.max ?? Infinity),
    `a number more than ${range.above}${range.max === undefined ? '' : ` and at most ${range.max}`}`,
    extras,
  );

function numeric<E extends Extras>(
  flags: string,
  help: string,
  fits: (n: number) => boolean,
  what: string,
  extras: E | undefined,
): OptionSpec<number> & E {
  const parse = (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || !fits(n))
      throw new CliError(`${flagName(flags)} takes ${what}, got "${value}"`);
    return n;
  };
  return { flags, help, parse, ...extras } as OptionSpec<number> & E;
}

/** A duration such as 30s, 500ms or 2m, in milliseconds; `positive` refuses 0. */
export const duration = <const E extends Extras>(
  flags: string,
  help: string,
  extras?: E & { readonly positive?: boolean },
): OptionSpec<number> & NoInfer<E> =>
  ({
    flags,
    help,
    parse: (value: string) => {
      const ms = parseDurationMs(value);
      if (ms === undefined || (extras?.positive === true && ms <= 0))
        throw new CliError(`${flagName(flags)} takes a duration such as 30s or 2m, got "${value}"`);
      return ms;
    },
    ...extras,
  }) as OptionSpec<number> & E;

/** One of a few words. */
export const oneOf = <const W extends string, const E extends Extras>(
  flags: string,
  help: string,
  words: readonly W[],
  extras?: E,
): OptionSpec<W> & NoInfer<E> =>
  ({
    flags,
    help,
    parse: (value: string) => {
      if (!words.includes(value as W)) throw new CliError(`${flagName(flags)} must be one of ${words.join(', ')}`);
      return value as W;
    },
    ...extras,
  }) as OptionSpec<W> & E;

/** `--valid-days <d>` → `--valid-days`. */
export function flagName(flags: string): string {
  return /--[a-z0-9-]+/.exec(flags)?.[0] ?? flags;
}

function nonEmpty(flags: string, value: string): string {
  if (value === '') throw new CliError(`${flagName(flags)} takes a value`);
  return value;
}
