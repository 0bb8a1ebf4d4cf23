import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { DEFAULT_MAX_LEASE_LAPSES } from '../ports/index.js';
import { createFileDurably } from './durable-file.js';
import { Secret } from './secret.js';

/**
 * Configuration, parsed once at start-up into a frozen, fully defaulted object. Every setting can
 * come from a flag or from its `EXODUS_*` variable (flags win). A bad value fails fast with one line
 * naming the setting.
 */
export interface Config {
  /** Where embedded engines keep their files and the supervisor its state. */
  readonly dataDir: string;
  /** Queue/topic engine URL; default `sqlite:<dataDir>`. */
  readonly queueUrl: string;
  /** Store/read-model engine URL; default `sqlite:<dataDir>`. */
  readonly storeUrl: string;
  readonly host: string;
  /** The frontend's port. */
  readonly port: number;
  /** Port of a consumer's `/healthz` and `/readyz`; undefined: it does not listen. */
  readonly healthPort: number | undefined;
  readonly passSecret: Secret;
  /** Failed attempts at a message before it is dead-lettered. */
  readonly maxAttempts: number;
  /** Deliveries of a message that may end unsettled (its consumer died) before it is dead-lettered. */
  readonly maxLeaseLapses: number;
  /** How long a received message stays invisible to other consumers; extended while work goes on. */
  readonly leaseMs: number;
  /** Messages a consumer takes per receive. */
  readonly batchSize: number;
  /** First retry delay; doubles per attempt (with full jitter) up to `retryMaxMs`. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly maxBodyBytes: number;
  readonly logLevel: string;
  /** How a command writes its own log lines: `pretty` (for people), `json`, or undefined: pretty on a terminal. */
  readonly logFormat: 'pretty' | 'json' | undefined;
  /**
   * Connections each process may hold to a client-server store (PostgreSQL). A bound, because the
   * classic outage of this kind of system is a connection explosion under load: replicas × this must
   * stay under the server's `max_connections`.
   */
  readonly storePoolSize: number;
  /**
   * New traces each process starts per second at most (a wish's trace starts at the frontend; a
   * batch's at its consumer); the rest are not recorded. 0 = every one. Ignored when
   * `OTEL_TRACES_SAMPLER` chooses the sampler. See runtime/rate-limited-sampler.ts.
   */
  readonly tracesPerSecond: number;
  /** The frontend's defences; see README "The front door". */
  readonly frontDoor: FrontDoorConfig;
  /** The ops console: `exodus serve console`, and the first process `exodus up` starts. */
  readonly console: ConsoleConfig;
}

/** Where the ops console listens and how much telemetry it keeps. */
export interface ConsoleConfig {
  /** Default 127.0.0.1: the console shows what attackers typed and who sent it; other machines need an explicit address. */
  readonly host: string;
  /** Default 3001. */
  readonly port: number;
  /** Telemetry older than this is deleted; default 24 h. */
  readonly retentionMs: number;
  /** The console's database is kept under this; default 256 MiB. */
  readonly maxBytes: number;
  /**
   * The console's burn-rate alerts run this many times faster than in earnest: every window and
   * `for` divided by it (60: the 1-hour window is a minute), for a demo or a test; default 1.
   */
  readonly alertSpeedup: number;
}

/** Rate limits (requests per minute per key; 0 turns a limit off) and load shedding. */
export interface FrontDoorConfig {
  /**
   * `POST /api/wishes` without a valid boarding pass (missing, malformed, forged, expired) per client
   * address: what costs without a pass. Writes with a valid pass never meet it, so a boarding hall
   * behind one NAT gets in.
   */
  readonly ipFailedWritesPerMinute: number;
  /** `POST /api/wishes` per evacuee (counted after the pass is verified, so forgers cannot spend it). */
  readonly evacueeWritesPerMinute: number;
  /**
   * Reads (wall, tally, status, the page) per client address; 0 (default) = no limit: the wall and
   * the tally are cached, a status read is one lookup by key, and load shedding bounds the rest.
   */
  readonly ipReadsPerMinute: number;
  /** Shed (503) when the event loop lags more than this, in ms; 0 = never. */
  readonly shedEventLoopDelayMs: number;
  /** Shed when the V8 heap holds more than this; default 90% of the heap limit. */
  readonly shedHeapUsedBytes: number;
  /** Writes waiting for the queue's commit before new ones are shed: bounds the request backlog. */
  readonly maxInFlightWrites: number;
  /**
   * Requests the frontend holds at once (all kinds but the probes); past it, 503 before Fastify
   * sees the request. Default 1000; 0 = no cap.
   */
  readonly maxRequestsInFlight: number;
  /** Open connections; a request on one opened past it gets 503 and the connection closes. Default 10,000; 0 = no cap. */
  readonly maxConnections: number;
  /**
   * Connections the kernel holds for the frontend to accept (capped by net.core.somaxconn), default
   * 4096. Node's own 511 overflows when 3,000 clients open at once: the kernel drops their SYNs,
   * retried after 1, 3, 7 s, and the clients time out before the process ever sees them.
   */
  readonly listenBacklog: number;
  /** Proxy hops in front whose X-Forwarded-For is trusted for the client address; 0 = none. */
  readonly trustProxyHops: number;
}

