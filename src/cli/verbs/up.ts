import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CANARY_EVACUEE_ID } from '../../domain/index.js';
import { embeddedDir, openMessaging } from '../../engines/index.js';
import { backlogOf } from '../../ops/backlog.js';
import { startCanary, type RunningCanary } from '../../ops/canary.js';
import { freePort } from '../../ops/free-port.js';
import { DEMO_ROSTER_FILE, demoRoster } from '../../ops/roster.js';
import {
  adminToken,
  backlogTotal,
  createLogger,
  lastSupervisorState,
  lockDataDir,
  logLinesFor,
  observeSupervisor,
  packageRoot,
  processName,
  reportSupervisorEvent,
  startTelemetry,
  stopLeftovers,
  Supervisor,
  withoutOkCanaryRuns,
  type Backlog,
  type Config,
  type ProcessSpec,
  type StopOutcome,
} from '../../runtime/index.js';
import { CONSUMERS_TOGETHER, type ConsumerName } from '../../services/names.js';
import { consoleBanner, consoleExportEnv, consoleUrl, withInstanceId } from '../up-console.js';
import { CliError, defineVerb, duration, toggle, type OptionSpec, type OptionValues } from '../verb.js';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

/** How long the processes of a killed supervisor get to drain and exit before a new one kills them, in ms. */
const LEFTOVER_TIMEOUT_MS = 30_000;

/** Demo evacuees made on a first start (EV-00001…). */
const DEMO_EVACUEES = 10;

/** A data dir whose embedded store was never opened: nothing of anyone's is in it yet. */
async function isFreshEmbeddedStore(config: Config): Promise<boolean> {
  const dir = await embeddedDir(config.storeUrl);
  return dir !== undefined && !existsSync(join(dir, 'store.db'));
}

/**
 * Settings `up` does not hand on to the processes it starts: each consumer gets a health port of its
 * own, and their logs go to files, as JSON.
 */
const NOT_FORWARDED = ['health-port', 'log-format'];

/** With `--replicas`, each consumer not named gets one process. */
const ONE_EACH: Readonly<Record<ConsumerName, number>> = { parser: 1, worker: 1, tally: 1 };

/**
 * Processes per consumer, `service=count` pairs. Without it every consumer runs as a loop in one
 * process (`consumers-1`): measured on 2 cores, seven processes idled at 7 % of a core and 660 MB,
 * paying a heap and an event loop each for work that mostly waits on the engines (README, Performance).
 */
const replicasOption: OptionSpec<Record<ConsumerName, number>> = {
  flags: '--replicas <list>',
  help: 'split the consumers into processes of their own, service=count pairs (a consumer not named: 1)',
  fallback: 'every consumer a loop in one process',
  parse: parseReplicas,
};

const upOptions = {
  replicas: replicasOption,
  noConsole: toggle('--no-console', 'run without the ops console'),
  noDemo: toggle(
    '--no-demo',
    'on a first start, do not make demo evacuees (by default ten, one pass printed to try the page)',
  ),
  drainTimeout: duration(
    '--drain-timeout <d>',
    'on Ctrl-C, how long the consumers may work on what is queued before they stop (it stays queued, safe)',
    { default: '30s' },
  ),
  canaryInterval: duration(
    '--canary-interval <d>',
    'how often the synthetic canary hands in a wish through the API and times it to stored and the read model',
    { default: '10s', positive: true },
  ),
  noCanary: toggle('--no-canary', 'run without the synthetic canary'),
};

/**
 * `exodus up`: the whole system on this machine, each service its own process under a supervisor
 * that restarts what crashes and drains everything on Ctrl-C / SIGTERM. The ops console starts
 * first, and every process's telemetry goes to it (unless `--no-console`, or the user pointed
 * OTLP export elsewhere).
 */
