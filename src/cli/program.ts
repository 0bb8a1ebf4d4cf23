import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { engineUrlShapes } from '../engines/registry.js';
import { packageVersion, SETTINGS, type Config } from '../runtime/index.js';
import { CliError, configOf, type Verb, type VerbInput } from './args.js';

/**
 * A verb whose code is loaded when it runs: `exodus serve worker` does not load the load generator,
 * the console, chaos or the supervisor (measured: every verb loaded at once cost each process ~35 MB
 * of memory and 0.4 s of CPU at start).
 */
function lazily<M>(load: () => Promise<M>, pick: (module: M) => Verb): Verb {
  return async (input: VerbInput) => pick(await load())(input);
}

const upCommand = lazily(
  () => import('./up.js'),
  (m) => m.upCommand,
);
const serveCommand = lazily(
  () => import('./serve.js'),
  (m) => m.serveCommand,
);
const rosterCommand = lazily(
  () => import('./roster.js'),
  (m) => m.rosterCommand,
);
const statusCommand = lazily(
  () => import('./status.js'),
  (m) => m.statusCommand,
);
const dlqCommand = lazily(
  () => import('./dlq.js'),
  (m) => m.dlqCommand,
);
const migrateCommand = lazily(
  () => import('./migrate.js'),
  (m) => m.migrateCommand,
);
const auditCommand = lazily(
  () => import('./audit.js'),
  (m) => m.auditCommand,
);
const sloCommand = lazily(
  () => import('./slo.js'),
  (m) => m.sloCommand,
);
const loadCommand = lazily(
  () => import('./load.js'),
  (m) => m.loadCommand,
);
const chaosCommand = lazily(
  () => import('./chaos.js'),
  (m) => m.chaosCommand,
);
const chaosProxyCommand = lazily(
  () => import('./chaos.js'),
  (m) => m.chaosProxyCommand,
);

/** One of a verb's own options: commander's flags syntax (`--count <n>`), what it means, its default. */
interface OptionSpec {
  readonly flags: string;
  readonly help: string;
  readonly fallback?: string;
  readonly required?: boolean;
}

/**
 * Which settings (engines, data dir, limits; every one also an EXODUS_* variable) a verb shows in
 * its help: `all` (up, serve), `engines` (--data, --queue, --store; the rest accepted, not listed),
 * or `none` (the verb uses no engine).
 */
type Settings = 'all' | 'engines' | 'none';

/** A verb (or sub-verb) as data: the program is built from this table. */
interface VerbSpec {
  readonly path: readonly [string, ...string[]];
  readonly summary: string;
  /** Positional arguments, commander syntax: `<service>`, `[file]`. */
  readonly args?: string;
  readonly options?: readonly OptionSpec[];
  readonly settings: Settings;
  readonly examples: readonly string[];
  readonly run: Verb;
  /** The sub-verb's name goes first in the positionals (verbs that share one implementation). */
  readonly subVerbFirst?: boolean;
  /**
   * The verb works on an existing system and never creates one: with the embedded engines, a data
   * dir that does not exist (a typo) is a usage error, not a new empty system.
   */
  readonly needsData?: boolean;
}

const ENGINE_SETTINGS = ['data', 'queue', 'store'];

/** What the verbs with sub-verbs are about, for `exodus --help`. */
const GROUPS: Readonly<Record<string, string>> = {
  roster: 'the evacuees allowed to leave a wish: generate demo ones, import real ones',
  dlq: "a queue's dead letters: list, show, put back, drop",
  slo: 'the service level objectives in slo/',
  chaos: 'faults injected into a running exodus up, with a hypothesis checked and a journal',
};
const JSON_OPTION: OptionSpec = { flags: '--json', help: 'print JSON instead of tables' };
const HYPOTHESIS_OPTIONS: readonly OptionSpec[] = [
  { flags: '--out <dir>', help: 'where the journal goes', fallback: 'chaos-results/<experiment>-<time>' },
  { flags: '--recover-within <d>', help: 'every process must run again within this after the faults', fallback: '30s' },
  { flags: '--drain-within <d>', help: "the queues' backlog must drain within this after the faults", fallback: '60s' },
  { flags: '--seed <n>', help: 'which process a kill picks (same seed, same victims)', fallback: 'the time' },
];

