import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openMessaging } from '../engines/index.js';
import {
  DEFAULT_HYPOTHESIS,
  describeFault,
  ExperimentError,
  logFaultStart,
  parseEndpoint,
  readExperiment,
  readSupervisorState,
  runExperiment,
  runFaultProxy,
  type Experiment,
  type FaultSpec,
  type Journal,
  type JournalStep,
  type RunningLoad,
} from '../ops/chaos/index.js';
import { seededRandom, yamlNamesIn } from '../ops/index.js';
import {
  adminToken,
  createLogger,
  EVENT,
  packageRoot,
  parseDurationMs,
  startTelemetry,
  type Config,
  type Logger,
} from '../runtime/index.js';
import { CliError, requireString, type Flags, type VerbInput } from './args.js';
import { rosterFrom, runLoad, scenarioFrom, summary } from './load.js';
import { table } from './status.js';
import { consoleExportEnv, withInstanceId } from './up-console.js';

/** Where the ready-made experiments are. */
const EXPERIMENT_DIR = (): string => join(packageRoot(), 'scenarios', 'chaos');

/**
 * `exodus chaos <fault>` and `exodus chaos run FILE`: faults injected into the `exodus up` running on
 * `--data` (engines as for every verb), with the steady-state hypothesis checked before, during and
 * after, every change undone on any exit (Ctrl-C included), and a journal written to `--out`. Exit 0
 * when the hypothesis held, 1 when it did not.
 */