export const upVerb = defineVerb({
  path: ['up'],
  summary: 'run everything on this machine: the console, frontend, parser, worker and tally as supervised processes',
  options: upOptions,
  settings: 'all',
  examples: [
    'exodus up',
    'exodus up --data /var/lib/exodus --replicas parser=1,worker=2,tally=1',
    'exodus up --queue nats://127.0.0.1:4222 --store postgres://127.0.0.1:5432/exodus',
  ],
  run: async ({ options, settings, config }) => up(options, settings, config()),
});

async function up(
  options: OptionValues<typeof upOptions>,
  settings: Readonly<Record<string, string>>,
  config: Config,
): Promise<void> {
  const { replicas, drainTimeout: drainTimeoutMs } = options;
  // One supervisor per data dir, checked before anything is written there; a second `up` stops here.
  mkdirSync(config.dataDir, { recursive: true });
  const lock = lockDataDir(config.dataDir);
  if (lock.takenOverFrom !== undefined) await cleanUpAfter(lock.takenOverFrom.pid, config.dataDir);
  // A first start on the embedded engines gets demo evacuees, so the page can be tried at once.
  const demo =
    options.noDemo !== true && (await isFreshEmbeddedStore(config))
      ? await demoRoster(config, DEMO_EVACUEES, join(config.dataDir, DEMO_ROSTER_FILE))
      : undefined;
  // The settings as given on the command line go to every process (the environment reaches them anyway).
  const forwarded = Object.entries(settings).flatMap(([name, value]) =>
    NOT_FORWARDED.includes(name) ? [] : [`--${name}`, value],
  );
  const web = `http://${config.host}:${config.port}`;
  const consoleAt = options.noConsole === true ? undefined : consoleUrl(config);
  const token = consoleAt === undefined ? '' : adminToken(config.dataDir);
  const userEnv = { ...process.env };
  const exportEnv = consoleExportEnv(consoleAt, token, userEnv);
  // Each process names itself in its telemetry (`service.instance.id=worker-2`).
  const envOf = (spec: { service: string; replica: number }) => ({
    ...exportEnv,
    OTEL_RESOURCE_ATTRIBUTES: withInstanceId(userEnv['OTEL_RESOURCE_ATTRIBUTES'], processName(spec)),
  });
  // Each consumer answers probes and scrapes on a port of its own (free when `up` starts, kept across
  // restarts). Where every process is scraped is listed by `exodus status` and written for
  // Prometheus's file-based discovery (deploy/prometheus/prometheus.yml reads it).
  const consumers =
    replicas === undefined
      ? [{ service: CONSUMERS_TOGETHER, replica: 1 }]
      : Object.entries(replicas).flatMap(([service, count]) =>
          Array.from({ length: count }, (_, i) => ({ service, replica: i + 1 })),
        );
  const healthPorts = await Promise.all(consumers.map(() => freePort()));
  const frontend = { service: 'frontend', replica: 1 };
  const consoleProcess = { service: 'console', replica: 1 };
  const specs: ProcessSpec[] = [
    // Started first and stopped last, so it hears from the others from their first telemetry to their last. It exports none itself (serve-console.ts).
    ...(consoleAt === undefined
      ? []
      : [
          {
            ...consoleProcess,
            command: process.execPath,
            args: [MAIN, 'serve', 'console', ...forwarded],
            metricsUrl: `${consoleAt}/metrics`,
            env: envOf(consoleProcess),
            role: 'observer' as const,
          },
        ]),
    {
      ...frontend,
      command: process.execPath,
      args: [MAIN, 'serve', 'frontend', ...forwarded],
      metricsUrl: `${web}/metrics`,
      env: envOf(frontend),
      role: 'door',
    },
    ...consumers.map((consumer, i) => {
      const healthPort = healthPorts[i] ?? 0;
      return {
        ...consumer,
        command: process.execPath,
        args: [MAIN, 'serve', consumer.service, ...forwarded, '--health-port', String(healthPort)],
        metricsUrl: `http://${config.host}:${healthPort}/metrics`,
        env: envOf(consumer),
        role: 'consumer' as const,
      };
    }),
  ];
  writeScrapeTargets(config.dataDir, specs);

  // The SDK's exporters read their settings from the environment: the supervisor's own telemetry
  // (its events and process gauges) goes where its children's does.
  Object.assign(process.env, envOf({ service: 'supervisor', replica: 1 }));
  const logLines = withoutOkCanaryRuns(logLinesFor(config.logFormat));
  const telemetry = startTelemetry('exodus-supervisor', logLines === undefined ? {} : { logLines });
  const logger = createLogger('supervisor', config.logLevel, telemetry.logDestination);
  const endpoints = { web, ...(consoleAt === undefined ? {} : { console: consoleAt }) };
  const supervisor = new Supervisor(specs, {
    dataDir: config.dataDir,
    endpoints,
    // A crash and its restart are what an operator watches for: each event sends the supervisor's
    // gauges (and the event's log record) at once, rather than at the next export; at rest it sends
    // what every process sends, when something changed (metric-push.ts).
    onEvent: (event) => {
      reportSupervisorEvent(logger, event);
      void telemetry.flush();
    },
  });
  observeSupervisor(() => supervisor.processes());
  supervisor.start();

  let stopping = false;
  let canary: RunningCanary | undefined;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(
      `\n${signal}: closing the door, then draining what is queued (up to ${drainTimeoutMs / 1000} s; --drain-timeout)…`,
    );
    void (async () => {
      // First, so a planned stop is never a failed run: the door is about to close on it.
      await canary?.stop();
      const queues = await openMessaging(config.queueUrl, config).catch(() => undefined);
      const outcome = await supervisor.stop({
        drainTimeoutMs,
        ...(queues === undefined ? {} : { backlog: () => backlogOf(queues) }),
        onDraining: (backlog) => console.log(`  draining: ${describeBacklog(backlog)}`),
        // Its own last telemetry while the console still listens; the children's came before.
        beforeObservers: () => telemetry.shutdown(),
      });
      await queues?.close().catch(() => undefined);
      console.log(stopLine(outcome));
      lock.release();
      process.exit(0);
    })();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const ready = await waitUntilReady(`${web}/readyz`, 20_000);
  // The canary hands its wishes in at the front door like anyone, once there is one (it runs in this
  // process: it needs the pass secret, stops before the door closes, and reports with the supervisor).
  if (options.noCanary !== true && !stopping)
    canary = startCanary({ url: web, passSecret: config.passSecret, intervalMs: options.canaryInterval, logger });
  printBanner(config, {
    web,
    console: consoleAt,
    token,
    ready,
    replicas: replicas ?? { [CONSUMERS_TOGETHER]: 1 },
    userEnv,
    demo,
    canaryIntervalMs: canary === undefined ? undefined : options.canaryInterval,
  });
}

