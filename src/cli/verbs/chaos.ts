import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openMessaging } from '../../engines/index.js';
import type * as ChaosKit from '../../ops/chaos/index.js';
import type {
  Endpoint,
  Experiment,
  FaultSpec,
  Hypothesis,
  Journal,
  JournalStep,
  RunningLoad,
} from '../../ops/chaos/index.js';
import { seededRandom } from '../../ops/seeded-random.js';
import { table } from '../../ops/text-table.js';
import { adminToken, createLogger, EVENT, startTelemetry, type Config, type Logger } from '../../runtime/index.js';
import { consoleExportEnv, withInstanceId } from '../up-console.js';
import { CliError, defineVerb, duration, text, toggle, whole, type OptionValues, type Verb } from '../verb.js';

/*
 * `exodus chaos <fault>` and `exodus chaos run FILE`: faults injected into the `exodus up` running on
 * `--data` (engines as for every verb), with the steady-state hypothesis checked before, during and
 * after, every change undone on any exit (Ctrl-C included), and a journal written to `--out`. Exit 0
 * when the hypothesis held, 1 when it did not. `exodus chaos proxy` puts a TCP fault proxy in front
 * of the store or the broker for the network faults.
 */

/**
 * The chaos kit (faults, proxies, the experiment runner) loads when a chaos verb runs: every command
 * builds its help from these verbs, and `exodus serve worker` should not carry it.
 */
const loadKit = (): Promise<typeof ChaosKit> => import('../../ops/chaos/index.js');
type Kit = typeof ChaosKit;

/** What every experiment takes: where its journal goes and what the hypothesis allows. */
const hypothesisOptions = {
  out: text('--out <dir>', 'where the journal goes', { fallback: 'chaos-results/<experiment>-<time>' }),
  recoverWithin: duration('--recover-within <d>', 'every process must run again within this after the faults', {
    fallback: '30s',
  }),
  drainWithin: duration('--drain-within <d>', "the queues' backlog must drain within this after the faults", {
    fallback: '60s',
  }),
  seed: whole(
    '--seed <n>',
    'which process a kill picks (same seed, same victims)',
    { min: 0 },
    { fallback: 'the time' },
  ),
};
type HypothesisValues = OptionValues<typeof hypothesisOptions>;

// Checked against what the `exodus up` runs, so a typo is told what does.
const service = text('--service <name>', 'frontend, parser, worker, tally or console', { required: true });
const proxyName = text('--to <name>', 'the proxy: store or broker, as named when started', { required: true });
const forRequired = duration('--for <d>', 'how long', { required: true });

/** A fault as a one-step experiment with the default hypothesis (and the user's bounds). */
function oneFault(kit: Kit, spec: FaultSpec, options: HypothesisValues): Experiment {
  return {
    name: spec.kind,
    description: kit.describeFault(spec),
    hypothesis: withBounds(kit.DEFAULT_HYPOTHESIS, options),
    load: undefined,
    faults: [{ atMs: 0, spec }],
  };
}

/** The hypothesis with `--recover-within` and `--drain-within` where given. */
function withBounds(hypothesis: Hypothesis, options: HypothesisValues): Hypothesis {
  return {
    ...hypothesis,
    ...(options.recoverWithin === undefined ? {} : { recoverWithinMs: options.recoverWithin }),
    ...(options.drainWithin === undefined ? {} : { drainWithinMs: options.drainWithin }),
  };
}

const chaos = (what: string, example: string) => ({
  needsData: true,
  settings: 'engines' as const,
  examples: [`exodus chaos ${what} ${example} --data .exodus`],
});

