import { INVALID_SPAN_CONTEXT, SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { FastifyInstance } from 'fastify';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTelemetryStore } from '../../src/engines/index.js';
import { readSlos } from '../../src/ops/index.js';
import type { TelemetryStore } from '../../src/ports/index.js';
import { packageRoot } from '../../src/runtime/index.js';
import type {
  EventsResponse,
  LogsResponse,
  Overview,
  SlosResponse,
  TracesResponse,
} from '../../src/services/console/api-shapes.js';
import { buildConsoleApp } from '../../src/services/console/index.js';
import { tempDir } from '../../testkit/index.js';

const TOKEN = 'console-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };

/** A stand-in for the built page: these tests are about the receiver and the API (the page has its own, in a browser). */
function pageFixture(): string {
  const dir = join(tempDir('exodus-console-page-'), 'web');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(
    join(dir, 'login.html'),
    '<!doctype html><title>sign in</title><form method="post" action="/login"></form>',
  );
  return dir;
}

const nanos = (ms: number): string => String(BigInt(Math.round(ms)) * 1_000_000n);

/** OTLP/JSON metric builders: cumulative points as an SDK exports them. */
const resource = (service: string, instance: string, pid?: number) => ({
  attributes: [
    { key: 'service.name', value: { stringValue: service } },
    { key: 'service.instance.id', value: { stringValue: instance } },
    ...(pid === undefined ? [] : [{ key: 'process.pid', value: { intValue: String(pid) } }]),
  ],
});
const attrs = (pairs: Record<string, string | number>) =>
  Object.entries(pairs).map(([key, v]) => ({
    key,
    value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v },
  }));
const gauge = (name: string, points: [number, number, Record<string, string | number>][]) => ({
  name,
  gauge: { dataPoints: points.map(([t, v, a]) => ({ timeUnixNano: nanos(t), asDouble: v, attributes: attrs(a) })) },
});
const sum = (name: string, points: [number, number, Record<string, string | number>][]) => ({
  name,
  sum: {
    aggregationTemporality: 2,
    isMonotonic: true,
    dataPoints: points.map(([t, v, a]) => ({ timeUnixNano: nanos(t), asInt: String(v), attributes: attrs(a) })),
  },
});
const histogram = (
  name: string,
  points: [number, number[], Record<string, string | number>][],
  bounds: readonly number[] = [0.01, 0.1, 1],
) => ({
  name,
  histogram: {
    aggregationTemporality: 2,
    dataPoints: points.map(([t, buckets, a]) => ({
      timeUnixNano: nanos(t),
      count: String(buckets.reduce((x, y) => x + y, 0)),
      sum: 1,
      bucketCounts: buckets.map(String),
      explicitBounds: bounds,
      attributes: attrs(a),
    })),
  },
});