/**
 * How to run this CLI from where `up` was started: its own `bin/exodus.js`, as a path. Never
 * `npx exodus`, which outside the checkout resolves an unrelated npm package of that name.
 */
function cliPath(): string {
  const path = relative(process.cwd(), join(packageRoot(), 'bin', 'exodus.js'));
  return path.startsWith('.') || isAbsolute(path) ? path : `./${path}`;
}

/** The supervisor before this one was killed: wait for the processes it left to drain and exit, so they free the ports. */
async function cleanUpAfter(pid: number, dataDir: string): Promise<void> {
  const previous = lastSupervisorState(dataDir);
  if (previous === undefined || previous.supervisorPid !== pid) return;
  const left = await stopLeftovers(previous, LEFTOVER_TIMEOUT_MS);
  if (left > 0) console.log(`the exodus up before (pid ${pid}) was killed; its ${left} processes drained and exited`);
}

function describeBacklog(backlog: Backlog): string {
  const queued = Object.entries(backlog).filter(([, n]) => n > 0);
  return queued.length === 0 ? 'nothing queued' : queued.map(([queue, n]) => `${queue} ${n}`).join(', ');
}

/** The last line of a stop: what is still queued, told as it is (queued is safe, not lost). */
function stopLine(outcome: StopOutcome): string {
  if (outcome.backlog === undefined)
    return 'stopped; the queues could not be read, so what is still queued is unknown (exodus status tells, once they can be)';
  const left = backlogTotal(outcome.backlog);
  if (left === 0) return 'stopped; 0 queued';
  return `stopped; ${left} still queued (${describeBacklog(outcome.backlog)}), delivered on the next start${outcome.timedOut ? ' (the drain timeout ran out)' : ''}`;
}

