import type { JSONSchema } from 'json-schema-to-ts';
import type { WireShape } from '../shared/wire-shape.js';

/**
 * The console's JSON API (`/api/v1/…`, documented at `/api/openapi.json`), declared once: the JSON
 * Schemas its routes validate and serialise with, and the TypeScript types derived from them, which
 * the routes answer with and the console page (and any script) reads. The page imports the types
 * only (erased at build), and this file imports no code: dependency rules hold both.
 */

/** An object schema; every property required but those named `optional`; no other property. */
const objectOf = <const P extends Readonly<Record<string, JSONSchema>>, const O extends keyof P & string = never>(
  properties: P,
  optional: readonly O[] = [],
) =>
  ({
    type: 'object',
    required: Object.keys(properties).filter((key) => !optional.includes(key as O)) as Exclude<keyof P & string, O>[],
    additionalProperties: false,
    properties,
  }) as const;
const nullable = <const S extends JSONSchema>(schema: S) => ({ anyOf: [schema, { type: 'null' }] }) as const;
const arrayOf = <const S extends JSONSchema>(items: S) => ({ type: 'array', items }) as const;
const text = { type: 'string' } as const;
const number = { type: 'number' } as const;
const described = <const S extends Exclude<JSONSchema, boolean>>(description: string, schema: S) =>
  ({ ...schema, description }) as const;

/** Attribute values as OTLP carries them, flattened (arrays and maps become JSON text). */
const attributes = { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } } as const;
export type Attributes = WireShape<typeof attributes>;
export type AttributeValue = Attributes[string];

const latency = described(
  'Percentiles in milliseconds over the last minute; null when nothing was measured',
  nullable(objectOf({ p50: number, p95: number, p99: number })),
);
export type Latency = NonNullable<WireShape<typeof latency>>;

const instance = objectOf({
  instance: described('`service.instance.id` (e.g. `worker-2` under `exodus up`), else host:pid', text),
  pid: described(
    "its OS pid: the supervisor's word where one keeps it (none while it waits to restart), else its own telemetry's `process.pid`",
    nullable(number),
  ),
  lastSeen: described(
    'last telemetry received from the process itself (ISO 8601); null if none (the console sends none)',
    nullable(text),
  ),
  up: described('running, as the supervisor says where one keeps the service; else heard from within the last 30 s', {
    type: 'boolean',
  }),
  crashLoop: described(
    'in a crash loop, as its supervisor says (exits in a row, each soon after its start): how many, and when it is tried next (null while it runs)',
    nullable(objectOf({ exits: number, nextTryAt: nullable(text) })),
  ),
});
export type InstanceSummary = WireShape<typeof instance>;

const service = objectOf({
  name: described(
    '`service.name`, e.g. `exodus-worker`: one of the services Exodus runs (a command that reports, like `exodus chaos`, is not one)',
    text,
  ),
  running: described('how many of `instances` are up', number),
  wanted: described(
    'processes the supervisor keeps (the length of `instances` then); null when no supervisor reports this service',
    nullable(number),
  ),
  restarts: described('restarts since the supervisor started', number),
  ratePerSecond: described(
    'requests (frontend) or messages processed (consumers) per second over the last minute',
    number,
  ),
  errorRate: described(
    "share of those that failed, 0..1: a 5xx other than a refusal, or a processing error (the SLOs' definition)",
    number,
  ),
  refusedRate: described(
    'share of those refused on purpose, 0..1: 429 (rate limit) and 503 (load shed), both with Retry-After; not errors',
    number,
  ),
  latencyMs: latency,
  instances: described(
    'where a supervisor keeps the service, its processes (running or waiting to restart); else those heard from',
    arrayOf(instance),
  ),
});
export type ServiceSummary = WireShape<typeof service>;

const queue = objectOf({
  name: text,
  ready: number,
  inFlight: number,
  delayed: number,
  dead: number,
  oldestAgeSeconds: number,
  at: described('when these figures were measured (ISO 8601)', text),
});
export type QueueSummary = WireShape<typeof queue>;

const chart = described(
  'A chart for uPlot: one shared time axis (unix seconds) and a value per series per time (null: no data)',
  objectOf({
    title: text,
    unit: text,
    times: arrayOf(number),
    series: arrayOf(objectOf({ label: text, values: arrayOf({ type: ['number', 'null'] }) })),
  }),
);
export type Chart = WireShape<typeof chart>;

