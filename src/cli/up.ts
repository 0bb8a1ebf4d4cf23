import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../ops/index.js';
import { createLogger, Supervisor, type Config, type ProcessSpec, type SupervisorEvent } from '../runtime/index.js';
import { CliError, parseVerb } from './args.js';
import type { ServiceName } from './serve.js';

const DEFAULT_REPLICAS: Readonly<Record<Exclude<ServiceName, 'frontend'>, number>> = { parser: 1, worker: 2, tally: 1 };
const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/**
 * `exodus up`: the whole system on this machine, each service its own process under a supervisor
 * that restarts what crashes and drains everything on Ctrl-C / SIGTERM.
 */
export async function upCommand(argv: readonly string[]): Promise<void> {
  const { config, flags } = parseVerb(argv, { replicas: { type: 'string' } });
  const replicas = parseReplicas(typeof flags['replicas'] === 'string' ? flags['replicas'] : undefined);
  const forwarded = withoutFlag(withoutFlag(argv, 'replicas'), 'health-port');
  const web = `http://${config.host}:${config.port}`;
  // Each consumer answers probes and scrapes on a port of its own (free when `up` starts, kept across
  // restarts). Where every process is scraped is listed by `exodus status` and written for
  // Prometheus's file-based discovery (deploy/prometheus/prometheus.yml reads it).
  const consumers = Object.entries(replicas).flatMap(([service, count]) => Array.from({ length: count }, (_, i) => ({ service, replica: i + 1 })));
  const healthPorts = await Promise.all(consumers.map(() => freePort()));
  const specs: ProcessSpec[] = [
    { service: 'frontend', replica: 1, command: process.execPath, args: [MAIN, 'serve', 'frontend', ...forwarded], metricsUrl: `${web}/metrics` },
    ...consumers.map(({ service, replica }, i) => {
      const healthPort = healthPorts[i] ?? 0;
      return {
        service,
        replica,
        command: process.execPath,
        args: [MAIN, 'serve', service, ...forwarded, '--health-port', String(healthPort)],
        metricsUrl: `http://${config.host}:${healthPort}/metrics`,
      };
    }),
  ];
  writeScrapeTargets(config.dataDir, specs);
  const logger = createLogger('supervisor', config.logLevel);
  const supervisor = new Supervisor(specs, { dataDir: config.dataDir, endpoints: { web }, onEvent: (event) => report(event, logger) });
  supervisor.start();

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: draining every service (in-flight work is finished or left to redeliver)…`);
    void supervisor.stop().then(() => {
      console.log('stopped; nothing acknowledged was lost');
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const ready = await waitUntilReady(`${web}/readyz`, 20_000);
  printBanner(config, web, replicas, ready);
}

export function parseReplicas(value: string | undefined): Record<Exclude<ServiceName, 'frontend'>, number> {
  const replicas = { ...DEFAULT_REPLICAS };
  if (value === undefined) return replicas;
  for (const part of value.split(',')) {
    const [name, count] = part.split('=').map((s) => s.trim());
    const n = Number(count);
    if (!name || !(name in replicas) || !Number.isInteger(n) || n < 0 || n > 32) {
      throw new CliError(`--replicas takes service=count pairs for parser, worker, tally (0..32), e.g. parser=1,worker=2,tally=1; got "${part}"`);
    }
    replicas[name as keyof typeof replicas] = n;
  }
  return replicas;
}

/** `<data>/prometheus-targets.json`: every process's scrape address, in Prometheus's file_sd format. */
function writeScrapeTargets(dataDir: string, specs: readonly ProcessSpec[]): void {
  const targets = specs.flatMap((spec) =>
    spec.metricsUrl === undefined ? [] : [{ targets: [new URL(spec.metricsUrl).host], labels: { service: spec.service, replica: String(spec.replica) } }],
  );
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'prometheus-targets.json'), `${JSON.stringify(targets, null, 2)}\n`);
}

function withoutFlag(argv: readonly string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === `--${flag}`) i++;
    else if (!arg.startsWith(`--${flag}=`)) out.push(arg);
  }
  return out;
}

async function waitUntilReady(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

function printBanner(config: Config, web: string, replicas: Record<string, number>, ready: boolean): void {
  const lines = [
    ready ? 'Exodus is up.' : 'Exodus started, but the frontend is not answering yet (see the logs).',
    `  web + API   ${web}   (OpenAPI ${web}/api/openapi.json)`,
    `  services    frontend ×1, ${Object.entries(replicas).map(([s, n]) => `${s} ×${n}`).join(', ')}`,
    `  queue       ${config.queueUrl}`,
    `  store       ${config.storeUrl}`,
    `  logs        ${config.dataDir}/logs/`,
    `  status      npx exodus status --data ${config.dataDir}`,
    'Ctrl-C drains and stops everything.',
  ];
  console.log(lines.join('\n'));
}

function report(event: SupervisorEvent, logger: ReturnType<typeof createLogger>): void {
  const { service: child, replica, pid, restarts } = event.state;
  if (event.kind === 'started') logger.info({ child, replica, childPid: pid, restarts }, 'process started');
  else logger.warn({ child, replica, code: event.code, signal: event.signal, restartInMs: event.restartInMs }, 'process exited; restarting');
}
