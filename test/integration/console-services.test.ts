import type { FastifyInstance } from 'fastify';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTelemetryStore } from '../../src/engines/index.js';
import type { TelemetryStore } from '../../src/ports/index.js';
import type { EventsResponse, Overview, ServicePage } from '../../src/services/console/api-shapes.js';
import { buildConsoleApp } from '../../src/services/console/index.js';
import { tempDir } from '../../testkit/index.js';

const TOKEN = 'console-services-token';
const auth = { authorization: `Bearer ${TOKEN}` };

function pageFixture(): string {
  const dir = join(tempDir('exodus-console-page-'), 'web');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dir, 'login.html'), '<!doctype html><title>sign in</title>');
  return dir;
}

const nanos = (ms: number): string => String(BigInt(Math.round(ms)) * 1_000_000n);
type Pairs = Record<string, string | number>;
const attrs = (pairs: Pairs) =>
  Object.entries(pairs).map(([key, v]) => ({
    key,
    value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v },
  }));

/** A process's OTLP resource as an Exodus process sends it: name, instance, pid, host and version. */
const resource = (
  service: string,
  instance: string,
  pid: number,
  host: string,
  version: string,
  extra: Pairs = {},
) => ({
  attributes: attrs({
    'service.name': service,
    'service.instance.id': instance,
    'process.pid': pid,
    'host.name': host,
    'service.version': version,
    ...extra,
  }),
});
type Resource = ReturnType<typeof resource>;

const gauge = (name: string, t: number, v: number) => ({
  name,
  gauge: { dataPoints: [{ timeUnixNano: nanos(t), asDouble: v, attributes: [] }] },
});
const cpu = (startMs: number, points: [number, number][]) => ({
  name: 'process.cpu.time',
  sum: {
    aggregationTemporality: 2,
    isMonotonic: true,
    dataPoints: points.map(([t, v]) => ({
      startTimeUnixNano: nanos(startMs),
      timeUnixNano: nanos(t),
      asDouble: v,
      attributes: attrs({ 'cpu.mode': 'user' }),
    })),
  },
});
/** Messages processed since `startMs`: `ok` fine and `failed` with an error.type, all under 10 ms. */
const processed = (startMs: number, t: number, ok: number, failed: number) => ({
  name: 'messaging.process.duration',
  histogram: {
    aggregationTemporality: 2,
    dataPoints: (
      [
        [ok, {}],
        [failed, { 'error.type': 'StoreError' }],
      ] as const
    ).map(([n, extra]) => ({
      startTimeUnixNano: nanos(startMs),
      timeUnixNano: nanos(t),
      count: String(n),
      sum: 0.001,
      bucketCounts: [String(n), '0', '0', '0'],
      explicitBounds: [0.01, 0.1, 1],
      attributes: attrs({ 'messaging.destination.name': 'store', ...extra }),
    })),
  },
});