export class ConfigError extends Error {}

/** See `Config.tracesPerSecond`; the figure behind it is in README "What it costs". */
const DEFAULT_TRACES_PER_SECOND = 20;

/** Setting name → [flag, env var, what it means and its default] (the help text of `exodus up --help`). */
const SOURCES = {
  dataDir: [
    'data',
    'EXODUS_DATA',
    'data dir of the embedded engines, logs, supervisor state, pass secret (default .exodus)',
  ],
  queueUrl: ['queue', 'EXODUS_QUEUE', 'queue/topic engine URL, default sqlite:<data>'],
  storeUrl: ['store', 'EXODUS_STORE', 'store/read-model engine URL, default sqlite:<data>'],
  host: ['host', 'EXODUS_HOST', 'where the frontend listens (default 127.0.0.1)'],
  port: ['port', 'EXODUS_PORT', "the frontend's port (default 3000)"],
  healthPort: [
    'health-port',
    'EXODUS_HEALTH_PORT',
    'an internal port for /healthz, /readyz and /metrics; a frontend given one serves no /metrics on its public port (default: none; exodus up picks one per consumer)',
  ],
  maxAttempts: [
    'max-attempts',
    'EXODUS_MAX_ATTEMPTS',
    'failed attempts at a message before it is dead-lettered (default 5)',
  ],
  maxLeaseLapses: [
    'max-lease-lapses',
    'EXODUS_MAX_LEASE_LAPSES',
    'deliveries whose consumer died before a message is dead-lettered (default 10)',
  ],
  leaseMs: [
    'lease-ms',
    'EXODUS_LEASE_MS',
    "a received message's lease in ms, extended while work goes on (default 5000)",
  ],
  batchSize: ['batch-size', 'EXODUS_BATCH_SIZE', 'messages a consumer takes per receive (default 256)'],
  retryBaseMs: ['retry-base-ms', 'EXODUS_RETRY_BASE_MS', 'retry delay base in ms (default 200)'],
  retryMaxMs: ['retry-max-ms', 'EXODUS_RETRY_MAX_MS', 'retry delay cap in ms (default 30000)'],
  maxBodyBytes: ['max-body-bytes', 'EXODUS_MAX_BODY_BYTES', 'larger request bodies get 413 (default 16384)'],
  logLevel: ['log-level', 'EXODUS_LOG_LEVEL', 'pino level (default info)'],
  logFormat: [
    'log-format',
    'EXODUS_LOG_FORMAT',
    'pretty or json: how this command writes its own log lines (default: pretty on a terminal, json otherwise)',
  ],
  storePoolSize: [
    'store-pool-size',
    'EXODUS_STORE_POOL_SIZE',
    'connections each process may hold to PostgreSQL (default 10)',
  ],
  ipFailedWritesPerMinute: [
    'ip-failed-writes-per-minute',
    'EXODUS_IP_FAILED_WRITES_PER_MINUTE',
    'writes without a valid pass per address per minute; 0 = no limit (default 120)',
  ],
  evacueeWritesPerMinute: [
    'evacuee-writes-per-minute',
    'EXODUS_EVACUEE_WRITES_PER_MINUTE',
    'writes per evacuee per minute; 0 = no limit (default 6)',
  ],
  ipReadsPerMinute: [
    'ip-reads-per-minute',
    'EXODUS_IP_READS_PER_MINUTE',
    'reads per address per minute; 0 = no limit (default 0)',
  ],
  shedEventLoopDelayMs: [
    'shed-event-loop-delay-ms',
    'EXODUS_SHED_EVENT_LOOP_DELAY_MS',
    'answer 503 while the event loop lags more; 0 = never (default 300)',
  ],
  shedHeapUsedBytes: [
    'shed-heap-used-bytes',
    'EXODUS_SHED_HEAP_USED_BYTES',
    'answer 503 while the heap holds more; 0 = never (default 90 % of the heap limit)',
  ],
  maxInFlightWrites: [
    'max-in-flight-writes',
    'EXODUS_MAX_IN_FLIGHT_WRITES',
    "writes waiting for the queue's commit before new ones get 503 (default 2000)",
  ],
  maxRequestsInFlight: [
    'max-requests-in-flight',
    'EXODUS_MAX_REQUESTS_IN_FLIGHT',
    'requests the frontend holds at once before new ones get 503 at once, probes exempt; 0 = no cap (default 1000)',
  ],
  maxConnections: [
    'max-connections',
    'EXODUS_MAX_CONNECTIONS',
    "open connections to the frontend before a new one's requests get 503 and it is closed; 0 = no cap (default 10000)",
  ],
  listenBacklog: [
    'listen-backlog',
    'EXODUS_LISTEN_BACKLOG',
    "connections the kernel queues for the frontend to accept, up to net.core.somaxconn (default 4096; Node's own is 511)",
  ],
  trustProxyHops: [
    'trust-proxy-hops',
    'EXODUS_TRUST_PROXY_HOPS',
    'proxies in front whose X-Forwarded-For is trusted (default 0)',
  ],
  consoleHost: ['console-host', 'EXODUS_CONSOLE_HOST', 'where the ops console listens (default 127.0.0.1)'],
  consolePort: ['console-port', 'EXODUS_CONSOLE_PORT', "the ops console's port (default 3001)"],
  consoleRetention: [
    'console-retention',
    'EXODUS_CONSOLE_RETENTION',
    'telemetry the console keeps, e.g. 24h or 7d (default 24h)',
  ],
  consoleMaxMb: ['console-max-mb', 'EXODUS_CONSOLE_MAX_MB', "the console's database size bound in MB (default 256)"],
  consoleAlertSpeedup: [
    'console-alert-speedup',
    'EXODUS_CONSOLE_ALERT_SPEEDUP',
    "divides the console's alert windows, for a demo or a test: 60 makes 1 h a minute (default 1)",
  ],
  tracesPerSecond: [
    'traces-per-second',
    'EXODUS_TRACES_PER_SECOND',
    'new traces kept per second per process; 0 = all (default 20)',
  ],
} as const;

