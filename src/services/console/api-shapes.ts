/**
 * The console's JSON API, as the console page and any script see it (`/api/v1/…`, documented at
 * `/api/openapi.json`). Types only: the page (web/console) imports this file and nothing else of
 * the server's, so it holds no code and imports nothing.
 */

/** Attribute values as OTLP carries them, flattened (arrays and maps become JSON text). */
export type AttributeValue = string | number | boolean;
export type Attributes = Readonly<Record<string, AttributeValue>>;

/** Percentiles in milliseconds over the last minute; null when nothing was measured. */
export interface Latency {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

export interface InstanceSummary {
  /** `service.instance.id` (e.g. `worker-2` under `exodus up`), else host:pid. */
  readonly instance: string;
  /** Its OS pid: the supervisor's word where one keeps it (none while it waits to restart), else its own telemetry's `process.pid`. */
  readonly pid: number | null;
  /** Last telemetry received from the process itself (ISO 8601); null if none (the console sends none). */
  readonly lastSeen: string | null;
  /** Running, as the supervisor says where one keeps the service; else heard from within the last 30 s. */
  readonly up: boolean;
}

export interface ServiceSummary {
  /** `service.name`, e.g. `exodus-worker`: one of the services Exodus runs (a command that reports, like `exodus chaos`, is not one). */
  readonly name: string;
  /** How many of `instances` are up. */
  readonly running: number;
  /** Processes the supervisor keeps (the length of `instances` then); null when no supervisor reports this service. */
  readonly wanted: number | null;
  /** Restarts since the supervisor started. */
  readonly restarts: number;
  /** Requests (frontend) or messages processed (consumers) per second over the last minute. */
  readonly ratePerSecond: number;
  /** Share of those that failed, 0..1: a 5xx other than a refusal, or a processing error (the SLOs' definition). */
  readonly errorRate: number;
  /** Share of those refused on purpose, 0..1: 429 (rate limit) and 503 (load shed), both with Retry-After; not errors. */
  readonly refusedRate: number;
  readonly latencyMs: Latency | null;
  /** Where a supervisor keeps the service, its processes (running or waiting to restart); else those heard from. */
  readonly instances: readonly InstanceSummary[];
}

export interface QueueSummary {
  readonly name: string;
  readonly ready: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly dead: number;
  readonly oldestAgeSeconds: number;
  /** When these figures were measured (ISO 8601). */
  readonly at: string;
}

/** A chart for uPlot: one shared time axis (unix seconds) and a value per series per time (null: no data). */
export interface Chart {
  readonly title: string;
  readonly unit: string;
  readonly times: readonly number[];
  readonly series: readonly { readonly label: string; readonly values: readonly (number | null)[] }[];
}

export interface Overview {
  readonly services: readonly ServiceSummary[];
  readonly queues: readonly QueueSummary[];
  /** Wishes per second over the last minute, by outcome. */
  readonly wishesPerSecond: {
    readonly accepted: number;
    readonly stored: number;
    readonly superseded: number;
    readonly rejected: number;
  };
  /** Wishes on the wall by destination, as the tally last reported; null before it has. */
  readonly tally: { readonly mars: number; readonly europa: number } | null;
  /** The last 15 minutes: wishes by outcome, requests and errors, queue depth, p99 latency. */
  readonly charts: readonly Chart[];
  readonly generatedAt: string;
}

export interface SpanEvent {
  readonly name: string;
  readonly time: string;
  readonly attributes: Attributes;
}

export interface SpanLink {
  readonly traceId: string;
  readonly spanId: string;
}

export interface SpanView {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly service: string;
  readonly instance: string;
  readonly name: string;
  readonly kind: 'internal' | 'server' | 'client' | 'producer' | 'consumer';
  /** ISO 8601 with microseconds dropped. */
  readonly start: string;
  /** Milliseconds since the epoch, fractional, for placing the span on the waterfall. */
  readonly startMs: number;
  readonly durationMs: number;
  readonly status: 'unset' | 'ok' | 'error';
  readonly statusMessage: string;
  readonly attributes: Attributes;
  /** Includes exceptions: `exception` events carry `exception.type`, `.message`, `.stacktrace`. */
  readonly events: readonly SpanEvent[];
  readonly links: readonly SpanLink[];
}

export interface TraceView {
  readonly traceId: string;
  /** The span without a parent (or the earliest one), for the list. */
  readonly rootService: string;
  readonly rootName: string;
  readonly start: string;
  readonly durationMs: number;
  readonly errorCount: number;
  readonly spans: readonly SpanView[];
}

export interface TracesResponse {
  /**
   * Matching traces, newest first. A wish's search also returns the traces joined to it by span
   * links (a batch that carried it), so its whole journey is here.
   */
  readonly traces: readonly TraceView[];
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface LogLine {
  readonly time: string;
  readonly service: string;
  readonly instance: string;
  readonly level: LogLevel;
  readonly message: string;
  readonly traceId: string | null;
  readonly spanId: string | null;
  readonly attributes: Attributes;
}

export interface LogsResponse {
  /** Oldest first. */
  readonly logs: readonly LogLine[];
}

/**
 * What happened to the system, from log records that carry `event.name`: `process.started`,
 * `process.exited`, `process.restarted`, `message.dead_lettered`, `load_shedding.on`/`.off`,
 * `wish.injection_attempt`, … Details are text, never rendered as markup.
 */
export interface EventView {
  readonly time: string;
  readonly kind: string;
  readonly service: string;
  readonly process: string;
  readonly detail: Attributes;
  readonly traceId: string | null;
}

export interface EventsResponse {
  /** Newest first. */
  readonly events: readonly EventView[];
}

export interface ServicesResponse {
  readonly services: readonly ServiceSummary[];
}

export interface QueuesResponse {
  readonly queues: readonly QueueSummary[];
}

/** An SLO's indicator and error budget over what the console keeps (GET /api/v1/slos). */
export interface SloBudget {
  readonly name: string;
  readonly displayName: string;
  /** The objective, e.g. 0.999. */
  readonly target: number;
  /** The window the figures cover: the console's retention (the SLO's own window is longer). */
  readonly windowMs: number;
  readonly good: number;
  readonly total: number;
  /** good ÷ total; null without events (or with a problem). */
  readonly sli: number | null;
  /** 1 − (1 − sli) ÷ (1 − target): 1 untouched, 0 spent, negative overspent; null without events. */
  readonly budgetLeft: number | null;
  /** Why it cannot be computed here (a selector the console cannot read). */
  readonly problem?: string;
}

export interface SlosResponse {
  readonly slos: readonly SloBudget[];
  readonly generatedAt: string;
}
