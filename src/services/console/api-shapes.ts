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

/** Work (requests or messages processed) over the last minute: rate, failed and refused shares, latency. */
const workProperties = {
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
} as const;

const instanceProperties = {
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
  version: described(
    '`service.version` it last reported (the package version unless its environment says another); null if it said none',
    nullable(text),
  ),
  host: described(
    "`host.name` it last reported; for a process that never reported, its supervisor's host; null if unknown",
    nullable(text),
  ),
  pod: described('`k8s.pod.name`, on Kubernetes', nullable(text)),
  node: described('`k8s.node.name`, on Kubernetes', nullable(text)),
} as const;
const instance = objectOf(instanceProperties);
export type InstanceSummary = WireShape<typeof instance>;

const service = objectOf({
  name: described(
    '`service.name`, e.g. `exodus-worker`: one of the services Exodus runs (a command that reports, like `exodus chaos`, is not one)',
    text,
  ),
  running: described('how many of `instances` are up', number),
  wanted: described(
    'processes the supervisor keeps, plus any other of the service up (heard from within 30 s; the length of `instances` then); null when no supervisor reports this service',
    nullable(number),
  ),
  restarts: described('restarts since the supervisor started', number),
  ...workProperties,
  waitingFor: described(
    'dependencies (store, broker) its consumers are holding messages for right now, as they last said (within 30 s): which, and how many messages held',
    arrayOf(objectOf({ dependency: text, held: number })),
  ),
  instances: described(
    'where a supervisor keeps the service, its processes (running or waiting to restart) and any other up (a canary started by hand); else those heard from in the last 15 minutes',
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

const chartMarker = described(
  'A moment to mark on the time axis: a deploy (`service.deployed`), with its versions',
  objectOf({ time: described('unix seconds', number), label: text }),
);
export type ChartMarker = WireShape<typeof chartMarker>;

const chart = described(
  'A chart for uPlot: one shared time axis (unix seconds) and a value per series per time (null: no data)',
  objectOf(
    {
      title: text,
      unit: text,
      times: arrayOf(number),
      series: arrayOf(objectOf({ label: text, values: arrayOf({ type: ['number', 'null'] }) })),
      markers: described('deploys within the chart’s time, drawn as vertical lines', arrayOf(chartMarker)),
    },
    ['markers'],
  ),
);
export type Chart = WireShape<typeof chart>;

const host = described(
  'The processes on one host (`host.name`; `unknown` for those that never said): running and wanted, and each of them',
  objectOf({
    host: text,
    running: number,
    wanted: number,
    allStopped: described('it has processes and none of them runs: "running processes = 0 on host X"', {
      type: 'boolean',
    }),
    processes: arrayOf(objectOf({ service: text, instance: text, up: { type: 'boolean' }, version: nullable(text) })),
  }),
);
export type HostSummary = WireShape<typeof host>;

export const overviewSchema = objectOf({
  services: arrayOf(service),
  hosts: described('processes by host, from the services’ instances', arrayOf(host)),
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

const processView = described(
  'One process of the service: what the overview says of it, and its history as its supervisor told it',
  objectOf({
    ...instanceProperties,
    startedAt: described(
      "when it last started (ISO 8601): its supervisor's start or restart event, else when its own CPU counter began; null if unknown",
      nullable(text),
    ),
    restarts: described('restarts of this process (its supervisor’s count); 0 when none or not supervised', number),
    lastExit: described(
      'its last exit as its supervisor told it: when, the code or signal, and whether it was told to stop (a planned stop is no crash); null if none seen',
      nullable(objectOf({ at: text, code: nullable(number), signal: nullable(text), planned: { type: 'boolean' } })),
    ),
  }),
);
export type ProcessView = WireShape<typeof processView>;

const versionWork = described(
  "The service's work by the version its processes run: while two run (a canary), side by side",
  objectOf({ version: text, instances: arrayOf(text), ...workProperties }),
);
export type VersionWork = WireShape<typeof versionWork>;

const traceSummary = objectOf({
  traceId: text,
  rootService: text,
  rootName: text,
  start: text,
  durationMs: number,
  errorCount: number,
  spanCount: number,
});
export type TraceSummary = WireShape<typeof traceSummary>;

export const servicePageSchema = objectOf({
  service: described('`service.name`, e.g. `exodus-worker`', text),
  shortName: described('as the CLI says it, e.g. `worker`', text),
  instance: described('the process the page is focused on (`?instance=`), else null', nullable(text)),
  summary: described("the overview's row of the service (its instances narrowed to the process, if focused)", service),
  processes: arrayOf(processView),
  versions: described(
    'work over the last minute per version run (one entry when one version runs)',
    arrayOf(versionWork),
  ),
  charts: described(
    'the last 15 minutes: rate, errors and p99 latency (a series per version), CPU, memory, heap and event-loop delay (a series per process); deploys marked',
    arrayOf(chart),
  ),
  resources: described("each of its processes' resources now", arrayOf(instanceResources)),
  events: described('its latest events, newest first', arrayOf(event)),
  logs: described('its latest log lines, oldest first', arrayOf(logLine)),
  slowestTraces: described(
    'the slowest of its latest traces (one-span receive and scrape traces left out)',
    arrayOf(traceSummary),
  ),
  failingTraces: described('its latest traces with an error span, newest first', arrayOf(traceSummary)),
  generatedAt: text,
});
export type ServicePage = WireShape<typeof servicePageSchema>;

export const problemSchema = described(
  'RFC 9457 problem details: `detail` says what was wrong (an unknown service names the known ones)',
  objectOf({ type: text, title: text, status: number, detail: text }),
);
const milliseconds = (what: string) =>
  described(`ms from its POST until ${what}; null when the run did not see it`, nullable(number));
const canaryRun = objectOf(
  {
    at: described('when its POST was sent (ISO 8601)', text),
    ok: described('its wish was accepted, stored and on the read model within the bound (10 s)', {
      type: 'boolean',
    }),
    wishId: described(
      'the wish it handed in (a trace search finds its journey); null when none was accepted',
      nullable(text),
    ),
    acceptedMs: milliseconds('the 202'),
    storedMs: milliseconds('its status read stored'),
    wallMs: milliseconds('the read model had it (where it would be on the wall)'),
    error: described('why it failed, naming the stage', text),
  },
  ['error'],
);
export type CanaryRunView = WireShape<typeof canaryRun>;

export const canarySchema = objectOf({
  runs: described(
    "the synthetic canary's runs (`exodus up`, a wish every 10 s by default), newest first: the last 30 in the last 15 minutes",
    arrayOf(canaryRun),
  ),
  generatedAt: text,
});
export type CanaryResponse = WireShape<typeof canarySchema>;

// What the routes take: query strings, validated (a bad one is a 400 naming the parameter).

const id = { type: 'string', minLength: 1, maxLength: 128 } as const;
const time = { type: 'string', format: 'date-time' } as const;
const limit = <const N extends number, const D extends number>(maximum: N, fallback: D) =>
  ({ type: 'integer', minimum: 1, maximum, default: fallback }) as const;
const query = <const P extends Readonly<Record<string, JSONSchema>>>(properties: P) =>
  ({ type: 'object', additionalProperties: false, properties }) as const;

/**
 * `key=value`: an attribute that must equal a value (a number or boolean matches its spelling);
 * several may be given (`where=…&where=…`), all must hold. Keys as OpenTelemetry writes them.
 */
const attributeMatches = described(
  'attributes that must equal these values, each `key=value` (e.g. `http.response.status_code=503`); all must hold',
  { type: 'array', maxItems: 8, items: { type: 'string', pattern: '^[A-Za-z0-9_.:/-]{1,128}=.{1,256}$' } },
);

export const tracesQuery = query({
  wish: id,
  trace: id,
  evacuee: id,
  service: id,
  status: described('the span status', { type: 'string', enum: SPAN_STATUSES }),
  httpStatus: described('a span answered with this HTTP status code (`http.response.status_code`)', {
    type: 'integer',
    minimum: 100,
    maximum: 599,
  }),
  where: described('on one span, all of them', attributeMatches),
  minDurationMs: { type: 'number', minimum: 0 },
  all: described(
    '`1` (or `true`): also the traces of one span alone that is a consumer’s `receive …` or a `GET /metrics` scrape (left out unless asked; a search by id shows everything)',
    { type: 'string', enum: ['1', 'true', '0', 'false'] },
  ),
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

export const serviceParams = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: described('`worker` or `exodus-worker`', id) },
} as const;
export type ServiceParams = WireShape<typeof serviceParams>;

export const serviceQuery = query({ instance: described('focus on one process, e.g. `worker-2`', id) });
export type ServiceQuery = WireShape<typeof serviceQuery>;

export const eventsQuery = query({ since: time, kind: id, limit: limit(1000, 200) });
export type EventsQuery = WireShape<typeof eventsQuery>;

// The metrics explorer: any instrument received, by attribute, as a chart and a table.

const INSTRUMENT_KINDS = ['counter', 'gauge', 'histogram'] as const;
export type InstrumentKind = (typeof INSTRUMENT_KINDS)[number];
const instrumentKind = described(
  'counter: a cumulative sum, shown as a rate per second (resets and restarts handled); gauge: a value; histogram: percentiles of its observations',
  { type: 'string', enum: INSTRUMENT_KINDS },
);

const instrument = objectOf({
  name: text,
  kind: instrumentKind,
  unit: described('as its sender declared it (UCUM: `s`, `By`, `{wish}`); null if none said', nullable(text)),
  attributeKeys: described(
    'the attribute keys of its recent points; `by` also takes `service.name` and `service.instance.id`',
    arrayOf(text),
  ),
  services: arrayOf(text),
  lastSeen: described('its newest point (ISO 8601)', text),
});
export type Instrument = WireShape<typeof instrument>;

export const metricsSchema = objectOf({
  instruments: described('every instrument with a point in what the console keeps, by name', arrayOf(instrument)),
  generatedAt: text,
});
export type MetricsResponse = WireShape<typeof metricsSchema>;

export const METRIC_WINDOWS = ['5m', '15m', '1h', '6h', '24h'] as const;
export type MetricWindow = (typeof METRIC_WINDOWS)[number];
export const HISTOGRAM_STATS = ['p50', 'p95', 'p99', 'rate'] as const;
export const GAUGE_AGGREGATIONS = ['sum', 'max', 'min', 'avg'] as const;

export const metricParams = { type: 'object', required: ['name'], properties: { name: id } } as const;
export type MetricParams = WireShape<typeof metricParams>;

export const metricQuery = query({
  by: described('an attribute key, or `service.name` / `service.instance.id`: one series per value', id),
  service: described('only what this service sent (`worker` or `exodus-worker`)', id),
  where: attributeMatches,
  window: described('how far back; steps of 15 s up to 15m, then 1 min, 5 min and 20 min', {
    type: 'string',
    enum: METRIC_WINDOWS,
    default: '15m',
  }),
  stat: described('a histogram’s chart: a percentile of each step, or observations per second', {
    type: 'string',
    enum: HISTOGRAM_STATS,
    default: 'p95',
  }),
  agg: described('a gauge’s chart: how the series of one group (processes, attribute sets) combine', {
    type: 'string',
    enum: GAUGE_AGGREGATIONS,
    default: 'sum',
  }),
});
export type MetricQuery = WireShape<typeof metricQuery>;

export const metricSeriesSchema = objectOf({
  name: text,
  kind: instrumentKind,
  unit: nullable(text),
  by: nullable(text),
  window: { type: 'string', enum: METRIC_WINDOWS },
  stepSeconds: number,
  statistic: described('what the chart plots, in words', text),
  chart: described('one series per group (at most 10, the largest); times are step ends', chart),
  columns: described(
    'the table’s figures over the whole window, in order',
    arrayOf(objectOf({ label: text, unit: nullable(text) })),
  ),
  rows: described(
    'one per group, largest first (at most 50); a group is the `by` value (`(none)` where a point has none)',
    arrayOf(objectOf({ group: text, values: arrayOf(nullable(number)) })),
  ),
  groupsOmitted: described('groups beyond the table’s 50, left out (the chart shows the first 10 rows)', number),
  generatedAt: text,
});
export type MetricSeriesResponse = WireShape<typeof metricSeriesSchema>;
