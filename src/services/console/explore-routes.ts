import type { FastifyInstance } from 'fastify';
import type { TelemetryStore } from '../../ports/index.js';
import {
  metricParams,
  metricQuery,
  metricSeriesSchema,
  metricsSchema,
  type MetricParams,
  type MetricQuery,
  type MetricSeriesResponse,
  type MetricsResponse,
} from './api-shapes.js';
import { parseAttributeMatches } from './attribute-query.js';
import {
  BASE_MARGIN_MS,
  explore,
  groupableKeys,
  INSTANCE_KEY,
  instrumentKindOf,
  SERVICE_KEY,
  windowGrid,
} from './metric-explorer.js';
import { sendProblem } from './problem.js';
import { otelServiceName } from './search.js';

/** An instrument's services and attribute keys are those of its points in this long before its newest. */
const RECENT_MS = 15 * 60_000;

const tags = ['console'];

/** The metrics explorer's API: the instruments received, and one of them by attribute over a window. */
export function registerExploreRoutes(app: FastifyInstance, store: TelemetryStore): void {
  app.get(
    '/api/v1/metrics',
    {
      schema: {
        tags,
        summary: 'Every instrument received: its kind, unit, attribute keys and the services that send it',
        response: { 200: metricsSchema },
      },
    },
    async (): Promise<MetricsResponse> => ({
      instruments: store.instruments({ sinceMs: 0, recentMs: RECENT_MS }).map((instrument) => ({
        name: instrument.name,
        kind: instrumentKindOf(instrument.kind),
        unit: instrument.unit,
        attributeKeys: groupableKeys(instrument.attributeKeys),
        services: [...instrument.services],
        lastSeen: new Date(instrument.lastMs).toISOString(),
      })),
      generatedAt: new Date().toISOString(),
    }),
  );

  app.get<{ Params: MetricParams; Querystring: MetricQuery }>(
    '/api/v1/metrics/:name',
    {
      schema: {
        tags,
        summary:
          'One instrument over a window, one series per value of an attribute: counters as rates, histograms as percentiles, gauges as values; a table of the whole window',
        params: metricParams,
        querystring: metricQuery,
        response: { 200: metricSeriesSchema },
      },
    },
    async (request, reply): Promise<MetricSeriesResponse> => {
      const { name } = request.params;
      const { by, service, where, window, stat, agg } = request.query;
      const nowMs = Date.now();
      const [instrument] = store.instruments({ sinceMs: 0, recentMs: RECENT_MS, name });
      if (instrument === undefined)
        return sendProblem(reply, {
          status: 404,
          slug: 'unknown-metric',
          title: 'No such metric',
          detail: `the console has no points of ${name}; GET /api/v1/metrics lists those it has`,
        });
      const keys = groupableKeys(instrument.attributeKeys);
      const matches = parseAttributeMatches(where);
      const unknown = [
        ...(by === undefined || [SERVICE_KEY, INSTANCE_KEY, ...keys].includes(by) ? [] : [`by=${by}`]),
        ...matches.filter((match) => !keys.includes(match.key)).map((match) => `where ${match.key}`),
      ];
      if (unknown.length > 0)
        return sendProblem(reply, {
          status: 400,
          slug: 'unknown-attribute',
          title: 'No such attribute',
          detail: `${name} has no attribute named in ${unknown.join(', ')}; it has ${[SERVICE_KEY, INSTANCE_KEY, ...keys].join(', ')}`,
        });
      const { fromMs, stepMs } = windowGrid(window, nowMs);
      const points = store.pointsWhere({
        name,
        sinceMs: fromMs - BASE_MARGIN_MS,
        service: otelServiceName(service),
        attributes: matches,
        // On the grid's own boundaries, so a kept point ends the step it is counted in.
        newestPerStep: { originMs: fromMs - Math.ceil(BASE_MARGIN_MS / stepMs) * stepMs, stepMs },
      });
      return {
        name,
        ...explore(points, {
          kind: instrumentKindOf(instrument.kind),
          unit: instrument.unit,
          by,
          window,
          stat,
          agg,
          nowMs,
        }),
        generatedAt: new Date(nowMs).toISOString(),
      };
    },
  );
}