/** Every setting's flag, environment variable and help, for the command line's --help. */
export const SETTINGS: readonly { readonly flag: string; readonly env: string; readonly help: string }[] =
  Object.values(SOURCES).map(([flag, env, help]) => ({ flag, env, help }));

export type ConfigFlags = Partial<Record<(typeof SOURCES)[keyof typeof SOURCES][0], string | undefined>>;

/** The flags every engine-using command accepts, for `node:util` parseArgs. */
export const CONFIG_FLAG_NAMES: readonly string[] = Object.values(SOURCES).map(([flag]) => flag);

/** Settings that are gone, with what to do instead: set, they stop start-up rather than being ignored. */
const RETIRED: Readonly<Record<string, string>> = {
  EXODUS_IP_WRITES_PER_MINUTE:
    'EXODUS_IP_WRITES_PER_MINUTE is gone: writes with a valid pass are limited per evacuee (EXODUS_EVACUEE_WRITES_PER_MINUTE), writes without one per address (EXODUS_IP_FAILED_WRITES_PER_MINUTE)',
};

export function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): Config {
  for (const [variable, instead] of Object.entries(RETIRED))
    if (env[variable] !== undefined) throw new ConfigError(instead);
  const raw = (key: keyof typeof SOURCES): string | undefined => {
    const [flag, variable] = SOURCES[key];
    return flags[flag] ?? env[variable];
  };
  const int = (key: keyof typeof SOURCES, fallback: number, min: number, max: number): number => {
    const value = raw(key);
    if (value === undefined || value === '') return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      const [flag, variable] = SOURCES[key];
      throw new ConfigError(`--${flag} / ${variable} must be an integer from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
  const duration = (key: keyof typeof SOURCES, fallbackMs: number, minMs: number, maxMs: number): number => {
    const value = raw(key);
    if (value === undefined || value === '') return fallbackMs;
    const ms = parseDurationMs(value);
    if (ms === undefined || ms < minMs || ms > maxMs) {
      const [flag, variable] = SOURCES[key];
      throw new ConfigError(
        `--${flag} / ${variable} must be a duration from ${formatDuration(minMs)} to ${formatDuration(maxMs)}, a whole number and a unit (s, m, h or d) like 90m or 7d, got "${value}"`,
      );
    }
    return ms;
  };
  const dataDir = resolve(raw('dataDir') ?? '.exodus');
  return Object.freeze({
    dataDir,
    queueUrl: raw('queueUrl') ?? `sqlite:${dataDir}`,
    storeUrl: raw('storeUrl') ?? `sqlite:${dataDir}`,
    host: raw('host') ?? '127.0.0.1',
    port: int('port', 3000, 0, 65535),
    healthPort: raw('healthPort') === undefined ? undefined : int('healthPort', 0, 0, 65535),
    passSecret: passSecret(dataDir, env),
    maxAttempts: int('maxAttempts', 5, 1, 100),
    maxLeaseLapses: int('maxLeaseLapses', DEFAULT_MAX_LEASE_LAPSES, 1, 1000),
    leaseMs: int('leaseMs', 5000, 100, 600_000),
    batchSize: int('batchSize', 256, 1, 10_000),
    retryBaseMs: int('retryBaseMs', 200, 1, 600_000),
    retryMaxMs: int('retryMaxMs', 30_000, 1, 3_600_000),
    maxBodyBytes: int('maxBodyBytes', 16_384, 256, 1_048_576),
    logLevel: raw('logLevel') ?? 'info',
    logFormat: logFormat(raw('logFormat')),
    storePoolSize: int('storePoolSize', 10, 1, 1000),
    tracesPerSecond: int('tracesPerSecond', DEFAULT_TRACES_PER_SECOND, 0, 1_000_000),
    frontDoor: Object.freeze({
      ipFailedWritesPerMinute: int('ipFailedWritesPerMinute', 120, 0, 1_000_000),
      evacueeWritesPerMinute: int('evacueeWritesPerMinute', 6, 0, 1_000_000),
      ipReadsPerMinute: int('ipReadsPerMinute', 0, 0, 1_000_000),
      shedEventLoopDelayMs: int('shedEventLoopDelayMs', 300, 0, 60_000),
      shedHeapUsedBytes: int(
        'shedHeapUsedBytes',
        Math.floor(getHeapStatistics().heap_size_limit * 0.9),
        0,
        Number.MAX_SAFE_INTEGER,
      ),
      maxInFlightWrites: int('maxInFlightWrites', 2000, 1, 1_000_000),
      maxRequestsInFlight: int('maxRequestsInFlight', 1000, 0, 1_000_000),
      maxConnections: int('maxConnections', 10_000, 0, 1_000_000),
      listenBacklog: int('listenBacklog', 4096, 1, 65_535),
      trustProxyHops: int('trustProxyHops', 0, 0, 10),
    }),
    console: Object.freeze({
      host: raw('consoleHost') ?? '127.0.0.1',
      port: int('consolePort', 3001, 1, 65535),
      retentionMs: duration('consoleRetention', DAY_MS, 1000, 365 * DAY_MS),
      maxBytes: int('consoleMaxMb', 256, 1, 1_000_000) * MIB,
      alertSpeedup: int('consoleAlertSpeedup', 1, 1, 86_400),
    }),
  });
}

function logFormat(value: string | undefined): 'pretty' | 'json' | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'pretty' || value === 'json') return value;
  throw new ConfigError(`--log-format / EXODUS_LOG_FORMAT is pretty or json, got "${value}"`);
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DAY_MS = UNIT_MS.d;
const MIB = 1024 * 1024;

/** `90s`, `15m`, `24h`, `7d` in ms; undefined when `text` is not a whole number followed by one of those units. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d{1,9})([smhd])$/.exec(text.trim());
  if (match === null) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** The largest unit that divides `ms` exactly: 86400000 → `1d`. */
function formatDuration(ms: number): string {
  const [unit, size] = Object.entries(UNIT_MS)
    .reverse()
    .find(([, size]) => ms % size === 0) ?? ['s', 1000];
  return `${ms / size}${unit}`;
}

/**
 * The boarding-pass signing secret: `EXODUS_PASS_SECRET`, or a random one created on first use in
 * the data dir (readable by its owner only), so a demo needs no setup and passes survive restarts.
 * "First use" is the first `reveal()`: loading the settings writes nothing.
 */
export function passSecret(dataDir: string, env: NodeJS.ProcessEnv = process.env): Secret {
  const fromEnv = env['EXODUS_PASS_SECRET'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < 16) throw new ConfigError('EXODUS_PASS_SECRET must be at least 16 characters');
    return new Secret(fromEnv);
  }
  return new Secret(() => {
    const file = join(dataDir, 'pass-secret');
    mkdirSync(dataDir, { recursive: true });
    createFileDurably(file, randomBytes(32).toString('base64url'), 0o600);
    const secret = readFileSync(file, 'utf8').trim();
    // Never sign with an empty key: a file cut short (written before it was written durably) is refused.
    if (secret.length < 16)
      throw new ConfigError(
        `the pass secret in ${file} is empty or cut short (a crash while it was written?): remove it and issue new boarding passes (exodus roster generate)`,
      );
    return secret;
  });
}