describe('the console: a page per service and per process, hosts and versions', () => {
  let app: FastifyInstance;
  let store: TelemetryStore;
  let url: string;
  const now = Date.now();
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, { headers: auth });
    expect(res.status, `${path}: ${res.status}`).toBe(200);
    return (await res.json()) as T;
  };
  const post = async (signal: 'metrics' | 'logs' | 'traces', body: unknown): Promise<void> => {
    const res = await fetch(`${url}/v1/${signal}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  };
  const metrics = (from: Resource, list: unknown[]) =>
    post('metrics', { resourceMetrics: [{ resource: from, scopeMetrics: [{ metrics: list }] }] });

  const worker1 = resource('exodus-worker', 'worker-1', 5101, 'host-a', '1.0.0');
  const worker2 = resource('exodus-worker', 'worker-2', 5102, 'host-b', '1.0.0');
  const canary = resource('exodus-worker', 'worker-canary', 5103, 'host-a', '2.0.0-canary', {
    'k8s.pod.name': 'worker-7f9c',
    'k8s.node.name': 'node-3',
  });

  beforeAll(async () => {
    store = openTelemetryStore(tempDir('exodus-console-services-'));
    app = await buildConsoleApp({
      store,
      adminToken: TOKEN,
      logger: pino({ level: 'silent' }),
      webRoot: pageFixture(),
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });

    // The running version first: worker-1 on host-a, 100 messages in the last minute, none failed;
    // worker-2 on host-b, silent for a minute (stopped).
    await metrics(worker1, [
      gauge('process.memory.usage', now - 2000, 90e6),
      cpu(now - 300_000, [
        [now - 32_000, 1],
        [now - 2000, 4],
      ]),
      processed(now - 300_000, now - 40_000, 0, 0),
      processed(now - 300_000, now - 20_000, 100, 0),
    ]);
    await metrics(worker2, [gauge('process.memory.usage', now - 60_000, 80e6)]);
    await metrics(resource('exodus-frontend', 'frontend-1', 5001, 'host-a', '1.0.0'), [
      gauge('process.memory.usage', now - 2000, 95e6),
    ]);
    // Then a canary of another version: 50 messages, 10 failed. Sent twice (an exporter's retry, the next export).
    for (let i = 0; i < 2; i++)
      await metrics(canary, [
        gauge('process.memory.usage', now - 2000, 70e6),
        processed(now - 45_000, now - 40_000, 0, 0),
        processed(now - 45_000, now - 20_000, 40, 10),
      ]);
    // What the supervisor said of worker-2, and lines and traces of the workers.
    await post('logs', {
      resourceLogs: [
        {
          resource: resource('exodus-supervisor', 'supervisor-1', 5000, 'host-b', '1.0.0'),
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: nanos(now - 61_000),
                  severityNumber: 13,
                  body: { stringValue: 'process exited; restarting' },
                  attributes: attrs({
                    'event.name': 'process.exited',
                    'exodus.service': 'exodus-worker',
                    'exodus.process': 'worker-2',
                    code: 1,
                    restarts: 2,
                  }),
                },
              ],
            },
          ],
        },
        {
          resource: worker1,
          scopeLogs: [
            { logRecords: [{ timeUnixNano: nanos(now - 5000), severityNumber: 9, body: { stringValue: 'stored' } }] },
          ],
        },
      ],
    });
    const span = (traceId: string, name: string, startMs: number, ms: number, error = false) => ({
      traceId,
      spanId: traceId.slice(0, 16),
      name,
      kind: 5,
      startTimeUnixNano: nanos(startMs),
      endTimeUnixNano: nanos(startMs + ms),
      status: { code: error ? 2 : 1 },
    });
    await post('traces', {
      resourceSpans: [
        {
          resource: worker1,
          scopeSpans: [
            {
              spans: [
                span('a'.repeat(32), 'process store', now - 9000, 120),
                span('b'.repeat(32), 'process store', now - 8000, 30),
                // A long poll that received nothing: never among the slowest.
                span('c'.repeat(32), 'receive store', now - 7000, 5000),
              ],
            },
          ],
        },
        {
          resource: canary,
          scopeSpans: [{ spans: [span('d'.repeat(32), 'process store', now - 6000, 20, true)] }],
        },
      ],
    });
  });
  afterAll(async () => {
    await app.close();
    store.close();
  });

  it('takes the short name and the telemetry name alike, and answers an unknown service with a 404 naming the known ones', async () => {
    const short = await get<ServicePage>('/api/v1/services/worker');
    const full = await get<ServicePage>('/api/v1/services/exodus-worker');
    expect([short.service, short.shortName, short.instance]).toEqual(['exodus-worker', 'worker', null]);
    expect(full.processes.map((p) => p.instance)).toEqual(short.processes.map((p) => p.instance));

    const unknown = await fetch(`${url}/api/v1/services/wroker`, { headers: auth });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await unknown.json()) as { detail: string };
    expect(problem.detail).toContain('wroker');
    expect(problem.detail).toContain('frontend, parser, worker, tally, consumers, console');

    const noProcess = await fetch(`${url}/api/v1/services/worker?instance=worker-9`, { headers: auth });
    expect(noProcess.status).toBe(404);
    expect(((await noProcess.json()) as { detail: string }).detail).toContain('worker-1, worker-2, worker-canary');

    const doc = await get<{ paths: Record<string, { get?: { responses?: Record<string, unknown> } }> }>(
      '/api/openapi.json',
    );
    expect(Object.keys(doc.paths['/api/v1/services/{name}']?.get?.responses ?? {})).toEqual(['200', '404']);
  });

  it("lists the service's processes with version, host, pod and node, pid, start, restarts and last exit", async () => {
    const page = await get<ServicePage>('/api/v1/services/worker');
    const byName = Object.fromEntries(page.processes.map((p) => [p.instance, p]));
    expect(byName['worker-1']).toMatchObject({
      version: '1.0.0',
      host: 'host-a',
      pod: null,
      pid: 5101,
      up: true,
      restarts: 0,
      lastExit: null,
      // Not supervised here: its start is when its CPU counter began.
      startedAt: new Date(now - 300_000).toISOString(),
    });
    expect(byName['worker-2']).toMatchObject({
      host: 'host-b',
      up: false,
      restarts: 2,
      lastExit: { at: new Date(now - 61_000).toISOString(), code: 1, signal: null, planned: false },
    });
    expect(byName['worker-canary']).toMatchObject({
      version: '2.0.0-canary',
      pod: 'worker-7f9c',
      node: 'node-3',
    });
    expect(page.events.map((e) => e.kind)).toEqual(['service.deployed', 'process.exited']);
    // Its latest lines: its own, and the deploy the console noted (an event is a log record too).
    expect(page.logs.map((l) => l.message)).toEqual([
      'exodus-worker deployed: 1.0.0 → 2.0.0-canary (first heard from worker-canary)',
      'stored',
    ]);
    // The slowest traces leave out the receive that waited; the failing one is the canary's.
    expect(page.slowestTraces.map((t) => t.traceId)).toEqual(['a'.repeat(32), 'b'.repeat(32), 'd'.repeat(32)]);
    expect(page.failingTraces.map((t) => t.traceId)).toEqual(['d'.repeat(32)]);
    expect(page.resources.map((r) => r.instance)).toEqual(['worker-1', 'worker-canary']);
  });

  it('shows two versions side by side while a canary runs: rate, errors and latency per version, in the table and the charts', async () => {
    const page = await get<ServicePage>('/api/v1/services/worker');
    expect(page.versions.map((v) => [v.version, v.instances])).toEqual([
      ['1.0.0', ['worker-1', 'worker-2']],
      ['2.0.0-canary', ['worker-canary']],
    ]);
    const [stable, canaryWork] = page.versions;
    expect(stable?.ratePerSecond).toBeCloseTo(100 / 60, 5);
    expect(stable?.errorRate).toBe(0);
    expect(canaryWork?.ratePerSecond).toBeCloseTo(50 / 60, 5);
    expect(canaryWork?.errorRate).toBeCloseTo(0.2, 5);
    expect(canaryWork?.latencyMs?.p99).toBeLessThanOrEqual(10);
    const chart = (title: string) => page.charts.find((c) => c.title === title);
    for (const title of ['Rate', 'Errors', 'Latency p99'])
      expect(
        chart(title)?.series.map((s) => s.label),
        title,
      ).toEqual(['1.0.0', '2.0.0-canary']);
    const errors = chart('Errors')?.series.map((s) => Math.max(...s.values.map((v) => v ?? 0)));
    expect(errors).toEqual([0, 20]);
    expect(chart('Memory (RSS)')?.series.map((s) => s.label)).toEqual(['worker-1', 'worker-2', 'worker-canary']);

    // Focused on the canary: its work alone.
    const focused = await get<ServicePage>('/api/v1/services/exodus-worker?instance=worker-canary');
    expect(focused.instance).toBe('worker-canary');
    expect(focused.processes.map((p) => p.instance)).toEqual(['worker-canary']);
    expect(focused.versions.map((v) => v.version)).toEqual(['2.0.0-canary']);
    expect(focused.summary.errorRate).toBeCloseTo(0.2, 5);
    expect(focused.failingTraces).toHaveLength(1);
    expect(focused.slowestTraces.map((t) => t.traceId)).toEqual(['d'.repeat(32)]);
  });

  it('writes one deploy event when a version appears, and marks it on every chart', async () => {
    const { events } = await get<EventsResponse>('/api/v1/events?kind=service.deployed');
    expect(events).toHaveLength(1); // the canary's second export is no second deploy
    expect(events[0]).toMatchObject({
      // When the canary was first heard from: its first export.
      time: new Date(now - 40_000).toISOString(),
      service: 'exodus-worker',
      process: 'worker-canary',
      detail: { from: '1.0.0', to: '2.0.0-canary' },
    });
    const overview = await get<Overview>('/api/v1/overview');
    expect(overview.charts.length).toBeGreaterThan(0);
    for (const chart of overview.charts)
      expect(chart.markers, chart.title).toEqual([
        { time: (now - 40_000) / 1000, label: 'worker 1.0.0 → 2.0.0-canary' },
      ]);
    const page = await get<ServicePage>('/api/v1/services/worker');
    for (const chart of page.charts) expect(chart.markers, chart.title).toHaveLength(1);
    // Another service's page marks none of the worker's deploys.
    for (const chart of (await get<ServicePage>('/api/v1/services/frontend')).charts) expect(chart.markers).toEqual([]);
  });

  it('shows running and wanted processes per host, and a host whose processes all stopped', async () => {
    const overview = await get<Overview>('/api/v1/overview');
    expect(overview.hosts.map((h) => [h.host, h.running, h.wanted, h.allStopped])).toEqual([
      ['host-a', 3, 3, false],
      ['host-b', 0, 1, true],
    ]);
    expect(overview.hosts[1]?.processes).toEqual([
      { service: 'exodus-worker', instance: 'worker-2', up: false, version: '1.0.0' },
    ]);
    const worker = overview.services.find((s) => s.name === 'exodus-worker');
    expect(worker?.instances.map((i) => [i.instance, i.host, i.version])).toEqual([
      ['worker-1', 'host-a', '1.0.0'],
      ['worker-2', 'host-b', '1.0.0'],
      ['worker-canary', 'host-a', '2.0.0-canary'],
    ]);
  });
});

describe('a supervised service with a process its supervisor does not keep (a canary started by hand)', () => {
  it('lists it beside the supervised ones while it is up, and not once it is silent', async () => {
    const store = openTelemetryStore(tempDir('exodus-console-others-'));
    const app = await buildConsoleApp({
      store,
      adminToken: TOKEN,
      logger: pino({ level: 'silent' }),
      webRoot: pageFixture(),
    });
    try {
      const now = Date.now();
      const send = async (resourceMetrics: unknown[]) => {
        const res = await app.inject({
          method: 'POST',
          url: '/v1/metrics',
          headers: { ...auth, 'content-type': 'application/json' },
          payload: JSON.stringify({ resourceMetrics }),
        });
        expect(res.statusCode).toBe(200);
      };
      const memory = (from: Resource, atMs: number) => ({
        resource: from,
        scopeMetrics: [{ metrics: [gauge('process.memory.usage', atMs, 8e7)] }],
      });
      await send([
        {
          resource: resource('exodus-supervisor', 'supervisor-1', 5000, 'host-a', '1.0.0'),
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'exodus.process.pid',
                  gauge: {
                    dataPoints: [
                      {
                        timeUnixNano: nanos(now - 1000),
                        asDouble: 5101,
                        attributes: attrs({ 'exodus.service': 'exodus-worker', 'exodus.process': 'worker-1' }),
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
        memory(resource('exodus-worker', 'worker-1', 5101, 'host-a', '1.0.0'), now - 2000),
        memory(resource('exodus-worker', 'worker-canary', 5103, 'host-c', '2.0.0'), now - 2000),
        // Scaled down a while ago: silent, and no longer the supervisor's.
        memory(resource('exodus-worker', 'worker-2', 5102, 'host-a', '1.0.0'), now - 60_000),
      ]);
      const res = await app.inject({ method: 'GET', url: '/api/v1/overview', headers: auth });
      const overview = res.json<Overview>();
      const worker = overview.services.find((s) => s.name === 'exodus-worker');
      expect(worker?.instances.map((i) => [i.instance, i.up, i.host])).toEqual([
        ['worker-1', true, 'host-a'],
        ['worker-canary', true, 'host-c'],
      ]);
      expect([worker?.running, worker?.wanted]).toEqual([2, 2]);
    } finally {
      await app.close();
      store.close();
    }
  });
});
