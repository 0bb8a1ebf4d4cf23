import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { engineUrlShapes } from '../engines/registry.js';
import { CONFIG_FLAG_NAMES, loadConfig, packageVersion, SETTINGS, type Config } from '../runtime/index.js';
import { CliError, flagName, type AnyVerb, type OptionSpec } from './verb.js';
import { GROUPS, VERBS } from './verbs/index.js';

/** The settings `engines` verbs list in their help; they accept every other one too. */
const ENGINE_SETTINGS = ['data', 'queue', 'store'];

/** The command line: every verb and sub-verb with its `--help` (flags, defaults, examples), `--version`, and suggestions for mistakes. */
export function buildProgram(): Command {
  const version = packageVersion();
  const program = new Command('exodus')
    .description("collects, screens and preserves the last wishes of Earth's evacuees")
    .version(version, '-v, --version')
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      '\nEvery setting flag also reads an environment variable (EXODUS_<NAME>); flags win. See README.md.',
    );
  for (const spec of VERBS) addVerb(program, spec);
  return program;
}

function addVerb(program: Command, spec: AnyVerb): void {
  let parent = program;
  for (const name of spec.path.slice(0, -1))
    parent = parent.commands.find((c) => c.name() === name) ?? parent.command(name).description(GROUPS[name] ?? name);
  const name = spec.path.at(-1) ?? spec.path[0];
  const command = parent.command(spec.args === undefined ? name : `${name} ${spec.args}`).description(spec.summary);
  const options = Object.entries(spec.options);
  const own = options.map(([, option]) => longName(option.flags));
  const made = new Map<string, Option>();
  for (const [key, option] of options) {
    const shown = option.default ?? option.fallback;
    const commanderOption = new Option(
      option.flags,
      shown === undefined ? option.help : `${option.help} (default: ${shown})`,
    );
    // A value that does not parse is a usage error naming the flag, thrown as the line is read.
    if (option.parse !== undefined) commanderOption.argParser((text: string) => option.parse?.(text));
    command.addOption(commanderOption);
    made.set(key, commanderOption);
  }
  for (const setting of SETTINGS) {
    if (own.includes(setting.flag) || spec.settings === 'none') continue;
    const settingOption = new Option(`--${setting.flag} <value>`, `${helpOf(setting)} [env ${setting.env}]`);
    if (spec.settings === 'engines' && !ENGINE_SETTINGS.includes(setting.flag)) settingOption.hideHelp();
    command.addOption(settingOption);
  }
  command.addHelpText(
    'after',
    `\nExample${spec.examples.length > 1 ? 's' : ''}:\n${spec.examples.map((e) => `  ${e}`).join('\n')}${spec.settings === 'engines' ? '\n\nEvery setting of exodus up --help is accepted too.' : ''}`,
  );
  command.action(async (...received: unknown[]) => {
    const used = received.at(-1) as Command;
    const given = used.opts<Record<string, unknown>>();
    const values: Record<string, unknown> = {};
    for (const [key, option] of options) {
      const value = valueOf(option, made.get(key), given);
      // Checked here rather than by commander, which would report a missing flag before a mistyped one.
      if (value === undefined && option.required === true)
        throw new CliError(`${flagName(option.flags)} is required (exodus ${spec.path.join(' ')} --help)`);
      values[key] = value;
    }
    const settings: Record<string, string> = {};
    for (const option of used.options) {
      const name = option.long?.slice(2) ?? '';
      const value = given[option.attributeName()];
      if (CONFIG_FLAG_NAMES.includes(name) && !own.includes(name) && typeof value === 'string') settings[name] = value;
    }
    const config = (): Config => loadConfig(settings);
    if (spec.needsData === true) await requireData(config());
    await spec.run({ options: values, positionals: used.args, settings, config });
  });
}

/** An option's value: parsed as given, its default parsed when not given; a switch is true when given. */
function valueOf(option: OptionSpec<unknown>, made: Option | undefined, given: Record<string, unknown>): unknown {
  const value = made === undefined ? undefined : given[made.attributeName()];
  if (option.parse === undefined)
    return made?.negate === true ? value === false || undefined : value === true || undefined;
  if (value !== undefined) return value;
  return option.default === undefined ? undefined : option.parse(option.default);
}

/** A usage error when an embedded engine's dir does not exist: nothing runs there, and a read-only verb must not make it. */
async function requireData(config: Config): Promise<void> {
  // Loaded here, not at the top: `exodus serve console` and the others need no engine code to start.
  const { embeddedDir } = await import('../engines/index.js');
  for (const url of [config.queueUrl, config.storeUrl]) {
    const dir = await embeddedDir(url);
    if (dir !== undefined && !existsSync(dir))
      throw new CliError(`no Exodus data in ${dir} (exodus up makes it; --data or EXODUS_DATA names another)`);
  }
}

/** A setting's help; the engine URLs list the shapes the engine registry knows, so a new engine shows up by itself. */
function helpOf(setting: { readonly flag: string; readonly help: string }): string {
  return setting.flag === 'queue' || setting.flag === 'store'
    ? `${setting.help}; known: ${engineUrlShapes(setting.flag).join(', ')}`
    : setting.help;
}

/** `--valid-days <d>` → `valid-days`; `--no-console` → `no-console`. */
function longName(flags: string): string {
  return /--([a-z0-9-]+)/.exec(flags)?.[1] ?? flags;
}