export async function chaosCommand({ flags, positionals, config: settings }: VerbInput): Promise<void> {
  const config = settings();
  const experiment = experimentFrom(positionals, flags);
  if (experiment.load !== undefined && typeof flags['roster'] !== 'string')
    throw new CliError(`experiment ${experiment.name} runs a load: give its evacuees with --roster FILE`);
  const state = readStateOrFail(config.dataDir);
  requireKnownServices(experiment, state, config.dataDir);
  const doorUrl = state.endpoints['web'];
  if (doorUrl === undefined) throw new CliError(`the exodus up on ${config.dataDir} names no web endpoint`);
  const out = resolve(
    typeof flags['out'] === 'string'
      ? flags['out']
      : join('chaos-results', `${experiment.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`),
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
  const seed = typeof flags['seed'] === 'string' ? Number(flags['seed']) : Date.now();
  let journal: Journal;
  try {
    journal = await runExperiment(experiment, {
      doorUrl,
      messaging,
      signal: stop.signal,
      faults: {
        dataDir: config.dataDir,
        queueUrl: config.queueUrl,
        storeUrl: config.storeUrl,
        engineOptions: config,
        outDir: out,
        random: seededRandom(seed),
      },
      onStep: (step) => {
        report(step, logger);
        if (step.action === 'fault started')
          logFaultStart(config.dataDir, { atMs: Date.now(), label: String(step.detail['what']) });
      },
      ...(experiment.load === undefined
        ? {}
        : {
            startLoad: () =>
              startLoad(experiment, { config, doorUrl, roster: String(flags['roster']), out, signal: stop.signal }),
          }),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await messaging.close();
    await telemetry.shutdown();
  }
  const file = join(out, 'journal.json');
  writeFileSync(file, JSON.stringify(journal, null, 2) + '\n');
  console.log(describeJournal(journal));
  console.log(`\njournal: ${file}`);
  if (journal.verdict !== 'hypothesis held') process.exitCode = 1;
}

function experimentFrom(positionals: readonly string[], flags: Flags): Experiment {
  const [what, file] = positionals;
  const hypothesis = {
    ...DEFAULT_HYPOTHESIS,
    ...(flags['recover-within'] === undefined
      ? {}
      : { recoverWithinMs: duration(flags['recover-within'], '--recover-within') }),
    ...(flags['drain-within'] === undefined
      ? {}
      : { drainWithinMs: duration(flags['drain-within'], '--drain-within') }),
  };
  const one = (spec: FaultSpec): Experiment => ({
    name: spec.kind,
    description: describeFault(spec),
    hypothesis,
    load: undefined,
    faults: [{ atMs: 0, spec }],
  });
  switch (what) {
    case 'kill': {
      const every = flags['every'] === undefined ? undefined : duration(flags['every'], '--every');
      const forMs = flags['for'] === undefined ? undefined : duration(flags['for'], '--for');
      const service = requireString(flags, 'service');
      if (every === undefined && forMs === undefined) return one({ kind: 'kill', service });
      if (every === undefined || forMs === undefined)
        throw new CliError('chaos kill takes --every and --for together (or neither: once)');
      return one({ kind: 'kill', service, everyMs: every, forMs });
    }
    case 'pause':
      return one({ kind: 'pause', service: requireString(flags, 'service'), forMs: duration(flags['for'], '--for') });
    case 'store-outage':
      return one({ kind: 'store-outage', forMs: duration(flags['for'], '--for') });
    case 'broker-restart':
      return one({
        kind: 'broker-restart',
        abrupt: flags['abrupt'] === true,
        downMs: flags['down'] === undefined ? 0 : duration(flags['down'], '--down'),
      });
    case 'latency': {
      const ms = Number(flags['ms'] ?? '');
      if (!Number.isInteger(ms) || ms < 1)
        throw new CliError(`--ms takes a whole number of milliseconds ≥ 1, got "${String(flags['ms'])}"`);
      return one({
        kind: 'network',
        to: requireString(flags, 'to'),
        fault: { kind: 'latency', ms },
        forMs: duration(flags['for'], '--for'),
      });
    }
    case 'drop':
    case 'reset':
      return one({
        kind: 'network',
        to: requireString(flags, 'to'),
        fault: { kind: what },
        forMs: duration(flags['for'], '--for'),
      });
    case 'poison': {
      const count = Number(flags['count'] ?? '');
      if (!Number.isInteger(count) || count < 1)
        throw new CliError(`--count takes a whole number ≥ 1, got "${String(flags['count'])}"`);
      return one({ kind: 'poison', count });
    }
    case 'run': {
      if (file === undefined)
        throw new CliError(
          `chaos run NAME|FILE: which experiment? (ready-made: ${yamlNamesIn(EXPERIMENT_DIR()).join(', ')})`,
        );
      try {
        const read = readExperiment(
          yamlNamesIn(EXPERIMENT_DIR()).includes(file) ? join(EXPERIMENT_DIR(), `${file}.yaml`) : file,
        );
        return {
          ...read,
          hypothesis: {
            ...read.hypothesis,
            ...(flags['recover-within'] === undefined ? {} : { recoverWithinMs: hypothesis.recoverWithinMs }),
            ...(flags['drain-within'] === undefined ? {} : { drainWithinMs: hypothesis.drainWithinMs }),
          },
        };
      } catch (error) {
        if (error instanceof ExperimentError) throw new CliError(error.message);
        throw error;
      }
    }
    default:
      throw new CliError(`unknown chaos "${String(what)}" (exodus chaos --help)`);
  }
}

function readStateOrFail(dataDir: string): ReturnType<typeof readSupervisorState> {
  try {
    return readSupervisorState(dataDir);
  } catch (error) {
    throw new CliError(
      `${error instanceof Error ? error.message : String(error)}: start it with exodus up --data ${dataDir}, or point --data at it`,
    );
  }
}

/** A fault aimed at a service this `exodus up` does not run (`--service wroker`) is a usage error, found before anything is done or written. */
function requireKnownServices(
  experiment: Experiment,
  state: ReturnType<typeof readSupervisorState>,
  dataDir: string,
): void {
  const known = [...new Set(state.processes.map((p) => p.service))];
  for (const { spec } of experiment.faults) {
    if ((spec.kind === 'kill' || spec.kind === 'pause') && !known.includes(spec.service)) {
      throw new CliError(`no service "${spec.service}" in the exodus up on ${dataDir}; it runs ${known.join(', ')}`);
    }
  }
}

function startLoad(
  experiment: Experiment,
  options: { config: Config; doorUrl: string; roster: string; out: string; signal: AbortSignal },
): RunningLoad {
  const spec = experiment.load;
  if (spec === undefined) throw new Error('no load in this experiment');
  const pending: string[] = [];
  let mark = (label: string): void => void pending.push(label);
  const scenario = scenarioFrom(spec.scenario);
  const done = runLoad({
    target: options.doorUrl,
    scenario,
    roster: rosterFrom(options.roster),
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
  }).then(({ report, files }) => ({ pass: report.pass, summary: summary(report), report: files.html }));
  return { mark: (label) => mark(label), done };
}

/**
 * `exodus chaos proxy --name NAME --listen HOST:PORT --to HOST:PORT`: a TCP fault proxy in front of
 * the store or the broker, running until Ctrl-C; point the system's URL at `--listen`, then
 * `exodus chaos latency|drop|reset --to NAME` breaks the traffic through it for a while.
 */
export async function chaosProxyCommand({ flags, config: settings }: VerbInput): Promise<void> {
  const config = settings();
  const endpoint = (flag: string) =>
    parseEndpoint(requireString(flags, flag)) ?? fail(`--${flag} takes host:port, got "${String(flags[flag])}"`);
  const name = requireString(flags, 'name');
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(name))
    throw new CliError(`--name is a short lowercase name such as store or broker, got "${name}"`);
  const running = await runFaultProxy({
    dataDir: config.dataDir,
    name,
    listen: endpoint('listen'),
    upstream: endpoint('to'),
    onFault: (fault) =>
      console.log(
        `${new Date().toISOString()} ${fault === undefined ? 'passing traffic through' : `fault on: ${JSON.stringify(fault)}`}`,
      ),
  });
  console.log(
    `fault proxy ${name}: ${running.record.listen.host}:${running.record.listen.port} → ${running.record.upstream.host}:${running.record.upstream.port} (Ctrl-C stops it)`,
  );
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await running.close();
}

function fail(message: string): never {
  throw new CliError(message);
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

function describeJournal(journal: Journal): string {
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

function duration(value: string | boolean | undefined, flag: string): number {
  const ms = typeof value === 'string' ? parseDurationMs(value) : undefined;
  if (ms === undefined) throw new CliError(`${flag} takes a duration such as 5s or 2m, got "${String(value)}"`);
  return ms;
}
