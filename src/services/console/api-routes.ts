import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TelemetryStore } from '../../ports/index.js';
import type { AlertWatch } from './alert-watch.js';
import {
  alertsSchema,
  canarySchema,
  eventsQuery,
  eventsSchema,
  failureModesSchema,
  logsQuery,
  logsSchema,
  overviewSchema,
  problemSchema,
  queuesSchema,
  resourcesSchema,
  servicePageSchema,
  serviceParams,
  serviceQuery,
  servicesSchema,
  slosSchema,
  tracesQuery,
  tracesSchema,
  type AlertsResponse,
  type CanaryResponse,
  type EventsQuery,
  type EventsResponse,
  type FailureModesResponse,
  type LogsQuery,
  type LogsResponse,
  type Overview,
  type QueuesResponse,
  type ResourcesResponse,
  type ServicePage,
  type ServiceParams,
  type ServiceQuery,
  type ServicesResponse,
  type SlosResponse,
  type TracesQuery,
  type TracesResponse,
} from './api-shapes.js';
import { canaryRuns } from './canary.js';
import { failureModesNow } from './failure-mode-signals.js';
import { buildOverview, buildQueues, buildResources, buildServices } from './overview.js';
import { sendProblem } from './problem.js';
import { searchEvents, searchLogs, searchTraces } from './search.js';
import { buildServicePage } from './service-page.js';
import { sloBudgets, type SloDefinition } from './slo-budgets.js';

/*
 * The console's JSON API; its shapes (query strings, answers) are declared in api-shapes.ts.
 */

const respond = <S>(schema: S) => ({ 200: schema });
const tags = ['console'];

/** SLO budgets read a day of points: computed at most this often, whoever asks. */
const SLO_CACHE_MS = 30_000;

export function registerApiRoutes(
  app: FastifyInstance,
  store: TelemetryStore,
  objectives: { readonly slos: readonly SloDefinition[]; readonly windowMs: number },
  alerts: AlertWatch,
): void {
  app.get(
    '/api/v1/overview',
    {
      schema: {
        tags,
        summary: 'Services, queues, wishes per second, the tally and charts of the last 15 minutes',
        response: respond(overviewSchema),
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
        response: respond(slosSchema),
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
    '/api/v1/alerts',
    {
      schema: {
        tags,
        summary:
          "Every SLO's burn-rate alerts (the rules `exodus slo rules` writes for Prometheus), as the console last evaluated them over what it keeps: state, since when, burn rates, budget burnt",
        response: respond(alertsSchema),
      },
    },
    async (): Promise<AlertsResponse> => alerts.current(),
  );

  app.get(
    '/api/v1/failure-modes',
    {
      schema: {
        tags,
        summary:
          'The failure-mode table (docs/failure-modes.md), highest Risk Reference Number first, each live signal with whether it is live now',
        response: respond(failureModesSchema),
      },
    },
    async (): Promise<FailureModesResponse> => failureModesNow(store, alerts.current(), Date.now()),
  );

  app.get(
    '/api/v1/services',
    {
      schema: {
        tags,
        summary: 'Each service: running and wanted processes, restarts, rate, errors, refusals, latency',
        response: respond(servicesSchema),
      },
    },
    async (): Promise<ServicesResponse> => ({ services: buildServices(store, Date.now()) }),
  );

  app.get<{ Params: ServiceParams; Querystring: ServiceQuery }>(
    '/api/v1/services/:name',
    {
      schema: {
        tags,
        summary:
          'One service (`worker` or `exodus-worker`), or one of its processes (`?instance=worker-2`): rate, errors and latency (by version while two run), resource charts with deploys marked, its processes with pid, start, restarts and last exit, its events, logs, slowest and failing traces',
        params: serviceParams,
        querystring: serviceQuery,
        response: { ...respond(servicePageSchema), 404: problemSchema },
      },
    },
    async (request, reply): Promise<ServicePage | FastifyReply> => {
      const answer = buildServicePage(
        store,
        { name: request.params.name, instance: request.query.instance },
        Date.now(),
      );
      if ('page' in answer) return answer.page;
      return sendProblem(reply, { status: 404, slug: 'not-found', title: 'Not found', detail: answer.notFound });
    },
  );

  app.get(
    '/api/v1/queues',
    {
      schema: {
        tags,
        summary: 'Each queue: depth by state and the age of its oldest message',
        response: respond(queuesSchema),
      },
    },
    async (): Promise<QueuesResponse> => ({ queues: buildQueues(store, Date.now()) }),
  );

  app.get(
    '/api/v1/resources',
    {
      schema: {
        tags,
        summary:
          'Each process: CPU cores, RSS, heap, event-loop delay and utilisation; each service against the processes it is given; right-sizing suggestions',
        response: respond(resourcesSchema),
      },
    },
    async (): Promise<ResourcesResponse> => buildResources(store, Date.now()),
  );

  app.get(
    '/api/v1/canary',
    {
      schema: {
        tags,
        summary:
          "The synthetic canary's last runs: its wish's time to the 202, to stored and onto the read model, or why it failed",
        response: respond(canarySchema),
      },
    },
    async (): Promise<CanaryResponse> => {
      const now = Date.now();
      return { runs: canaryRuns(store, now), generatedAt: new Date(now).toISOString() };
    },
  );

  app.get<{ Querystring: TracesQuery }>(
    '/api/v1/traces',
    {
      schema: {
        tags,
        summary:
          'Traces by wish id, evacuee id, trace id, service, status or minimum duration (none: the latest), newest first',
        querystring: tracesQuery,
        response: respond(tracesSchema),
      },
    },
    async (request): Promise<TracesResponse> => ({ traces: searchTraces(store, request.query) }),
  );

  app.get<{ Querystring: LogsQuery }>(
    '/api/v1/logs',
    {
      schema: {
        tags,
        summary: 'Log lines by service, process, minimum level, words, trace, or a window around a time (oldest first)',
        querystring: logsQuery,
        response: respond(logsSchema),
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

  app.get<{ Querystring: EventsQuery }>(
    '/api/v1/events',
    {
      schema: {
        tags,
        summary:
          'Events (processes started, exited, restarted; dead letters; load shedding; injection attempts), newest first',
        querystring: eventsQuery,
        response: respond(eventsSchema),
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