export const chaosVerbs: readonly Verb[] = [
  defineVerb({
    path: ['chaos', 'kill'],
    summary: 'kill -9 a process of a service, once or every D for D; the hypothesis checked, a journal written',
    options: {
      service,
      every: duration('--every <d>', 'kill again this often (with --for)', { positive: true }),
      for: duration('--for <d>', 'for this long (with --every)', { positive: true }),
      ...hypothesisOptions,
    },
    ...chaos('kill', '--service worker --every 3s --for 30s'),
    run: async ({ options, config }) => {
      const { every, for: forMs } = options;
      if ((every === undefined) !== (forMs === undefined))
        throw new CliError('chaos kill takes --every and --for together (or neither: once)');
      const spec: FaultSpec =
        every === undefined || forMs === undefined
          ? { kind: 'kill', service: options.service }
          : { kind: 'kill', service: options.service, everyMs: every, forMs };
      await runChaos((kit) => oneFault(kit, spec, options), options, config());
    },
  }),
  defineVerb({
    path: ['chaos', 'pause'],
    summary: 'SIGSTOP a process of a service for D, then SIGCONT (a hung consumer)',
    options: { service, for: forRequired, ...hypothesisOptions },
    ...chaos('pause', '--service tally --for 20s'),
    run: async ({ options, config }) =>
      runChaos(
        (kit) => oneFault(kit, { kind: 'pause', service: options.service, forMs: options.for }, options),
        options,
        config(),
      ),
  }),
  defineVerb({
    path: ['chaos', 'store-outage'],
    summary: "make the store unavailable for D (PostgreSQL refuses connections; SQLite's store is locked)",
    options: { for: forRequired, ...hypothesisOptions },
    ...chaos('store-outage', '--for 15s --store postgres://127.0.0.1:5432/exodus'),
    run: async ({ options, config }) =>
      runChaos((kit) => oneFault(kit, { kind: 'store-outage', forMs: options.for }, options), options, config()),
  }),
  defineVerb({
    path: ['chaos', 'broker-restart'],
    summary: 'restart the NATS broker on this machine: lame-duck mode, or --abrupt (SIGKILL)',
    options: {
      abrupt: toggle('--abrupt', 'SIGKILL instead of lame-duck mode'),
      down: duration('--down <d>', 'how long it stays down', { default: '0s' }),
      ...hypothesisOptions,
    },
    ...chaos('broker-restart', '--queue nats://127.0.0.1:4222'),
    run: async ({ options, config }) =>
      runChaos(
        (kit) =>
          oneFault(kit, { kind: 'broker-restart', abrupt: options.abrupt === true, downMs: options.down }, options),
        options,
        config(),
      ),
  }),
  defineVerb({
    path: ['chaos', 'poison'],
    summary: 'send messages no parser can read to the intake queue: each must be dead-lettered, nothing else',
    options: { count: whole('--count <n>', 'how many', { min: 1 }, { required: true }), ...hypothesisOptions },
    ...chaos('poison', '--count 10'),
    run: async ({ options, config }) =>
      runChaos((kit) => oneFault(kit, { kind: 'poison', count: options.count }, options), options, config()),
  }),
  defineVerb({
    path: ['chaos', 'latency'],
    summary: 'hold every packet through a fault proxy (exodus chaos proxy) this long, both ways',
    options: {
      to: proxyName,
      ms: whole('--ms <n>', 'milliseconds added', { min: 1 }, { required: true }),
      for: forRequired,
      ...hypothesisOptions,
    },
    ...chaos('latency', '--to store --ms 200 --for 30s'),
    run: async ({ options, config }) =>
      runChaos(
        (kit) =>
          oneFault(
            kit,
            { kind: 'network', to: options.to, fault: { kind: 'latency', ms: options.ms }, forMs: options.for },
            options,
          ),
        options,
        config(),
      ),
  }),
  ...(['drop', 'reset'] as const).map((what) =>
    defineVerb({
      path: ['chaos', what],
      summary:
        what === 'drop'
          ? 'black-hole the traffic through a fault proxy: nothing passes, nothing is said'
          : 'reset every connection through a fault proxy, open or new',
      options: { to: proxyName, for: forRequired, ...hypothesisOptions },
      ...chaos(what, '--to broker --for 10s'),
      run: async ({ options, config }) =>
        runChaos(
          (kit) =>
            oneFault(kit, { kind: 'network', to: options.to, fault: { kind: what }, forMs: options.for }, options),
          options,
          config(),
        ),
    }),
  ),
  defineVerb({
    path: ['chaos', 'proxy'],
    summary: 'a TCP fault proxy in front of the store or the broker, until Ctrl-C: point the system at --listen',
    options: {
      name: text('--name <name>', 'how latency, drop and reset find it: store or broker', { required: true }),
      listen: text('--listen <host:port>', 'where the system connects instead', { required: true }),
      to: text('--to <host:port>', 'the real store or broker', { required: true }),
    },
    needsData: true,
    settings: 'engines',
    examples: [
      'exodus chaos proxy --name store --listen 127.0.0.1:15432 --to 127.0.0.1:5432 --data .exodus',
      '  then: exodus up --data .exodus --store postgres://127.0.0.1:15432/exodus',
    ],
    run: async ({ options, config }) => {
      if (!/^[a-z][a-z0-9-]{0,31}$/.test(options.name))
        throw new CliError(`--name is a short lowercase name such as store or broker, got "${options.name}"`);
      const { parseEndpoint, runFaultProxy } = await loadKit();
      const endpoint = (flag: string, value: string): Endpoint =>
        parseEndpoint(value) ?? fail(`${flag} takes host:port, got "${value}"`);
      const running = await runFaultProxy({
        dataDir: config().dataDir,
        name: options.name,
        listen: endpoint('--listen', options.listen),
        upstream: endpoint('--to', options.to),
        onFault: (fault) =>
          console.log(
            `${new Date().toISOString()} ${fault === undefined ? 'passing traffic through' : `fault on: ${JSON.stringify(fault)}`}`,
          ),
      });
      const { listen, upstream } = running.record;
      console.log(
        `fault proxy ${options.name}: ${listen.host}:${listen.port} → ${upstream.host}:${upstream.port} (Ctrl-C stops it)`,
      );
      await new Promise<void>((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await running.close();
    },
  }),
  defineVerb({
    path: ['chaos', 'run'],
    summary: 'an experiment: faults at times, a hypothesis, and a load to run them against',
    args: '<name|file>',
    options: {
      roster: text('--roster <file>', "the load's evacuees (when the experiment has a load)"),
      ...hypothesisOptions,
    },
    needsData: true,
    settings: 'engines',
    examples: [
      'exodus chaos run workers-killed --roster roster.csv --data .exodus',
      'exodus chaos run my-experiment.yaml --roster roster.csv --data .exodus',
    ],
    run: async ({ options, positionals: [file = ''], config }) => {
      await runChaos(
        (kit) => {
          const read = kit.readExperimentNamed(file);
          return { ...read, hypothesis: withBounds(read.hypothesis, options) };
        },
        options,
        config(),
        options.roster,
      );
    },
  }),
];

function fail(message: string): never {
  throw new CliError(message);
}

/** Runs an experiment against the `exodus up` on the data dir, to its journal (exit 1 when the hypothesis broke). */
async function runChaos(
  experimentOf: (kit: Kit) => Experiment,
  options: HypothesisValues,
  config: Config,
  roster?: string,
): Promise<void> {
  const kit = await loadKit();
  const experiment = experimentOf(kit);
  if (experiment.load !== undefined && roster === undefined)
    throw new CliError(`experiment ${experiment.name} runs a load: give its evacuees with --roster FILE`);
  const state = readStateOrFail(kit, config.dataDir);
  requireKnownServices(kit, experiment, state, config.dataDir);
  const doorUrl = state.endpoints['web'];
  if (doorUrl === undefined) throw new CliError(`the exodus up on ${config.dataDir} names no web endpoint`);
  const out = resolve(
    options.out ?? join('chaos-results', `${experiment.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  );
  mkdirSync(out, { recursive: true });

  // Faults go to the console as events when it runs (and the user did not send telemetry elsewhere).
  const consoleUrl = state.endpoints['console'];
  if (consoleUrl !== undefined)
    Object.assign(process.env, consoleExportEnv(consoleUrl, adminToken(config.dataDir), process.env));
  process.env['OTEL_RESOURCE_ATTRIBUTES'] = withInstanceId(
    process.env['OTEL_RESOURCE_ATTRIBUTES'],
    `chaos-${process.pid}`,
  );
  const telemetry = startTelemetry('exodus-chaos', { logLines: createWriteStream(join(out, 'chaos.log')) });
  const logger = createLogger('chaos', 'info', telemetry.logDestination);

  const stop = new AbortController();
  const onSignal = (): void => {
    console.error('\nstopping: undoing every fault, then writing the journal (Ctrl-C again to leave at once)');
    stop.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const messaging = await openMessaging(config.queueUrl, config);
  let journal: Journal;
  try {
    journal = await kit.runExperiment(experiment, {
      doorUrl,
      messaging,
      signal: stop.signal,
      faults: {
        dataDir: config.dataDir,
        queueUrl: config.queueUrl,
        storeUrl: config.storeUrl,
        engineOptions: config,
        outDir: out,
        random: seededRandom(options.seed ?? Date.now()),
      },
      onStep: (step) => {
        report(step, logger);
        if (step.action === 'fault started')
          kit.logFaultStart(config.dataDir, { atMs: Date.now(), label: String(step.detail['what']) });
      },
      ...(experiment.load === undefined || roster === undefined
        ? {}
        : { startLoad: () => startLoad(experiment, { config, doorUrl, roster, out, signal: stop.signal }) }),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await messaging.close();
    await telemetry.shutdown();
  }
  const file = join(out, 'journal.json');
  writeFileSync(file, JSON.stringify(journal, null, 2) + '\n');
  console.log(describeJournal(kit, journal));
  console.log(`\njournal: ${file}`);
  if (journal.verdict !== 'hypothesis held') process.exitCode = 1;
}

function readStateOrFail(kit: Kit, dataDir: string): ReturnType<Kit['readSupervisorState']> {
  try {
    return kit.readSupervisorState(dataDir);
  } catch (error) {
    throw new CliError(
      `${error instanceof Error ? error.message : String(error)}: start it with exodus up --data ${dataDir}, or point --data at it`,
    );
  }
}

/** A fault aimed at a service this `exodus up` does not run (`--service wroker`) is a usage error, found before anything is done or written. */
function requireKnownServices(
  { hostOf, describeServices }: Kit,
  experiment: Experiment,
  state: ReturnType<Kit['readSupervisorState']>,
  dataDir: string,
): void {
  const known = [...new Set(state.processes.map((p) => p.service))];
  for (const { spec } of experiment.faults) {
    if ((spec.kind === 'kill' || spec.kind === 'pause') && hostOf(known, spec.service) === undefined) {
      throw new CliError(
        `no service "${spec.service}" in the exodus up on ${dataDir}; it runs ${describeServices(known)}`,
      );
    }
  }
}

/** The experiment's load, run beside its faults: the faults become marks on the load's time axis. */
function startLoad(
  experiment: Experiment,
  options: { config: Config; doorUrl: string; roster: string; out: string; signal: AbortSignal },
): RunningLoad {
  const spec = experiment.load;
  if (spec === undefined) throw new Error('no load in this experiment');
  const pending: string[] = [];
  let mark = (label: string): void => void pending.push(label);
  const done = import('../../ops/load/index.js').then(async ({ readRosterFile, readScenario, runLoad, summary }) => {
    const scenario = readScenario(spec.scenario);
    const { report, files } = await runLoad({
      target: options.doorUrl,
      scenario,
      roster: readRosterFile(options.roster),
      rate: spec.rate,
      durationMs: spec.durationMs,
      connections: scenario.connections,
      seed: 1,
      out: join(options.out, 'load'),
      engines: options.config,
      auditWaitMs: experiment.hypothesis.drainWithinMs,
      signal: options.signal,
      progress: false,
      onRun: (run) => {
        mark = (label) => run.mark(label);
        pending.splice(0).forEach(mark);
      },
    });
    return { pass: report.pass, summary: summary(report), report: files.html };
  });
  return { mark: (label) => mark(label), done };
}

/** A step on the terminal, and in the console (faults as events). */
function report(step: JournalStep, logger: Logger): void {
  const detail = Object.entries(step.detail)
    .filter(([key]) => key !== 'ids' && key !== 'summary')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  console.error(`[${(step.atMs / 1000).toFixed(1).padStart(6)} s] ${step.action}${detail === '' ? '' : `: ${detail}`}`);
  const isFault = step.action === 'fault started' || step.action === 'fault ended' || step.action === 'fault failed';
  logger.info(
    {
      ...(isFault ? { event: EVENT.chaosFault, phase: step.action.replace('fault ', '') } : {}),
      ...step.detail,
      atMs: step.atMs,
    },
    step.action,
  );
}

function describeJournal({ describeFault }: Kit, journal: Journal): string {
  return [
    `${journal.verdict.toUpperCase()}: ${journal.experiment.name} (${journal.experiment.faults.map((f) => describeFault(f.spec)).join('; ')})`,
    '',
    table(
      ['phase', 'check', 'ok', 'detail'],
      journal.checks.map((c) => [c.phase, c.name, c.ok ? 'yes' : 'NO', c.detail]),
    ),
    ...(journal.load === undefined ? [] : ['', journal.load.summary, `load report: ${journal.load.report}`]),
  ].join('\n');
}