const VERBS: readonly VerbSpec[] = [
  {
    path: ['up'],
    summary: 'run everything on this machine: the console, frontend, parser, worker and tally as supervised processes',
    options: [
      {
        flags: '--replicas <list>',
        help: 'processes per consumer, service=count pairs',
        fallback: 'parser=1,worker=2,tally=1',
      },
      { flags: '--no-console', help: 'run without the ops console' },
      {
        flags: '--no-demo',
        help: 'on a first start, do not make demo evacuees (by default ten, one pass printed to try the page)',
      },
      {
        flags: '--drain-timeout <d>',
        help: 'on Ctrl-C, how long the consumers may work on what is queued before they stop (it stays queued, safe)',
        fallback: '30s',
      },
    ],
    settings: 'all',
    examples: [
      'exodus up',
      'exodus up --data /var/lib/exodus --replicas parser=1,worker=2,tally=1',
      'exodus up --queue nats://127.0.0.1:4222 --store postgres://127.0.0.1:5432/exodus',
    ],
    run: upCommand,
  },
  {
    path: ['serve'],
    summary: 'run one service in this process (what a container runs)',
    args: '<service>',
    settings: 'all',
    examples: [
      'exodus serve frontend --port 8080',
      'exodus serve worker --health-port 9101 --queue nats://nats:4222 --store postgres://db/exodus',
      'exodus serve console',
    ],
    run: serveCommand,
  },
  {
    path: ['roster', 'generate'],
    summary: 'make demo evacuees with boarding passes (CSV: evacuee_id,name,boarding_pass)',
    options: [
      { flags: '--count <n>', help: 'how many evacuees', required: true },
      { flags: '--out <file>', help: 'where the CSV goes (readable by its owner only)', required: true },
      { flags: '--valid-days <d>', help: 'days the passes are valid', fallback: '30' },
    ],
    settings: 'engines',
    examples: ['exodus roster generate --data .exodus --count 10 --out roster.csv'],
    run: rosterCommand,
    subVerbFirst: true,
  },
  {
    path: ['roster', 'import'],
    summary: 'register a real roster (CSV with evacuee_id,name; errors name the line)',
    args: '<file>',
    options: [
      { flags: '--out <file>', help: 'also write their boarding passes here' },
      { flags: '--valid-days <d>', help: 'days the passes are valid', fallback: '30' },
    ],
    settings: 'engines',
    examples: ['exodus roster import evacuees.csv --out passes.csv'],
    run: rosterCommand,
    subVerbFirst: true,
  },
  {
    path: ['status'],
    needsData: true,
    summary: 'processes, restarts, metrics addresses and each queue: ready, in flight, dead, oldest',
    options: [JSON_OPTION],
    settings: 'engines',
    examples: ['exodus status --data .exodus'],
    run: statusCommand,
  },
  ...(['list', 'show', 'redrive', 'purge'] as const).map((action): VerbSpec => ({
    path: ['dlq', action],
    needsData: true,
    summary: {
      list: 'list the dead letters of a queue, with their last error',
      show: 'show one dead letter whole',
      redrive: 'put dead letters back in their queue, intact, with a fresh attempt count',
      purge: 'drop dead letters',
    }[action],
    options: [
      {
        flags: '--queue <name>',
        help: 'the queue: intake, store or tally (the engine then comes from --data or EXODUS_QUEUE)',
        required: true,
      },
      {
        flags: '--id <id>',
        help: action === 'list' ? 'ignored' : 'one message (default: all)',
        required: action === 'show',
      },
      ...(action === 'list' ? [{ flags: '--limit <n>', help: 'at most this many', fallback: '50' }, JSON_OPTION] : []),
    ],
    settings: 'engines',
    examples: [`exodus dlq ${action} --data .exodus --queue intake${action === 'show' ? ' --id 01a2…accepted' : ''}`],
    run: dlqCommand,
    subVerbFirst: true,
  })),
  {
    path: ['migrate'],
    summary: "bring a PostgreSQL store's schema up to date ahead of a deploy",
    settings: 'engines',
    examples: ['exodus migrate --store postgres://127.0.0.1:5432/exodus'],
    run: migrateCommand,
  },
  {
    path: ['audit'],
    needsData: true,
    summary: 'account for every accepted wish in a ledger: stored, superseded or rejected; tally = store = wall',
    options: [
      {
        flags: '--ledger <file>',
        help: 'ledger.ndjson: one {id, evacueeId, destination, submittedAt} per 202',
        required: true,
      },
      {
        flags: '--wait <d>',
        help: 'give a draining pipeline this long before a missing wish counts as lost',
        fallback: '0s',
      },
      JSON_OPTION,
    ],
    settings: 'engines',
    examples: ['exodus audit --ledger load-results/baseline-…/ledger.ndjson --data .exodus --wait 30s'],
    run: auditCommand,
  },
  {
    path: ['slo', 'rules'],
    summary: 'the SLOs (OpenSLO v1) as Prometheus recording rules and burn-rate alerts',
    options: [
      { flags: '--dir <dir>', help: 'the SLO documents', fallback: 'slo' },
      { flags: '--out <file>', help: 'write the rules here', fallback: 'stdout' },
    ],
    settings: 'none',
    examples: ['exodus slo rules --out deploy/prometheus/slo-rules.yaml'],
    run: sloCommand,
    subVerbFirst: true,
  },
  {
    path: ['load'],
    summary: 'open-model load in phases from a scenario; report, ledger, thresholds, and the audit given the engines',
    options: [
      { flags: '--target <url>', help: "the frontend's origin", required: true },
      { flags: '--roster <file>', help: 'the evacuees to speak for (exodus roster generate)', required: true },
      {
        flags: '--scenario <name|file>',
        help: 'baseline, overload, spike, soak, fault, or a scenario file',
        required: true,
      },
      { flags: '--rate <n>', help: "arrivals per second that the scenario's phases scale", fallback: "the scenario's" },
      { flags: '--duration <d>', help: 'stretch or shrink the phases to this', fallback: 'as written' },
      {
        flags: '--out <dir>',
        help: 'results.json, report.html, ledger.ndjson',
        fallback: 'load-results/<scenario>-<time>',
      },
      { flags: '--connections <n>', help: 'sockets the generator may open', fallback: "the scenario's (256)" },
      { flags: '--seed <n>', help: 'same seed, same traffic', fallback: '1' },
      {
        flags: '--audit-wait <d>',
        help: 'how long the audit after the load waits for a draining pipeline',
        fallback: '120s',
      },
    ],
    settings: 'engines',
    examples: [
      'exodus load --target http://127.0.0.1:3000 --roster roster.csv --scenario baseline --data .exodus',
      'exodus load --target http://127.0.0.1:3000 --roster roster.csv --scenario soak --duration 8h --data .exodus',
    ],
    run: loadCommand,
  },
  {
    needsData: true,
    path: ['chaos', 'kill'],
    summary: 'kill -9 a process of a service, once or every D for D; the hypothesis checked, a journal written',
    options: [
      { flags: '--service <name>', help: 'frontend, parser, worker, tally or console', required: true },
      { flags: '--every <d>', help: 'kill again this often (with --for)' },
      { flags: '--for <d>', help: 'for this long (with --every)' },
      ...HYPOTHESIS_OPTIONS,
    ],
    settings: 'engines',
    examples: ['exodus chaos kill --service worker --every 3s --for 30s --data .exodus'],
    run: chaosCommand,
    subVerbFirst: true,
  },
  {
    needsData: true,
    path: ['chaos', 'pause'],
    summary: 'SIGSTOP a process of a service for D, then SIGCONT (a hung consumer)',
    options: [
      { flags: '--service <name>', help: 'frontend, parser, worker, tally or console', required: true },
      { flags: '--for <d>', help: 'how long', required: true },
      ...HYPOTHESIS_OPTIONS,
    ],
    settings: 'engines',
    examples: ['exodus chaos pause --service tally --for 20s --data .exodus'],
    run: chaosCommand,
    subVerbFirst: true,
  },
  {
    needsData: true,
    path: ['chaos', 'store-outage'],
    summary: "make the store unavailable for D (PostgreSQL refuses connections; SQLite's store is locked)",
    options: [{ flags: '--for <d>', help: 'how long', required: true }, ...HYPOTHESIS_OPTIONS],
    settings: 'engines',
    examples: ['exodus chaos store-outage --for 15s --data .exodus --store postgres://127.0.0.1:5432/exodus'],
    run: chaosCommand,
    subVerbFirst: true,
  },
  {
    needsData: true,
    path: ['chaos', 'broker-restart'],
    summary: 'restart the NATS broker on this machine: lame-duck mode, or --abrupt (SIGKILL)',
    options: [
      { flags: '--abrupt', help: 'SIGKILL instead of lame-duck mode' },
      { flags: '--down <d>', help: 'how long it stays down', fallback: '0s' },
      ...HYPOTHESIS_OPTIONS,
    ],
    settings: 'engines',
    examples: ['exodus chaos broker-restart --data .exodus --queue nats://127.0.0.1:4222'],
    run: chaosCommand,
    subVerbFirst: true,
  },
  {
    needsData: true,
    path: ['chaos', 'poison'],
    summary: 'send messages no parser can read to the intake queue: each must be dead-lettered, nothing else',
    options: [{ flags: '--count <n>', help: 'how many', required: true }, ...HYPOTHESIS_OPTIONS],
    settings: 'engines',
    examples: ['exodus chaos poison --count 10 --data .exodus'],
    run: chaosCommand,
    subVerbFirst: true,
  },
  {
    needsData: true,
    path: ['chaos', 'latency'],
    summary: 'hold every packet through a fault proxy (exodus chaos proxy) this long, both ways',
    options: [
      { flags: '--to <name>', help: 'the proxy: store or broker, as named when started', required: true },
      { flags: '--ms <n>', help: 'milliseconds added', required: true },
      { flags: '--for <d>', help: 'how long', required: true },
      ...HYPOTHESIS_OPTIONS,
    ],
    settings: 'engines',
    examples: ['exodus chaos latency --to store --ms 200 --for 30s --data .exodus'],
    run: chaosCommand,
    subVerbFirst: true,
  },
  ...(['drop', 'reset'] as const).map((what): VerbSpec => ({
    needsData: true,
    path: ['chaos', what],
    summary:
      what === 'drop'
        ? 'black-hole the traffic through a fault proxy: nothing passes, nothing is said'
        : 'reset every connection through a fault proxy, open or new',
    options: [
      { flags: '--to <name>', help: 'the proxy: store or broker, as named when started', required: true },
      { flags: '--for <d>', help: 'how long', required: true },
      ...HYPOTHESIS_OPTIONS,
    ],
    settings: 'engines',
    examples: [`exodus chaos ${what} --to broker --for 10s --data .exodus`],
    run: chaosCommand,
    subVerbFirst: true,
  })),
  {
    needsData: true,
    path: ['chaos', 'proxy'],
    summary: 'a TCP fault proxy in front of the store or the broker, until Ctrl-C: point the system at --listen',
    options: [
      { flags: '--name <name>', help: 'how latency, drop and reset find it: store or broker', required: true },
      { flags: '--listen <host:port>', help: 'where the system connects instead', required: true },
      { flags: '--to <host:port>', help: 'the real store or broker', required: true },
    ],
    settings: 'engines',
    examples: [
      'exodus chaos proxy --name store --listen 127.0.0.1:15432 --to 127.0.0.1:5432 --data .exodus',
      '  then: exodus up --data .exodus --store postgres://127.0.0.1:15432/exodus',
    ],
    run: chaosProxyCommand,
  },
  {
    needsData: true,
    path: ['chaos', 'run'],
    summary: 'an experiment: faults at times, a hypothesis, and a load to run them against',
    args: '<name|file>',
    options: [
      { flags: '--roster <file>', help: "the load's evacuees (when the experiment has a load)" },
      ...HYPOTHESIS_OPTIONS,
    ],
    settings: 'engines',
    examples: [
      'exodus chaos run workers-killed --roster roster.csv --data .exodus',
      'exodus chaos run my-experiment.yaml --roster roster.csv --data .exodus',
    ],
    run: chaosCommand,
    subVerbFirst: true,
  },
];

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