export const overviewSchema = objectOf({
  services: arrayOf(service),
  queues: arrayOf(queue),
  wishesPerSecond: described(
    'wishes per second over the last minute, by outcome',
    objectOf({ accepted: number, stored: number, superseded: number, rejected: number }),
  ),
  tally: described(
    'wishes on the wall by destination, as the tally last reported; null before it has',
    nullable(objectOf({ mars: number, europa: number })),
  ),
  charts: described(
    'the last 15 minutes: wishes by outcome, requests and errors, queue depth, p99 latency, CPU and memory by service',
    arrayOf(chart),
  ),
  generatedAt: text,
});
export type Overview = WireShape<typeof overviewSchema>;

const spanEvent = objectOf({ name: text, time: text, attributes });
export type SpanEvent = WireShape<typeof spanEvent>;
const spanLink = objectOf({ traceId: text, spanId: text });
export type SpanLink = WireShape<typeof spanLink>;

const SPAN_STATUSES = ['unset', 'ok', 'error'] as const;
const span = objectOf({
  traceId: text,
  spanId: text,
  parentSpanId: nullable(text),
  service: text,
  instance: text,
  name: text,
  kind: { type: 'string', enum: ['internal', 'server', 'client', 'producer', 'consumer'] },
  start: described('ISO 8601 with microseconds dropped', text),
  startMs: described('milliseconds since the epoch, fractional, for placing the span on the waterfall', number),
  durationMs: number,
  status: { type: 'string', enum: SPAN_STATUSES },
  statusMessage: text,
  attributes,
  events: described(
    'includes exceptions: `exception` events carry `exception.type`, `.message`, `.stacktrace`',
    arrayOf(spanEvent),
  ),
  links: arrayOf(spanLink),
});
export type SpanView = WireShape<typeof span>;

const trace = objectOf({
  traceId: text,
  rootService: described('the span without a parent (or the earliest one), for the list', text),
  rootName: text,
  start: text,
  durationMs: number,
  errorCount: number,
  spans: arrayOf(span),
});
export type TraceView = WireShape<typeof trace>;

export const tracesSchema = objectOf({
  traces: described(
    'matching traces, newest first; a wish’s search also returns the traces joined to it by span links (a batch that carried it), so its whole journey is here',
    arrayOf(trace),
  ),
});
export type TracesResponse = WireShape<typeof tracesSchema>;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const logLine = objectOf({
  time: text,
  service: text,
  instance: text,
  level: { type: 'string', enum: LOG_LEVELS },
  message: text,
  traceId: nullable(text),
  spanId: nullable(text),
  attributes,
});
export type LogLine = WireShape<typeof logLine>;

export const logsSchema = objectOf({ logs: described('oldest first', arrayOf(logLine)) });
export type LogsResponse = WireShape<typeof logsSchema>;

const event = described(
  'What happened to the system, from log records that carry `event.name`: `process.started`, `process.exited`, `process.restarted`, `message.dead_lettered`, `load_shedding.on`/`.off`, `wish.injection_attempt`, … Details are text, never rendered as markup.',
  objectOf({ time: text, kind: text, service: text, process: text, detail: attributes, traceId: nullable(text) }),
);
export type EventView = WireShape<typeof event>;

export const eventsSchema = objectOf({ events: described('newest first', arrayOf(event)) });
export type EventsResponse = WireShape<typeof eventsSchema>;

export const servicesSchema = objectOf({ services: arrayOf(service) });
export type ServicesResponse = WireShape<typeof servicesSchema>;

export const queuesSchema = objectOf({ queues: arrayOf(queue) });
export type QueuesResponse = WireShape<typeof queuesSchema>;

const sloBudget = described(
  "An SLO's indicator and error budget over what the console keeps",
  objectOf(
    {
      name: text,
      displayName: text,
      target: described('the objective, e.g. 0.999', number),
      windowMs: described(
        "the window the figures cover: the console's retention (the SLO's own window is longer)",
        number,
      ),
      good: number,
      total: number,
      sli: described('good ÷ total; null without events (or with a problem)', nullable(number)),
      budgetLeft: described(
        '1 − (1 − sli) ÷ (1 − target): 1 untouched, 0 spent, negative overspent; null without events',
        nullable(number),
      ),
      problem: described('why it cannot be computed here (a selector the console cannot read)', text),
    },
    ['problem'],
  ),
);
export type SloBudget = WireShape<typeof sloBudget>;

export const slosSchema = objectOf({ slos: arrayOf(sloBudget), generatedAt: text });
export type SlosResponse = WireShape<typeof slosSchema>;

