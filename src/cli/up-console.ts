import { adminTokenFile, type Config } from '../runtime/index.js';

/** Variables by which a user sends telemetry somewhere of their own: set, `exodus up` leaves export alone. */
const USER_ENDPOINTS = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT',
];

/**
 * Export tuned for a console on this machine: metrics read every 5 s and spans within a second, so
 * its live views are live; a collection with nothing new (only the runtime's own figures moved) is
 * sent once per 15 s of wall time, the console's chart step (overview.ts), so a system at rest sends
 * next to nothing yet each process is heard from well within the 30 s after which the console calls it
 * down, and each step of its charts has a point. A user's own value of any of these wins.
 */
const CONSOLE_DEFAULTS: Readonly<Record<string, string>> = {
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
  OTEL_METRIC_EXPORT_INTERVAL: '5000',
  EXODUS_METRIC_EXPORT_HEARTBEAT_MS: '15000',
  OTEL_BSP_SCHEDULE_DELAY: '1000',
};

/** Where the console answers, as a URL other processes on this machine can use (a wildcard address is reached on loopback). */
export function consoleUrl(config: Config): string {
  const { host, port } = config.console;
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** True when the user pointed OTLP export somewhere themselves. */
export function exportsElsewhere(env: NodeJS.ProcessEnv): boolean {
  return USER_ENDPOINTS.some((variable) => (env[variable] ?? '') !== '');
}

/**
 * The OTLP variables that send a process's telemetry to the console, with the admin token as its
 * API key (in the environment, never on a command line); none when the user chose where telemetry
 * goes or there is no console.
 */
export function consoleExportEnv(
  url: string | undefined,
  token: string,
  env: NodeJS.ProcessEnv,
): Record<string, string> {
  if (url === undefined || exportsElsewhere(env)) return {};
  const defaults = Object.fromEntries(
    Object.entries(CONSOLE_DEFAULTS).filter(([variable]) => env[variable] === undefined),
  );
  return { ...defaults, OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_HEADERS: `api-key=${token}` };
}

/** `OTEL_RESOURCE_ATTRIBUTES` naming one process (`service.instance.id=worker-2`), after the user's own attributes. */
export function withInstanceId(userAttributes: string | undefined, instance: string): string {
  return [userAttributes, `service.instance.id=${instance}`]
    .filter((part) => part !== undefined && part !== '')
    .join(',');
}

/** The banner's console line(s): where to open it, with the token, and where its telemetry comes from. */
export function consoleBanner(
  config: Config,
  url: string | undefined,
  token: string,
  env: NodeJS.ProcessEnv,
): string[] {
  if (url === undefined) return ['  console     off (--no-console)'];
  const tokenFrom =
    (env['EXODUS_ADMIN_TOKEN'] ?? '') === ''
      ? `token in ${adminTokenFile(config.dataDir)}`
      : 'token from EXODUS_ADMIN_TOKEN';
  const receives = exportsElsewhere(env)
    ? 'telemetry goes where OTEL_EXPORTER_OTLP_* says'
    : "receives every process's telemetry";
  return [`  console     ${url}/login?token=${encodeURIComponent(token)}`, `              (${tokenFrom}; ${receives})`];
}