function addVerb(program: Command, spec: VerbSpec): void {
  let parent = program;
  for (const name of spec.path.slice(0, -1))
    parent = parent.commands.find((c) => c.name() === name) ?? parent.command(name).description(GROUPS[name] ?? name);
  const name = spec.path.at(-1) ?? spec.path[0];
  const command = parent.command(spec.args === undefined ? name : `${name} ${spec.args}`).description(spec.summary);
  const own = (spec.options ?? []).map((option) => longName(option.flags));
  for (const option of spec.options ?? []) {
    const made = new Option(
      option.flags,
      option.fallback === undefined ? option.help : `${option.help} (default: ${option.fallback})`,
    );
    command.addOption(made);
  }
  for (const setting of SETTINGS) {
    if (own.includes(setting.flag) || spec.settings === 'none') continue;
    const made = new Option(`--${setting.flag} <value>`, `${helpOf(setting)} [env ${setting.env}]`);
    if (spec.settings === 'engines' && !ENGINE_SETTINGS.includes(setting.flag)) made.hideHelp();
    command.addOption(made);
  }
  command.addHelpText(
    'after',
    `\nExample${spec.examples.length > 1 ? 's' : ''}:\n${spec.examples.map((e) => `  ${e}`).join('\n')}${spec.settings === 'engines' ? '\n\nEvery setting of exodus up --help is accepted too.' : ''}`,
  );
  command.action(async (...received: unknown[]) => {
    const used = received.at(-1) as Command;
    const options = used.opts<Record<string, unknown>>();
    const flags: Record<string, string | boolean | undefined> = {};
    for (const option of used.options) {
      const value = options[option.attributeName()];
      if (option.negate) flags[option.long?.slice(2) ?? ''] = value === false ? true : undefined;
      else if (typeof value === 'string' || typeof value === 'boolean') flags[option.long?.slice(2) ?? ''] = value;
    }
    // Checked here rather than by commander, which would report a missing flag before a mistyped one.
    const missing = (spec.options ?? []).find(
      (option) => option.required === true && flags[longName(option.flags)] === undefined,
    );
    if (missing !== undefined)
      throw new CliError(`--${longName(missing.flags)} is required (exodus ${spec.path.join(' ')} --help)`);
    const positionals = [...(spec.subVerbFirst === true ? [name] : []), ...used.args];
    if (spec.needsData === true) await requireData(configOf(flags, own));
    await spec.run({ flags, positionals, config: () => configOf(flags, own) });
  });
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