const alertWindow = objectOf({
  window: described('as the Prometheus rules name it: 5m, 30m, 1h, 6h, 3d', text),
  windowMs: described('the window evaluated, in ms: the named one divided by `speedup`', number),
  coveredMs: described(
    'how much of the window the events cover (from the first step with events): a window longer than what the console has seen is read over what it has',
    number,
  ),
  good: number,
  total: number,
  errorRatio: described(
    '1 − good ÷ total over the window; null without events (it then never burns)',
    nullable(number),
  ),
  burnRate: described(
    'errorRatio ÷ error budget (1 − target): 1 spends the budget exactly over its 30 days',
    nullable(number),
  ),
});
export type AlertWindow = WireShape<typeof alertWindow>;

export const ALERT_STATES = ['inactive', 'pending', 'firing'] as const;
const alertView = described(
  'One burn-rate alert of one SLO, as the console evaluates the rules `exodus slo rules` writes for Prometheus (src/domain/burn-rate.ts) over the telemetry it keeps',
  objectOf(
    {
      slo: described('the SLO (`slo/*.yaml` metadata.name)', text),
      sloDisplayName: text,
      alert: described('the Prometheus alert: SLOErrorBudgetBurningFast or SLOErrorBudgetBurning', text),
      severity: { type: 'string', enum: ['page', 'ticket'] },
      state: described('pending: a pair burns, not yet for `forMs`; firing: it has; inactive: no pair burns', {
        type: 'string',
        enum: ALERT_STATES,
      }),
      since: described(
        'when it entered its state (ISO 8601): fired, became pending, or resolved; null: inactive since the console started',
        nullable(text),
      ),
      forMs: described('how long a pair must burn before it fires (divided by `speedup`)', number),
      window: described(
        'the long window of the first pair that burns (else of the pair nearest to burning), which `burnRate` and `budgetBurnt` are over',
        text,
      ),
      burnRate: described("that window's burn rate; null without events", nullable(number)),
      budgetBurnt: described(
        'share of the 30-day error budget burnt in that window: burnRate × the time its events cover ÷ 30 days (14.4× over a whole hour = 0.02)',
        nullable(number),
      ),
      pairs: described(
        'each window pair: it burns when both windows burn faster than `factor`',
        arrayOf(objectOf({ factor: number, burning: { type: 'boolean' }, long: alertWindow, short: alertWindow })),
      ),
      problem: described('why it cannot be evaluated here (an SLO selector the console cannot read)', text),
    },
    ['problem'],
  ),
);
export type AlertView = WireShape<typeof alertView>;

export const alertsSchema = objectOf({
  alerts: described('every alert of every SLO: firing first, then pending, then by SLO', arrayOf(alertView)),
  evaluatedAt: described('the last evaluation (ISO 8601); null before the first', nullable(text)),
  everyMs: described('how often the console evaluates them', number),
  speedup: described(
    'windows and `for` are divided by this (EXODUS_CONSOLE_ALERT_SPEEDUP, for demos and tests); 1 in earnest',
    number,
  ),
});
export type AlertsResponse = WireShape<typeof alertsSchema>;

const liveSignal = objectOf({
  kind: described('event: an event kind; slo: an SLO, live while one of its burn-rate alerts fires; metric', {
    type: 'string',
    enum: ['event', 'slo', 'metric'],
  }),
  ref: described('what it names: the event kind, the SLO, or the metric (without attributes)', text),
  name: described(
    'in words, with the attributes a metric is read at: `exodus.queue.messages{exodus.queue.state=dead}`',
    text,
  ),
  liveWhen: described('when it counts as live, in words: `seen in the last 15 min`, `above 10 s`, …', text),
  live: { type: 'boolean' },
  at: described(
    'when it was last seen (event, metric) or since when it fires (SLO); null: not in the last 15 min',
    nullable(text),
  ),
  value: described("a metric's figure: its highest newest value, or its growth in the last 15 min", nullable(number)),
});
export type LiveSignalView = WireShape<typeof liveSignal>;

const failureMode = objectOf({
  id: text,
  failure: text,
  detectedBy: text,
  usersSee: text,
  mitigation: text,
  provenBy: described('tests and experiments that prove the mitigation (Markdown code spans as in the doc)', text),
  severity: described('1–10', number),
  occurrence: described('1–10', number),
  detection: described('1–10: 1 the console says it within seconds, 10 nothing would tell', number),
  rrn: described('Risk Reference Number: severity × occurrence × detection, 1..1000', number),
  signals: arrayOf(liveSignal),
});
export type FailureModeView = WireShape<typeof failureMode>;