function parseReplicas(value: string): Record<ConsumerName, number> {
  const replicas = { ...ONE_EACH };
  for (const part of value.split(',')) {
    const [name, count] = part.split('=').map((s) => s.trim());
    const n = Number(count);
    if (!name || !(name in replicas) || !Number.isInteger(n) || n < 0 || n > 32) {
      throw new CliError(
        `--replicas takes service=count pairs for parser, worker, tally (0..32), e.g. parser=1,worker=2,tally=1; got "${part}"`,
      );
    }
    replicas[name as keyof typeof replicas] = n;
  }
  return replicas;
}

/** `<data>/prometheus-targets.json`: every process's scrape address, in Prometheus's file_sd format. */
function writeScrapeTargets(dataDir: string, specs: readonly ProcessSpec[]): void {
  const targets = specs.flatMap((spec) =>
    spec.metricsUrl === undefined
      ? []
      : [
          {
            targets: [new URL(spec.metricsUrl).host],
            labels: { service: spec.service, replica: String(spec.replica) },
          },
        ],
  );
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'prometheus-targets.json'), `${JSON.stringify(targets, null, 2)}\n`);
}

async function waitUntilReady(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not listening yet
    }
    await delay(100);
  }
  return false;
}

interface Banner {
  readonly web: string;
  readonly console: string | undefined;
  readonly token: string;
  readonly ready: boolean;
  readonly replicas: Record<string, number>;
  /** The environment `up` was started with (before it pointed export at the console). */
  readonly userEnv: NodeJS.ProcessEnv;
  /** The demo roster made on a first start: its first evacuee, to try the page with. */
  readonly demo: { readonly id: string; readonly name: string; readonly pass: string } | undefined;
  /** How often the synthetic canary runs; undefined when it does not. */
  readonly canaryIntervalMs: number | undefined;
}

function printBanner(config: Config, up: Banner): void {
  const lines = [
    up.ready ? 'Exodus is up.' : 'Exodus started, but the frontend is not answering yet (see the logs).',
    `  web + API   ${up.web}   (OpenAPI ${up.web}/api/openapi.json)`,
    ...consoleBanner(config, up.console, up.token, up.userEnv),
    `  services    frontend ×1, ${Object.entries(up.replicas)
      .map(([s, n]) => `${s} ×${n}`)
      .join(
        ', ',
      )}${CONSUMERS_TOGETHER in up.replicas ? ' (parser, worker and tally loops in one process; --replicas splits them)' : ''}`,
    `  queue       ${config.queueUrl}`,
    `  store       ${config.storeUrl}`,
    `  logs        ${config.dataDir}/logs/`,
    up.canaryIntervalMs === undefined
      ? '  canary      off (--no-canary)'
      : `  canary      a wish as ${CANARY_EVACUEE_ID} every ${up.canaryIntervalMs / 1000} s, timed to stored and the read model (never on the wall; --no-canary)`,
    `  status      ${cliPath()} status --data ${config.dataDir}`,
    ...(up.demo === undefined
      ? []
      : [
          `  try it      boarding pass of ${up.demo.id} (${up.demo.name}), paste it into the page:`,
          `              ${up.demo.pass}`,
          `              (${DEMO_EVACUEES} demo evacuees in ${join(config.dataDir, DEMO_ROSTER_FILE)}; --no-demo skips them)`,
        ]),
    'Ctrl-C drains and stops everything.',
  ];
  console.log(lines.join('\n'));
}
