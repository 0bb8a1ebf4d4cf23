import type { FastifyInstance } from 'fastify';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTelemetryStore } from '../../src/engines/index.js';
import type { TelemetryStore } from '../../src/ports/index.js';
import type { MetricSeriesResponse, MetricsResponse, TracesResponse } from '../../src/services/console/api-shapes.js';
import { buildConsoleApp } from '../../src/services/console/index.js';
import { tempDir } from '../../testkit/index.js';

const TOKEN = 'console-explore-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const nanos = (ms: number): string => String(BigInt(Math.round(ms)) * 1_000_000n);

/** OTLP/JSON as an SDK sends it. */
type Value = string | number | boolean;
const attrs = (pairs: Record<string, Value>) =>
  Object.entries(pairs).map(([key, v]) => ({
    key,
    value:
      typeof v === 'number' ? { intValue: String(v) } : typeof v === 'boolean' ? { boolValue: v } : { stringValue: v },
  }));
const resource = (service: string, instance: string, pid: number) => ({
  attributes: attrs({ 'service.name': service, 'service.instance.id': instance, 'process.pid': pid }),
});

describe('the metrics explorer and trace search by attribute, on a console fed OTLP', () => {
  let app: FastifyInstance;
  let store: TelemetryStore;
  let url: string;
  const now = Date.now();
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, { headers: auth });
    expect(res.status, `${path}: ${res.status} ${await res.clone().text()}`).toBe(200);
    return (await res.json()) as T;
  };
  const post = async (signal: 'metrics' | 'traces', body: unknown): Promise<void> => {
    const res = await fetch(`${url}/v1/${signal}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    const web = join(tempDir('exodus-explore-page-'), 'web');
    mkdirSync(web, { recursive: true });
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(web, 'login.html'), '<!doctype html><title>sign in</title>');
    store = openTelemetryStore(tempDir('exodus-explore-'));
    app = await buildConsoleApp({ store, adminToken: TOKEN, logger: pino({ level: 'silent' }), webRoot: web });
    url = await app.listen({ host: '127.0.0.1', port: 0 });

    const post202 = { 'http.route': '/api/wishes', 'http.response.status_code': 202 };
    const post503 = { 'http.route': '/api/wishes', 'http.response.status_code': 503 };
    const histogramPoint = (t: number, buckets: number[], sum: number, a: Record<string, Value>) => ({
      timeUnixNano: nanos(t),
      startTimeUnixNano: nanos(now - 20 * 60_000),
      count: String(buckets.reduce((x, y) => x + y, 0)),
      sum,
      bucketCounts: buckets.map(String),
      explicitBounds: [0.01, 0.1, 1],
      attributes: attrs(a),
    });
    const counterPoint = (t: number, v: number, a: Record<string, Value>, startMs = now - 20 * 60_000) => ({
      timeUnixNano: nanos(t),
      startTimeUnixNano: nanos(startMs),
      asInt: String(v),
      attributes: attrs(a),
    });
    await post('metrics', {
      resourceMetrics: [
        {
          resource: resource('exodus-frontend', 'frontend-1', 4100),
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'http.server.request.duration',
                  unit: 's',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      histogramPoint(now - 5 * 60_000, [0, 0, 0, 0], 0, post202),
                      histogramPoint(now - 60_000, [90, 10, 0, 0], 0.6, post202),
                      histogramPoint(now - 5 * 60_000, [0, 0, 0, 0], 0, post503),
                      histogramPoint(now - 60_000, [0, 0, 5, 0], 2, post503),
                    ],
                  },
                },
                {
                  name: 'exodus.wishes',
                  unit: '{wish}',
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: [
                      counterPoint(now - 5 * 60_000, 1000, { 'exodus.wish.outcome': 'accepted' }),
                      counterPoint(now - 60_000, 1300, { 'exodus.wish.outcome': 'accepted' }),
                      counterPoint(now - 5 * 60_000, 10, { 'exodus.wish.outcome': 'rejected' }),
                      counterPoint(now - 60_000, 40, { 'exodus.wish.outcome': 'rejected' }),
                    ],
                  },
                },
                {
                  name: 'process.memory.usage',
                  unit: 'By',
                  gauge: { dataPoints: [{ timeUnixNano: nanos(now - 40_000), asDouble: 90e6 }] },
                },
              ],
            },
          ],
        },
        {
          // A worker restarted inside the window: its new series (new start) counts from zero, not as a drop.
          resource: resource('exodus-worker', 'worker-1', 4300),
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'exodus.wishes',
                  unit: '{wish}',
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: [
                      counterPoint(now - 5 * 60_000, 500, { 'exodus.wish.outcome': 'stored' }),
                      counterPoint(now - 3 * 60_000, 600, { 'exodus.wish.outcome': 'stored' }),
                    ],
                  },
                },
                {
                  name: 'process.memory.usage',
                  unit: 'By',
                  gauge: { dataPoints: [{ timeUnixNano: nanos(now - 40_000), asDouble: 70e6 }] },
                },
              ],
            },
          ],
        },
        {
          resource: resource('exodus-worker', 'worker-1', 4301),
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'exodus.wishes',
                  unit: '{wish}',
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: [
                      counterPoint(now - 90_000, 5, { 'exodus.wish.outcome': 'stored' }, now - 100_000),
                      counterPoint(now - 60_000, 25, { 'exodus.wish.outcome': 'stored' }, now - 100_000),
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });

    const id = (i: number, width: number): string => i.toString(16).padStart(width, '0');
    const span = (i: number, name: string, a: Record<string, Value>, more: Record<string, unknown> = {}) => ({
      traceId: id(i, 32),
      spanId: id(i, 16),
      name,
      kind: 2,
      startTimeUnixNano: nanos(now - 30_000 + i * 100),
      endTimeUnixNano: nanos(now - 30_000 + i * 100 + 5 + i),
      attributes: attrs(a),
      ...more,
    });
    await post('traces', {
      resourceSpans: [
        {
          resource: resource('exodus-frontend', 'frontend-1', 4100),
          scopeSpans: [
            {
              spans: [
                span(1, 'POST /api/wishes', { ...post503, 'exodus.wish.id': 'wish-503' }, { status: { code: 2 } }),
                span(2, 'POST /api/wishes', post202),
                span(3, 'GET /metrics', { 'http.route': '/metrics', 'http.response.status_code': 200 }),
              ],
            },
          ],
        },
        {
          resource: resource('exodus-worker', 'worker-1', 4301),
          scopeSpans: [
            {
              spans: [
                span(4, 'receive wishes', { 'messaging.destination.name': 'wishes' }),
                span(5, 'process wishes', { 'messaging.destination.name': 'wishes', 'exodus.wish.id': 'wish-quiet' }),
                {
                  ...span(6, 'receive wishes', {
                    'messaging.destination.name': 'wishes',
                    'exodus.wish.id': 'wish-quiet',
                  }),
                  traceId: id(6, 32),
                },
              ],
            },
          ],
        },
      ],
    });
  });
  afterAll(async () => {
    await app.close();
    store.close();
  });

  it('lists every instrument received: kind, unit as sent, attribute keys (not the receiver’s own) and services', async () => {
    const { instruments } = await get<MetricsResponse>('/api/v1/metrics');
    expect(instruments.map((i) => i.name)).toEqual([
      'exodus.wishes',
      'http.server.request.duration',
      'process.memory.usage',
    ]);
    expect(instruments[0]).toMatchObject({
      kind: 'counter',
      unit: '{wish}',
      attributeKeys: ['exodus.wish.outcome'],
      services: ['exodus-frontend', 'exodus-worker'],
    });
    expect(instruments[1]).toMatchObject({
      kind: 'histogram',
      unit: 's',
      attributeKeys: ['http.response.status_code', 'http.route'],
    });
    expect(instruments[2]).toMatchObject({ kind: 'gauge', unit: 'By', attributeKeys: [] });
  });

  it('a counter by attribute: totals and per-second rates, a restart counted from zero', async () => {
    const answer = await get<MetricSeriesResponse>('/api/v1/metrics/exodus.wishes?by=exodus.wish.outcome&window=15m');
    expect(answer).toMatchObject({ kind: 'counter', unit: '{wish}', by: 'exodus.wish.outcome', stepSeconds: 15 });
    const totals = Object.fromEntries(answer.rows.map((r) => [r.group, r.values[0]]));
    // accepted 300; stored 100 before the restart and 25 after it (its new series began inside the window).
    expect(totals).toEqual({ accepted: 300, stored: 125, rejected: 30 });
    expect(answer.rows.map((r) => r.group)).toEqual(['accepted', 'stored', 'rejected']);
    expect(answer.rows[0]?.values[1]).toBeCloseTo(300 / 900, 6);
    expect(answer.chart.times).toHaveLength(60);
    expect(answer.chart.unit).toBe('{wish}/s');

    const worker = await get<MetricSeriesResponse>('/api/v1/metrics/exodus.wishes?service=worker&window=5m');
    expect(worker.rows).toEqual([{ group: 'all', values: [125, 125 / 300, expect.any(Number)] }]);
    const filtered = await get<MetricSeriesResponse>(
      '/api/v1/metrics/exodus.wishes?where=exodus.wish.outcome=rejected&by=service.name',
    );
    expect(filtered.rows.map((r) => [r.group, r.values[0]])).toEqual([['exodus-frontend', 30]]);
  });

  it('a histogram by status code: count, p50/p95/p99 and mean; the chart plots the chosen percentile', async () => {
    const answer = await get<MetricSeriesResponse>(
      '/api/v1/metrics/http.server.request.duration?by=http.response.status_code&stat=p99',
    );
    expect(answer.columns.map((c) => c.label)).toEqual(['count', 'rate', 'p50', 'p95', 'p99', 'mean']);
    const ok = answer.rows.find((r) => r.group === '202')?.values ?? [];
    expect(ok[0]).toBe(100);
    expect(ok[4]).toBeCloseTo(0.01 + 0.09 * 0.9, 6);
    expect(ok[5]).toBeCloseTo(0.006, 6);
    const shed = answer.rows.find((r) => r.group === '503')?.values ?? [];
    expect(shed[0]).toBe(5);
    expect(shed[2]).toBeCloseTo(0.1 + 0.9 * 0.5, 6);
    expect(answer.statistic).toBe('p99 of each step');
    expect(answer.chart.series.map((s) => s.label)).toEqual(['202', '503']);
  });

  it('a gauge by service: the newest value of each process, summed (or the largest)', async () => {
    const sum = await get<MetricSeriesResponse>('/api/v1/metrics/process.memory.usage?by=service.name&window=5m');
    expect(sum.rows.map((r) => [r.group, r.values[0]])).toEqual([
      ['exodus-frontend', 90e6],
      ['exodus-worker', 70e6],
    ]);
    const all = await get<MetricSeriesResponse>('/api/v1/metrics/process.memory.usage?agg=max');
    expect(all.rows[0]?.values[0]).toBe(90e6);
  });

  it('a bad name, attribute or window is a problem+json naming it', async () => {
    const unknown = await fetch(`${url}/api/v1/metrics/no.such.metric`, { headers: auth });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    expect(((await unknown.json()) as { detail: string }).detail).toContain('no.such.metric');
    const badBy = await fetch(`${url}/api/v1/metrics/exodus.wishes?by=http.route`, { headers: auth });
    expect(badBy.status).toBe(400);
    expect(((await badBy.json()) as { detail: string }).detail).toContain('exodus.wish.outcome');
    const badWhere = await fetch(`${url}/api/v1/metrics/exodus.wishes?where=nope`, { headers: auth });
    expect(badWhere.status).toBe(400);
    expect(((await badWhere.json()) as { detail: string }).detail).toContain('where');
    const badWindow = await fetch(`${url}/api/v1/metrics/exodus.wishes?window=7d`, { headers: auth });
    expect(badWindow.status).toBe(400);
  });

  it('finds traces by any attribute and by HTTP status code; lone receive and scrape traces only when asked', async () => {
    const ids = async (query: string): Promise<string[]> =>
      (await get<TracesResponse>(`/api/v1/traces?${query}`)).traces.map((t) => t.rootName).sort();
    expect(await ids('where=http.response.status_code=503')).toEqual(['POST /api/wishes']);
    expect(await ids('httpStatus=202')).toEqual(['POST /api/wishes']);
    expect(await ids('where=http.route=/api/wishes&where=http.response.status_code=202')).toEqual(['POST /api/wishes']);
    expect(await ids('where=messaging.destination.name=wishes')).toEqual(['process wishes']);
    expect(await ids('where=messaging.destination.name=wishes&all=1')).toEqual([
      'process wishes',
      'receive wishes',
      'receive wishes',
    ]);
    expect(await ids('')).toEqual(['POST /api/wishes', 'POST /api/wishes', 'process wishes']);
    expect(await ids('all=true')).toHaveLength(6);
    // A search by id shows everything about it, a lone receive too.
    expect(await ids('wish=wish-quiet')).toEqual(['process wishes', 'receive wishes']);
    const bad = await fetch(`${url}/api/v1/traces?where=no-equals-sign`, { headers: auth });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toContain('where');
  });

  it('documents the explorer in the OpenAPI document', async () => {
    const doc = await get<{ paths: Record<string, { get?: { parameters?: { name: string }[] } }> }>(
      '/api/openapi.json',
    );
    expect(doc.paths['/api/v1/metrics']).toBeDefined();
    expect(doc.paths['/api/v1/metrics/{name}']?.get?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['name', 'by', 'service', 'where', 'window', 'stat', 'agg']),
    );
    expect(doc.paths['/api/v1/traces']?.get?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['where', 'httpStatus', 'all']),
    );
  });
});