export const failureModesSchema = objectOf({
  failureModes: described('highest RRN first (docs/failure-modes.md is the same table)', arrayOf(failureMode)),
  scales: described('what each score means, 1 to 10', objectOf({ severity: text, occurrence: text, detection: text })),
  liveWindowMs: described('how recent an event or a metric’s growth must be to count as live', number),
  generatedAt: text,
});
export type FailureModesResponse = WireShape<typeof failureModesSchema>;

const bytesOrNull = nullable(number);
const instanceResources = objectOf({
  service: text,
  instance: text,
  pid: nullable(number),
  cpuCores: described(
    'cores used over the last minute (process.cpu.time per second); null before its first report',
    nullable(number),
  ),
  rssBytes: described('resident memory, as last reported', number),
  heapBytes: described('V8 heap used, every space', bytesOrNull),
  heapLimitBytes: bytesOrNull,
  eventLoopDelayP99Ms: described('event-loop delay p99 as last reported', nullable(number)),
  eventLoopUtilization: described('share of the time the event loop was busy, 0..1', nullable(number)),
});
export type InstanceResources = WireShape<typeof instanceResources>;

const serviceResources = objectOf({
  service: text,
  processes: described('processes it is given: what the supervisor keeps, else those heard from', number),
  cpuCores: objectOf({
    average: described(
      'cores used by all its processes, averaged over the minutes of the last 15 with reports',
      nullable(number),
    ),
    peak: described('cores used by all its processes in the busiest of those minutes', nullable(number)),
    busiestProcess: described('cores used by its busiest process over the last minute', nullable(number)),
  }),
  rssBytes: objectOf({ now: nullable(number), peakProcess: nullable(number) }),
  eventLoopDelayP99Ms: objectOf({
    peak: described('the highest p99 any of its processes reported in the last 15 minutes', nullable(number)),
  }),
  heapShare: objectOf({ peak: described('the highest share of its heap limit a process uses now', nullable(number)) }),
  cpuSecondsPerMillionWishes: described(
    'CPU seconds it used in the last 15 minutes per million wishes accepted in them; null without wishes',
    nullable(number),
  ),
  judgedSinceMs: described('how long it has reported CPU (the rules wait for 30 s)', number),
});
export type ServiceResources = WireShape<typeof serviceResources>;

const suggestion = objectOf({
  service: text,
  rule: { type: 'string', enum: ['fewer-would-do', 'add-a-process', 'heap-near-its-limit'] },
  processes: number,
  suggested: number,
  text: described('the suggestion in words, with the figure that made it', text),
});
export type Suggestion = WireShape<typeof suggestion>;

export const resourcesSchema = objectOf({
  instances: arrayOf(instanceResources),
  services: arrayOf(serviceResources),
  suggestions: arrayOf(suggestion),
  generatedAt: text,
});
export type ResourcesResponse = WireShape<typeof resourcesSchema>;

// What the routes take: query strings, validated (a bad one is a 400 naming the parameter).

const id = { type: 'string', minLength: 1, maxLength: 128 } as const;
const time = { type: 'string', format: 'date-time' } as const;
const limit = <const N extends number, const D extends number>(maximum: N, fallback: D) =>
  ({ type: 'integer', minimum: 1, maximum, default: fallback }) as const;
const query = <const P extends Readonly<Record<string, JSONSchema>>>(properties: P) =>
  ({ type: 'object', additionalProperties: false, properties }) as const;

export const tracesQuery = query({
  wish: id,
  trace: id,
  evacuee: id,
  service: id,
  status: { type: 'string', enum: SPAN_STATUSES },
  minDurationMs: { type: 'number', minimum: 0 },
  limit: limit(100, 20),
});
export type TracesQuery = WireShape<typeof tracesQuery>;

export const logsQuery = query({
  service: id,
  instance: id,
  level: { type: 'string', enum: LOG_LEVELS },
  q: { type: 'string', maxLength: 200 },
  around: time,
  window: { type: 'string', pattern: '^[0-9]{1,5}(ms|s|m)$', default: '3s' },
  trace: id,
  limit: limit(5000, 500),
});
export type LogsQuery = WireShape<typeof logsQuery>;

export const eventsQuery = query({ since: time, kind: id, limit: limit(1000, 200) });
export type EventsQuery = WireShape<typeof eventsQuery>;
