import type { FastifyInstance } from 'fastify';
import type { TelemetryStore } from '../../ports/index.js';
import type {
  EventsResponse,
  LogLevel,
  LogsResponse,
  Overview,
  QueuesResponse,
  ServicesResponse,
  SlosResponse,
  TracesResponse,
} from './api-shapes.js';
import { buildOverview, buildQueues, buildServices } from './overview.js';
import { LOG_LEVELS, searchEvents, searchLogs, searchTraces } from './search.js';
import { sloBudgets, type SloDefinition } from './slo-budgets.js';

/*
 * The console's JSON API. Query strings are validated by schema (a bad one is a 400 naming the
 * parameter); the response schemas document the shapes in /api/openapi.json.
 */

const id = { type: 'string', minLength: 1, maxLength: 128 } as const;
const time = { type: 'string', format: 'date-time' } as const;
const limit = (max: number, fallback: number) =>
  ({ type: 'integer', minimum: 1, maximum: max, default: fallback }) as const;
const attributes = { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } } as const;
const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });
/** An object schema; every property required unless `required` names fewer. */
const objectOf = (properties: Record<string, object>, required: readonly string[] = Object.keys(properties)) =>
  ({ type: 'object', required, properties }) as const;

const latency = nullable(objectOf({ p50: { type: 'number' }, p95: { type: 'number' }, p99: { type: 'number' } }));
const service = objectOf({
  name: { type: 'string' },
  running: { type: 'number' },
  wanted: nullable({ type: 'number' }),
  restarts: { type: 'number' },
  ratePerSecond: { type: 'number' },
  errorRate: { type: 'number' },
  refusedRate: { type: 'number' },
  latencyMs: latency,
  instances: {
    type: 'array',
    items: objectOf({
      instance: { type: 'string' },
      pid: nullable({ type: 'number' }),
      lastSeen: nullable({ type: 'string' }),
      up: { type: 'boolean' },
    }),
  },
});
const queue = objectOf({
  name: { type: 'string' },
  ready: { type: 'number' },
  inFlight: { type: 'number' },
  delayed: { type: 'number' },
  dead: { type: 'number' },
  oldestAgeSeconds: { type: 'number' },
  at: { type: 'string' },
});
const chart = objectOf({
  title: { type: 'string' },
  unit: { type: 'string' },
  times: { type: 'array', items: { type: 'number' } },
  series: {
    type: 'array',
    items: objectOf({ label: { type: 'string' }, values: { type: 'array', items: { type: ['number', 'null'] } } }),
  },
});
const span = objectOf({
  traceId: { type: 'string' },
  spanId: { type: 'string' },
  parentSpanId: nullable({ type: 'string' }),
  service: { type: 'string' },
  instance: { type: 'string' },
  name: { type: 'string' },
  kind: { type: 'string', enum: ['internal', 'server', 'client', 'producer', 'consumer'] },
  start: { type: 'string' },
  startMs: { type: 'number' },
  durationMs: { type: 'number' },
  status: { type: 'string', enum: ['unset', 'ok', 'error'] },
  statusMessage: { type: 'string' },
  attributes,
  events: { type: 'array', items: objectOf({ name: { type: 'string' }, time: { type: 'string' }, attributes }) },
  links: { type: 'array', items: objectOf({ traceId: { type: 'string' }, spanId: { type: 'string' } }) },
});
const trace = objectOf({
  traceId: { type: 'string' },
  rootService: { type: 'string' },
  rootName: { type: 'string' },
  start: { type: 'string' },
  durationMs: { type: 'number' },
  errorCount: { type: 'number' },
  spans: { type: 'array', items: span },
});
const logLine = objectOf({
  time: { type: 'string' },
  service: { type: 'string' },
  instance: { type: 'string' },
  level: { type: 'string', enum: LOG_LEVELS },
  message: { type: 'string' },
  traceId: nullable({ type: 'string' }),
  spanId: nullable({ type: 'string' }),
  attributes,
});
const event = objectOf({
  time: { type: 'string' },
  kind: { type: 'string' },
  service: { type: 'string' },
  process: { type: 'string' },
  detail: attributes,
  traceId: nullable({ type: 'string' }),
});

const respond = (schema: object) => ({ 200: schema });
const tags = ['console'];

/** SLO budgets read a day of points: computed at most this often, whoever asks. */
const SLO_CACHE_MS = 30_000;