describe('the ops console: OTLP receiver and JSON API', () => {
  let app: FastifyInstance;
  let store: TelemetryStore;
  let url: string;
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, { headers: auth });
    expect(res.status, `${path}: ${res.status}`).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    store = openTelemetryStore(tempDir('exodus-console-'));
    app = await buildConsoleApp({
      store,
      adminToken: TOKEN,
      logger: pino({ level: 'silent' }),
      webRoot: pageFixture(),
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    store.close();
  });

  it('answers 401 to a page, the API and OTLP without the token, and takes it from a header, an api-key or the login cookie', async () => {
    for (const path of ['/', '/api/v1/overview', '/api/v1/traces', '/api/openapi.json'])
      expect((await fetch(`${url}${path}`)).status, path).toBe(401);
    const otlp = await fetch(`${url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(otlp.status).toBe(401);
    expect(otlp.headers.get('content-type')).toContain('application/problem+json');
    const page = await fetch(`${url}/`);
    expect(await page.text()).toContain('<form'); // the login form, not the console

    expect(
      (
        await fetch(`${url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'api-key': TOKEN },
          body: '{}',
        })
      ).status,
    ).toBe(200);
    expect((await fetch(`${url}/login?token=wrong`, { redirect: 'manual' })).status).toBe(401);

    const login = await fetch(`${url}/login?token=${TOKEN}`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect((await fetch(`${url}/api/v1/events`, { headers: { cookie: cookie.split(';')[0] ?? '' } })).status).toBe(200);

    const form = await fetch(`${url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${TOKEN}`,
      redirect: 'manual',
    });
    expect(form.status).toBe(303);
  });

  it("keeps spans sent by the SDK's protobuf and JSON exporters, and finds a wish's whole journey by its id, across a batch link", async () => {
    const exporters = [
      new OTLPTraceExporter({ url: `${url}/v1/traces`, headers: { 'api-key': TOKEN } }),
      new OTLPJsonTraceExporter({ url: `${url}/v1/traces`, headers: { 'api-key': TOKEN } }),
    ];
    const [frontend, parser] = exporters.map(
      (exporter, i) =>
        new BasicTracerProvider({
          resource: resourceFromAttributes({
            'service.name': i === 0 ? 'exodus-frontend' : 'exodus-parser',
            'service.instance.id': i === 0 ? 'frontend-1' : 'parser-1',
          }),
          spanProcessors: [new SimpleSpanProcessor(exporter)],
        }),
    );
    const post = frontend?.getTracer('t').startSpan('POST /api/wishes', {
      kind: SpanKind.SERVER,
      attributes: { 'exodus.wish.id': 'wish-1', 'exodus.evacuee.id': 'EV-1' },
    });
    const postContext = trace.setSpan(context.active(), post ?? trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
    const send = frontend
      ?.getTracer('t')
      .startSpan(
        'send intake',
        { kind: SpanKind.PRODUCER, attributes: { 'messaging.message.id': 'wish-1.accepted' } },
        postContext,
      );
    send?.end();
    post?.end();
    // The parser took it in a batch: its span is in a trace of its own and links to the wish's.
    const batch = parser?.getTracer('t').startSpan('process intake', {
      kind: SpanKind.CONSUMER,
      links: [{ context: send?.spanContext() ?? INVALID_SPAN_CONTEXT }],
    });
    batch?.recordException(new Error('store unreachable'));
    batch?.setStatus({ code: SpanStatusCode.ERROR, message: 'TransientError: store unreachable' });
    batch?.end();
    await Promise.all([frontend?.forceFlush(), parser?.forceFlush()]);

    const { traces } = await get<TracesResponse>('/api/v1/traces?wish=wish-1');
    const wishTrace = traces.find((t) => t.traceId === post?.spanContext().traceId);
    expect(wishTrace?.spans.map((s) => s.name).sort()).toEqual(['POST /api/wishes', 'send intake']);
    expect(wishTrace?.rootName).toBe('POST /api/wishes');
    expect(wishTrace?.spans.find((s) => s.name === 'send intake')?.parentSpanId).toBe(post?.spanContext().spanId);
    const batchTrace = traces.find((t) => t.traceId === batch?.spanContext().traceId);
    expect(batchTrace?.errorCount).toBe(1);
    const failed = batchTrace?.spans[0];
    expect(failed).toMatchObject({
      service: 'exodus-parser',
      instance: 'parser-1',
      kind: 'consumer',
      status: 'error',
      links: [{ traceId: post?.spanContext().traceId }],
    });
    expect(failed?.events.find((e) => e.name === 'exception')?.attributes['exception.stacktrace']).toContain(
      'store unreachable',
    );

    expect((await get<TracesResponse>('/api/v1/traces?evacuee=EV-1')).traces.map((t) => t.traceId)).toContain(
      post?.spanContext().traceId,
    );
    const byTraceId = await get<TracesResponse>(`/api/v1/traces?trace=${post?.spanContext().traceId ?? ''}`);
    expect(byTraceId.traces.find((t) => t.traceId === post?.spanContext().traceId)?.spans).toHaveLength(2);
    expect((await get<TracesResponse>('/api/v1/traces?status=error')).traces.map((t) => t.traceId)).toEqual([
      batch?.spanContext().traceId,
    ]);
    await Promise.all([frontend?.shutdown(), parser?.shutdown()]);
  });

  it('keeps log records with their trace ids; finds them by words, level, trace and "±3 s around"; lists events newest first', async () => {
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'exodus-worker', 'service.instance.id': 'worker-2' }),
      processors: [
        new BatchLogRecordProcessor({
          exporter: new OTLPLogExporter({ url: `${url}/v1/logs`, headers: { 'api-key': TOKEN } }),
        }),
      ],
    });
    const logger = provider.getLogger('t');
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const at = Date.parse('2045-01-01T10:00:00.000Z');
    const spanContext = { traceId, spanId: 'b7ad6b7169203331', traceFlags: 1 };
    logger.emit({
      timestamp: at,
      severityNumber: SeverityNumber.ERROR,
      body: 'store write failed; will retry',
      context: trace.setSpanContext(context.active(), spanContext),
      attributes: { queue: 'store' },
    });
    logger.emit({ timestamp: at - 2000, severityNumber: SeverityNumber.INFO, body: 'worker consuming' });
    logger.emit({ timestamp: at - 10_000, severityNumber: SeverityNumber.INFO, body: 'long before' });
    logger.emit({
      timestamp: at + 500,
      severityNumber: SeverityNumber.WARN,
      body: 'dead-lettering a message',
      attributes: { 'event.name': 'message.dead_lettered', messageId: 'm-1' },
    });
    logger.emit({
      timestamp: at + 600,
      severityNumber: SeverityNumber.WARN,
      body: 'markup',
      attributes: { 'event.name': 'wish.injection_attempt', 'exodus.evacuee.id': '<img src=x onerror=alert(1)>' },
    });
    await provider.forceFlush();

    const around = (await get<LogsResponse>(`/api/v1/logs?around=${new Date(at).toISOString()}&window=3s`)).logs;
    expect(around.map((l) => l.message)).toEqual([
      'worker consuming',
      'store write failed; will retry',
      'dead-lettering a message',
      'markup',
    ]);
    expect(around[1]).toMatchObject({
      service: 'exodus-worker',
      instance: 'worker-2',
      level: 'error',
      traceId,
      attributes: { queue: 'store' },
    });
    expect((await get<LogsResponse>('/api/v1/logs?level=error&q=STORE%20retry')).logs.map((l) => l.message)).toEqual([
      'store write failed; will retry',
    ]);
    expect((await get<LogsResponse>(`/api/v1/logs?trace=${traceId}`)).logs).toHaveLength(1);
    expect((await get<LogsResponse>('/api/v1/logs?service=exodus-worker&q=100%25')).logs).toEqual([]); // % is a character, not a wildcard

    const { events } = await get<EventsResponse>(`/api/v1/events?since=${new Date(at).toISOString()}`);
    expect(events.map((e) => e.kind)).toEqual(['wish.injection_attempt', 'message.dead_lettered']);
    expect(events[0]).toMatchObject({
      service: 'exodus-worker',
      process: 'worker-2',
      detail: { 'exodus.evacuee.id': '<img src=x onerror=alert(1)>' },
    });
    expect(
      (await get<EventsResponse>('/api/v1/events?kind=message.dead_lettered')).events.map((e) => e.detail['messageId']),
    ).toEqual(['m-1']);
    await provider.shutdown();
  });

  it('turns cumulative metrics into the overview: running processes, restarts, rates, percentiles, queues and the tally', async () => {
    const now = Date.now();
    const post = { 'http.request.method': 'POST', 'http.route': '/api/wishes', 'http.response.status_code': 202 };
    const body = {
      resourceMetrics: [
        {
          resource: resource('exodus-frontend', 'frontend-1', 4100),
          scopeMetrics: [
            {
              metrics: [
                gauge('process.memory.usage', [[now - 1000, 90e6, {}]]),
                // 100 requests in 20 s: 90 under 10 ms, 10 between 10 and 100 ms; 5 of them 503s (load shed: refused, not failed).
                histogram('http.server.request.duration', [
                  [now - 40_000, [0, 0, 0, 0], post],
                  [now - 20_000, [90, 5, 0, 0], post],
                  [now - 40_000, [0, 0, 0, 0], { ...post, 'http.response.status_code': 503 }],
                  [now - 20_000, [0, 5, 0, 0], { ...post, 'http.response.status_code': 503 }],
                ]),
                sum('exodus.wishes', [
                  [now - 40_000, 1000, { 'exodus.wish.outcome': 'accepted' }],
                  [now - 20_000, 1200, { 'exodus.wish.outcome': 'accepted' }],
                ]),
                gauge('exodus.queue.messages', [
                  [now - 5000, 40, { 'messaging.destination.name': 'intake', 'exodus.queue.state': 'ready' }],
                  [now - 5000, 2, { 'messaging.destination.name': 'intake', 'exodus.queue.state': 'dead' }],
                ]),
              ],
            },
          ],
        },
        {
          resource: resource('exodus-parser', 'parser-1', 4200),
          scopeMetrics: [
            {
              metrics: [
                gauge('process.memory.usage', [[now - 1000, 80e6, {}]]),
                // The parser observes the same queue: its figure must not be added to the frontend's.
                gauge('exodus.queue.messages', [
                  [now - 4000, 41, { 'messaging.destination.name': 'intake', 'exodus.queue.state': 'ready' }],
                ]),
              ],
            },
          ],
        },
        {
          resource: resource('exodus-worker', 'worker-1', 4301),
          scopeMetrics: [{ metrics: [gauge('process.memory.usage', [[now - 120_000, 80e6, {}]])] }],
        },
        {
          // worker-2 still reports although the supervisor already lists worker-1 as waiting to restart.
          resource: resource('exodus-worker', 'worker-2', 4302),
          scopeMetrics: [{ metrics: [gauge('process.memory.usage', [[now - 2000, 80e6, {}]])] }],
        },
        {
          // A command, not a service: it reported a minute ago and has finished.
          resource: resource('exodus-chaos', 'chaos-4999', 4999),
          scopeMetrics: [{ metrics: [gauge('process.memory.usage', [[now - 60_000, 50e6, {}]])] }],
        },
        {
          resource: resource('exodus-supervisor', 'supervisor-1', 4000),
          scopeMetrics: [
            {
              metrics: [
                // Each process's pid, 0 while it waits to be restarted.
                gauge('exodus.process.pid', [
                  // An older report, when worker-1 still ran: only the last one counts.
                  [now - 2000, 4301, { 'exodus.service': 'exodus-worker', 'exodus.process': 'worker-1' }],
                  [now - 1000, 0, { 'exodus.service': 'exodus-worker', 'exodus.process': 'worker-1' }],
                  [now - 1000, 4302, { 'exodus.service': 'exodus-worker', 'exodus.process': 'worker-2' }],
                  [now - 1000, 4100, { 'exodus.service': 'exodus-frontend', 'exodus.process': 'frontend-1' }],
                  [now - 1000, 4050, { 'exodus.service': 'exodus-console', 'exodus.process': 'console-1' }],
                ]),
                gauge('exodus.process.running', [
                  [now - 1000, 1, { 'exodus.service': 'exodus-worker' }],
                  [now - 1000, 1, { 'exodus.service': 'exodus-frontend' }],
                ]),
                gauge('exodus.process.wanted', [
                  [now - 1000, 2, { 'exodus.service': 'exodus-worker' }],
                  [now - 1000, 1, { 'exodus.service': 'exodus-frontend' }],
                ]),
                sum('exodus.process.restarts', [[now - 1000, 3, { 'exodus.service': 'exodus-worker' }]]),
              ],
            },
          ],
        },
        {
          resource: resource('exodus-tally', 'tally-1'),
          scopeMetrics: [
            {
              metrics: [
                gauge('exodus.tally.wishes', [
                  [now - 2000, 700, { 'exodus.destination': 'mars' }],
                  [now - 2000, 300, { 'exodus.destination': 'europa' }],
                ]),
              ],
            },
          ],
        },
      ],
    };
    const gzipped = await fetch(`${url}/v1/metrics`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify(body)),
    });
    expect(gzipped.status).toBe(200);

    const overview = await get<Overview>('/api/v1/overview');
    const service = (name: string) => overview.services.find((s) => s.name === name);
    // Rows are the services that run: not the supervisor, not a command (exodus chaos).
    expect(overview.services.map((s) => s.name)).toEqual([
      'exodus-console',
      'exodus-frontend',
      'exodus-parser',
      'exodus-worker',
    ]);
    // Running, wanted and the instances come from one source (the supervisor's last report where it keeps the service), with pids.
    expect(service('exodus-worker')).toMatchObject({
      running: 1,
      wanted: 2,
      restarts: 3,
      instances: [
        { instance: 'worker-1', pid: null, up: false, lastSeen: new Date(now - 120_000).toISOString() },
        { instance: 'worker-2', pid: 4302, up: true, lastSeen: new Date(now - 2000).toISOString() },
      ],
    });
    expect(service('exodus-console')).toMatchObject({
      running: 1,
      wanted: 1,
      instances: [{ instance: 'console-1', pid: 4050, up: true, lastSeen: null }],
    });
    // No supervisor keeps the parser here: its processes are those heard from, its pid its own resource's.
    expect(service('exodus-parser')).toMatchObject({
      running: 1,
      wanted: null,
      restarts: 0,
      instances: [{ instance: 'parser-1', pid: 4200, up: true }],
    });
    for (const s of overview.services) expect(s.running, s.name).toBe(s.instances.filter((i) => i.up).length);
    const frontend = service('exodus-frontend');
    expect(frontend).toMatchObject({
      running: 1,
      wanted: 1,
      instances: [{ instance: 'frontend-1', pid: 4100, up: true }],
    });
    expect(frontend?.ratePerSecond).toBeCloseTo(100 / 60, 5);
    // The 503s are refusals (the availability SLO counts them good): their own column, not errors.
    expect(frontend?.errorRate).toBe(0);
    expect(frontend?.refusedRate).toBeCloseTo(0.05, 5);
    // p50: rank 50 of 100 in the first bucket (0–10 ms, 90 there) → 50/90 of 10 ms.
    expect(frontend?.latencyMs?.p50).toBeCloseTo((50 / 90) * 10, 5);
    expect(frontend?.latencyMs?.p99).toBeCloseTo(10 + 90 * (9 / 10), 5);
    expect(overview.wishesPerSecond.accepted).toBeCloseTo(200 / 60, 5);
    expect(overview.queues).toEqual([
      expect.objectContaining({ name: 'intake', ready: 41, dead: 2, inFlight: 0, delayed: 0 }),
    ]);
    expect(overview.tally).toEqual({ mars: 700, europa: 300 });
    const wishesChart = overview.charts.find((c) => c.title === 'Wishes per second');
    expect(wishesChart?.times).toHaveLength(60);
    expect(
      wishesChart?.series.find((s) => s.label === 'accepted')?.values.reduce<number>((a, v) => a + (v ?? 0), 0),
    ).toBeCloseTo(200 / 15, 5);
    const requests = overview.charts.find((c) => c.title === 'Requests per second');
    const chartTotal = (label: string) =>
      (requests?.series.find((s) => s.label === label)?.values ?? []).reduce<number>((a, v) => a + (v ?? 0), 0) * 15;
    expect([chartTotal('errors'), chartTotal('refused (429/503)')]).toEqual([0, 5]);

    const { services } = await get<{ services: unknown[] }>('/api/v1/services');
    expect(services).toEqual(overview.services);
  });

  it('answers 400 to a body that is not OTLP, and to a bad query naming the parameter', async () => {
    for (const [type, body] of [
      ['application/x-protobuf', Buffer.from([0xff, 0xff, 0xff])],
      ['application/json', '{"resourceSpans": 5}'],
      ['application/json', 'not json'],
    ] as const) {
      const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { ...auth, 'content-type': type }, body });
      expect(res.status, `${type} ${String(body)}`).toBe(400);
    }
    const badGzip = await fetch(`${url}/v1/logs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: 'plain',
    });
    expect(badGzip.status).toBe(400);
    const bad = await fetch(`${url}/api/v1/logs?window=forever`, { headers: auth });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toContain('window');
  });

  it('documents its API in OpenAPI 3.1', async () => {
    const doc = await get<{ openapi: string; paths: Record<string, unknown> }>('/api/openapi.json');
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/v1/alerts',
      '/api/v1/canary',
      '/api/v1/events',
      '/api/v1/failure-modes',
      '/api/v1/logs',
      '/api/v1/metrics',
      '/api/v1/metrics/{name}',
      '/api/v1/overview',
      '/api/v1/queues',
      '/api/v1/resources',
      '/api/v1/services',
      '/api/v1/services/{name}',
      '/api/v1/slos',
      '/api/v1/traces',
    ]);
  });
});

describe("the console's objectives: each SLO's indicator and error budget, from the same selectors Prometheus alerts on", () => {
  it('counts good and all events per slo/ document from stored OTLP points; a budget can be overspent; no events, no figure', async () => {
    const store = openTelemetryStore(tempDir('exodus-console-slo-'));
    const app = await buildConsoleApp({
      store,
      adminToken: TOKEN,
      logger: pino({ level: 'silent' }),
      webRoot: pageFixture(),
      objectives: { slos: readSlos(join(packageRoot(), 'slo')), windowMs: 3_600_000 },
    });
    try {
      const now = Date.now();
      const post = (status: number) => ({
        'http.request.method': 'POST',
        'http.route': '/api/wishes',
        'http.response.status_code': status,
      });
      const bounds = [0.01, 0.1, 0.25, 1];
      // Within the hour: 990 × 202 (900 ≤ 0.25 s, 90 slower), 5 × 503 (a deliberate refusal: good), 5 × 500 (bad),
      // 100 × 401 (the caller's mistake: not counted). 1,000 wishes to the wall, 999 within 10 s.
      const grew = (status: number, buckets: number[]) =>
        [
          [now - 50 * 60_000, bounds.map(() => 0).concat(0), post(status)],
          [now - 60_000, buckets, post(status)],
        ] as [number, number[], Record<string, string | number>][];
      const body = {
        resourceMetrics: [
          {
            resource: resource('exodus-frontend', 'frontend-1'),
            scopeMetrics: [
              {
                metrics: [
                  histogram(
                    'http.server.request.duration',
                    [
                      ...grew(202, [500, 300, 100, 90, 0]),
                      ...grew(503, [5, 0, 0, 0, 0]),
                      ...grew(500, [0, 5, 0, 0, 0]),
                      ...grew(401, [100, 0, 0, 0, 0]),
                    ],
                    bounds,
                  ),
                ],
              },
            ],
          },
          {
            resource: resource('exodus-tally', 'tally-1'),
            scopeMetrics: [
              {
                metrics: [
                  histogram(
                    'exodus.wish.time_to_wall',
                    [
                      [now - 50 * 60_000, [0, 0, 0], {}],
                      [now - 60_000, [990, 9, 1], {}],
                    ],
                    [1, 10],
                  ),
                ],
              },
            ],
          },
        ],
      };
      expect(
        (
          await app.inject({
            method: 'POST',
            url: '/v1/metrics',
            headers: { ...auth, 'content-type': 'application/json' },
            payload: JSON.stringify(body),
          })
        ).statusCode,
      ).toBe(200);
      const { slos } = (await app.inject({ method: 'GET', url: '/api/v1/slos', headers: auth })).json<SlosResponse>();
      const of = (name: string) => slos.find((slo) => slo.name === name);
      expect(of('wish-acceptance-availability')).toMatchObject({ good: 995, total: 1000, windowMs: 3_600_000 });
      expect(of('wish-acceptance-availability')?.sli).toBeCloseTo(0.995, 9);
      // 0.5 % bad against a 0.1 % budget: spent five times over.
      expect(of('wish-acceptance-availability')?.budgetLeft).toBeCloseTo(1 - 0.005 / 0.001, 6);
      expect(of('wish-acceptance-latency')).toMatchObject({ good: 900, total: 990 });
      expect(of('wish-freshness')).toMatchObject({ good: 999, total: 1000 });
      expect(of('wall-read-latency')).toMatchObject({ good: 0, total: 0, sli: null, budgetLeft: null });
      expect(slos.every((slo) => slo.problem === undefined)).toBe(true);
    } finally {
      await app.close();
      store.close();
    }
  });
});

describe('one definition of an error, and every request counted from the first', () => {
  it('the Errors column and the availability SLO count the same failures; refusals have their own column; a burst after a start and a restart are counted whole', async () => {
    const store = openTelemetryStore(tempDir('exodus-console-errors-'));
    const app = await buildConsoleApp({
      store,
      adminToken: TOKEN,
      logger: pino({ level: 'silent' }),
      webRoot: pageFixture(),
      objectives: { slos: readSlos(join(packageRoot(), 'slo')), windowMs: 3_600_000 },
    });
    try {
      const now = Date.now();
      const post = (status: number) => ({
        'http.request.method': 'POST',
        'http.route': '/api/wishes',
        'http.response.status_code': status,
      });
      // Exported right after the frontend started (each series begins at its first request): one point each.
      const firstExport = (pid: number, startMs: number, atMs: number, counts: Record<number, number>) => ({
        resource: resource('exodus-frontend', 'frontend-1', pid),
        scopeMetrics: [
          {
            metrics: [
              gauge('process.memory.usage', [[atMs, 90e6, {}]]),
              {
                name: 'http.server.request.duration',
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: Object.entries(counts).map(([status, n]) => ({
                    startTimeUnixNano: nanos(startMs),
                    timeUnixNano: nanos(atMs),
                    count: String(n),
                    sum: 0.01 * n,
                    bucketCounts: [String(n), '0'],
                    explicitBounds: [0.25],
                    attributes: attrs(post(Number(status))),
                  })),
                },
              },
            ],
          },
        ],
      });
      const send = async (resourceMetrics: unknown[]) =>
        expect(
          (
            await app.inject({
              method: 'POST',
              url: '/v1/metrics',
              headers: { ...auth, 'content-type': 'application/json' },
              payload: JSON.stringify({ resourceMetrics }),
            })
          ).statusCode,
        ).toBe(200);
      // 10 × 202, 3 × 503 (shed), 2 × 429, 1 × 500, 4 × 401; then the process restarts (new pid, new start) and answers 7 × 202 more.
      await send([firstExport(5001, now - 30_000, now - 25_000, { 202: 10, 503: 3, 429: 2, 500: 1, 401: 4 })]);
      await send([firstExport(5002, now - 20_000, now - 15_000, { 202: 7 })]);

      const overview = (await app.inject({ method: 'GET', url: '/api/v1/overview', headers: auth })).json<Overview>();
      const frontend = overview.services.find((s) => s.name === 'exodus-frontend');
      const answered = 10 + 3 + 2 + 1 + 4 + 7;
      expect(frontend?.ratePerSecond).toBeCloseTo(answered / 60, 9);
      expect(frontend?.errorRate).toBeCloseTo(1 / answered, 9);
      expect(frontend?.refusedRate).toBeCloseTo(5 / answered, 9);

      const { slos } = (await app.inject({ method: 'GET', url: '/api/v1/slos', headers: auth })).json<SlosResponse>();
      const availability = slos.find((slo) => slo.name === 'wish-acceptance-availability');
      // The caller's mistakes (401) are left out; the one failure is the one error; the refusals are good.
      expect(availability).toMatchObject({ good: 17 + 5, total: 17 + 5 + 1 });
      expect((availability?.total ?? 0) - (availability?.good ?? 0)).toBe(
        Math.round((frontend?.errorRate ?? 0) * answered),
      );
    } finally {
      await app.close();
      store.close();
    }
  });
});

describe('the console keeps its telemetry within bounds, across restarts', () => {
  const span = (i: number, startMs: number) => ({
    traceId: i.toString(16).padStart(32, '0'),
    spanId: i.toString(16).padStart(16, '0'),
    parentSpanId: null,
    service: 's',
    instance: 'i',
    name: 'x'.repeat(200),
    kind: 1,
    startMs,
    durationMs: 1,
    statusCode: 0,
    statusMessage: '',
    attributes: { padding: 'y'.repeat(500) },
    events: [],
    links: [],
    wishId: `w${i}`,
    evacueeId: null,
  });

  it('drops what is older than the retention, then the oldest until the file is under its size bound', () => {
    const dir = tempDir('exodus-console-bounds-');
    const store = openTelemetryStore(dir);
    const now = Date.now();
    store.record({ spans: [span(1, now - 48 * 3600_000), span(2, now - 1000)] });
    expect(store.prune({ olderThanMs: now - 24 * 3600_000, maxBytes: 1e9 }).deleted).toBe(1);
    expect(store.findTraceIds({ limit: 10 })).toEqual([span(2, 0).traceId]);

    for (let batch = 0; batch < 20; batch++)
      store.record({ spans: Array.from({ length: 1000 }, (_, i) => span(10 + batch * 1000 + i, now + batch)) });
    const { bytes } = store.prune({ olderThanMs: 0, maxBytes: 4 * 1024 * 1024 });
    expect(bytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    const newest = store.findTraceIds({ wishId: `w${10 + 19 * 1000 + 999}`, limit: 1 });
    expect(newest).toHaveLength(1); // the newest survive
    expect(store.findTraceIds({ wishId: 'w10', limit: 1 })).toEqual([]); // the oldest went first
    store.close();

    const reopened = openTelemetryStore(dir);
    expect(reopened.findTraceIds({ wishId: `w${10 + 19 * 1000 + 999}`, limit: 1 })).toEqual(newest);
    reopened.close();
  });
});