export function registerApiRoutes(
  app: FastifyInstance,
  store: TelemetryStore,
  objectives: { readonly slos: readonly SloDefinition[]; readonly windowMs: number },
): void {
  const services = { type: 'array', items: service };
  const queues = { type: 'array', items: queue };

  app.get(
    '/api/v1/overview',
    {
      schema: {
        tags,
        summary: 'Services, queues, wishes per second, the tally and charts of the last 15 minutes',
        response: respond(
          objectOf({
            services,
            queues,
            wishesPerSecond: objectOf({
              accepted: { type: 'number' },
              stored: { type: 'number' },
              superseded: { type: 'number' },
              rejected: { type: 'number' },
            }),
            tally: nullable(objectOf({ mars: { type: 'number' }, europa: { type: 'number' } })),
            charts: { type: 'array', items: chart },
            generatedAt: { type: 'string' },
          }),
        ),
      },
    },
    async (): Promise<Overview> => buildOverview(store, Date.now()),
  );

  let slos: { at: number; answer: SlosResponse } | undefined;
  app.get(
    '/api/v1/slos',
    {
      schema: {
        tags,
        summary: "Each SLO's indicator and error budget left over the telemetry the console keeps",
        response: respond(
          objectOf({
            slos: {
              type: 'array',
              items: objectOf(
                {
                  name: { type: 'string' },
                  displayName: { type: 'string' },
                  target: { type: 'number' },
                  windowMs: { type: 'number' },
                  good: { type: 'number' },
                  total: { type: 'number' },
                  sli: nullable({ type: 'number' }),
                  budgetLeft: nullable({ type: 'number' }),
                  problem: { type: 'string' },
                },
                ['name', 'displayName', 'target', 'windowMs', 'good', 'total', 'sli', 'budgetLeft'],
              ),
            },
            generatedAt: { type: 'string' },
          }),
        ),
      },
    },
    async (): Promise<SlosResponse> => {
      const now = Date.now();
      if (slos === undefined || now - slos.at >= SLO_CACHE_MS) {
        slos = {
          at: now,
          answer: {
            slos: sloBudgets(store, objectives.slos, now, objectives.windowMs),
            generatedAt: new Date(now).toISOString(),
          },
        };
      }
      return slos.answer;
    },
  );

  app.get(
    '/api/v1/services',
    {
      schema: {
        tags,
        summary: 'Each service: running and wanted processes, restarts, rate, errors, refusals, latency',
        response: respond(objectOf({ services })),
      },
    },
    async (): Promise<ServicesResponse> => ({ services: buildServices(store, Date.now()) }),
  );

  app.get(
    '/api/v1/queues',
    {
      schema: {
        tags,
        summary: 'Each queue: depth by state and the age of its oldest message',
        response: respond(objectOf({ queues })),
      },
    },
    async (): Promise<QueuesResponse> => ({ queues: buildQueues(store, Date.now()) }),
  );

  app.get<{
    Querystring: {
      wish?: string;
      trace?: string;
      evacuee?: string;
      service?: string;
      status?: 'unset' | 'ok' | 'error';
      minDurationMs?: number;
      limit: number;
    };
  }>(
    '/api/v1/traces',
    {
      schema: {
        tags,
        summary:
          'Traces by wish id, evacuee id, trace id, service, status or minimum duration (none: the latest), newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            wish: id,
            trace: id,
            evacuee: id,
            service: id,
            status: { type: 'string', enum: ['unset', 'ok', 'error'] },
            minDurationMs: { type: 'number', minimum: 0 },
            limit: limit(100, 20),
          },
        },
        response: respond(objectOf({ traces: { type: 'array', items: trace } })),
      },
    },
    async (request): Promise<TracesResponse> => ({ traces: searchTraces(store, request.query) }),
  );

  app.get<{
    Querystring: {
      service?: string;
      instance?: string;
      level?: LogLevel;
      q?: string;
      around?: string;
      window: string;
      trace?: string;
      limit: number;
    };
  }>(
    '/api/v1/logs',
    {
      schema: {
        tags,
        summary: 'Log lines by service, process, minimum level, words, trace, or a window around a time (oldest first)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            service: id,
            instance: id,
            level: { type: 'string', enum: LOG_LEVELS },
            q: { type: 'string', maxLength: 200 },
            around: time,
            window: { type: 'string', pattern: '^[0-9]{1,5}(ms|s|m)$', default: '3s' },
            trace: id,
            limit: limit(5000, 500),
          },
        },
        response: respond(objectOf({ logs: { type: 'array', items: logLine } })),
      },
    },
    async (request): Promise<LogsResponse> => {
      const { around, window, ...rest } = request.query;
      return {
        logs: searchLogs(store, {
          ...rest,
          aroundMs: around === undefined ? undefined : Date.parse(around),
          windowMs: windowMs(window),
        }),
      };
    },
  );

  app.get<{ Querystring: { since?: string; kind?: string; limit: number } }>(
    '/api/v1/events',
    {
      schema: {
        tags,
        summary:
          'Events (processes started, exited, restarted; dead letters; load shedding; injection attempts), newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { since: time, kind: id, limit: limit(1000, 200) },
        },
        response: respond(objectOf({ events: { type: 'array', items: event } })),
      },
    },
    async (request): Promise<EventsResponse> => {
      const { since, kind, limit: max } = request.query;
      return {
        events: searchEvents(store, { sinceMs: since === undefined ? undefined : Date.parse(since), kind, limit: max }),
      };
    },
  );
}

/** `3s`, `500ms`, `2m` (already checked by the schema's pattern). */
function windowMs(text: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(text);
  const n = Number(match?.[1] ?? 3);
  return match?.[2] === 'ms' ? n : match?.[2] === 'm' ? n * 60_000 : n * 1000;
}
