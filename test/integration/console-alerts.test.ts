import type { FastifyInstance } from 'fastify';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTelemetryStore } from '../../src/engines/index.js';
import { readSlos } from '../../src/ops/index.js';
import type { TelemetryStore } from '../../src/ports/index.js';
import { packageRoot } from '../../src/runtime/index.js';
import type { AlertsResponse, EventsResponse, FailureModesResponse } from '../../src/services/console/api-shapes.js';
import { AlertWatch, buildConsoleApp } from '../../src/services/console/index.js';
import { tempDir } from '../../testkit/index.js';

/**
 * `GET /api/v1/alerts` on a real console fed by OTLP: the shipped SLOs' burn-rate alerts, a burst of
 * 500s on `POST /api/wishes` firing the availability page (with its event under Events), and the
 * endpoint in the OpenAPI document. The test evaluates when it chooses (the console's own timer
 * does this every 15 s); windows at 60× (1 h is a minute).
 */

const TOKEN = 'console-alerts-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const SPEEDUP = 60;

function pageFixture(): string {
  const dir = join(tempDir('exodus-console-page-'), 'web');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dir, 'login.html'), '<!doctype html><title>sign in</title>');
  return dir;
}

const nanos = (ms: number): string => String(BigInt(Math.round(ms)) * 1_000_000n);

/** The frontend's request histogram as its SDK exports it by OTLP/JSON: cumulative, one point per status. */
function requestHistogram(timeMs: number, startMs: number, counts: ReadonlyMap<number, number>): unknown {
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'exodus-frontend' } },
            { key: 'service.instance.id', value: { stringValue: 'frontend-1' } },
            { key: 'process.pid', value: { intValue: '4242' } },
          ],
        },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'http.server.request.duration',
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: [...counts].map(([status, count]) => ({
                    startTimeUnixNano: nanos(startMs),
                    timeUnixNano: nanos(timeMs),
                    count: String(count),
                    sum: count * 0.01,
                    bucketCounts: [String(count), '0'],
                    explicitBounds: [0.25],
                    attributes: [
                      { key: 'http.route', value: { stringValue: '/api/wishes' } },
                      { key: 'http.request.method', value: { stringValue: 'POST' } },
                      { key: 'http.response.status_code', value: { intValue: String(status) } },
                    ],
                  })),
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

describe('the console: GET /api/v1/alerts and /api/v1/failure-modes', () => {
  let app: FastifyInstance;
  let store: TelemetryStore;
  let url: string;
  let alerts: AlertWatch;
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, { headers: auth });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    store = openTelemetryStore(tempDir('exodus-console-alerts-'));
    const slos = readSlos(join(packageRoot(), 'slo'));
    alerts = new AlertWatch({
      store,
      slos,
      retentionMs: 86_400_000,
      speedup: SPEEDUP,
      logger: pino({ level: 'silent' }),
      instance: 'console-1',
    });
    app = await buildConsoleApp({
      store,
      adminToken: TOKEN,
      logger: pino({ level: 'silent' }),
      webRoot: pageFixture(),
      objectives: { slos, windowMs: 86_400_000 },
      alerts,
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    store.close();
  });

  it('before any evaluation: every alert of every shipped SLO, inactive; and it needs the token', async () => {
    expect((await fetch(`${url}/api/v1/alerts`)).status).toBe(401);
    const answer = await get<AlertsResponse>('/api/v1/alerts');
    expect(answer).toMatchObject({ evaluatedAt: null, everyMs: 1000, speedup: SPEEDUP, alerts: [] });
    const first = alerts.evaluate(Date.now());
    expect(first.alerts).toHaveLength(8);
    expect(new Set(first.alerts.map((alert) => alert.state))).toEqual(new Set(['inactive']));
  });

  it('a burst of 500s received by OTLP fires the availability page: state, since, burn rate, budget burnt, and an event', async () => {
    // Exported from now on (the clock the test evaluates at runs ahead of the wall's: no waiting).
    const start = Math.ceil(Date.now() / 1000) * 1000 + 500;
    const counts = new Map<number, number>([[202, 0]]);
    const send = async (timeMs: number): Promise<void> => {
      const res = await fetch(`${url}/v1/metrics`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(requestHistogram(timeMs, start, counts)),
      });
      expect(res.status).toBe(200);
    };
    // A minute and a half of good answers, then ten seconds where half are 500s, a second apart.
    let t = start + 1000;
    for (; t < start + 90_000; t += 1000) {
      counts.set(202, (counts.get(202) ?? 0) + 10);
      await send(t);
    }
    alerts.evaluate(t);
    for (let i = 0; i < 10; i++, t += 1000) {
      counts.set(202, (counts.get(202) ?? 0) + 10);
      counts.set(500, (counts.get(500) ?? 0) + 10);
      await send(t);
      alerts.evaluate(t + 100);
    }

    const answer = await get<AlertsResponse>('/api/v1/alerts');
    expect(answer.evaluatedAt).toBe(new Date(t - 900).toISOString());
    const [top] = answer.alerts;
    expect(top).toMatchObject({
      slo: 'wish-acceptance-availability',
      sloDisplayName: 'Handing in a wish works',
      alert: 'SLOErrorBudgetBurningFast',
      severity: 'page',
      state: 'firing',
      forMs: 2000,
      window: '1h',
    });
    expect(Date.parse(top?.since ?? '')).toBeGreaterThan(start + 90_000);
    // 100 of the 700 answers in the last minute (the 1-hour window at 60×) failed: 14.3 % against a
    // 0.1 % budget, 143×, which burns 143 × 1 h ÷ 30 d = 19.8 % of the 30-day budget in that hour.
    // (Exports mid-second, evaluations just after: the window's edges fall between them.)
    expect(top?.pairs[0]).toMatchObject({
      factor: 14.4,
      burning: true,
      long: { window: '1h', windowMs: 60_000, good: 600, total: 700 },
      short: { window: '5m', windowMs: 5000 },
    });
    expect(top?.burnRate).toBeCloseTo(100 / 700 / 0.001, 6);
    const coveredMs = top?.pairs[0]?.long.coveredMs ?? 0;
    expect(coveredMs).toBeGreaterThan(59_000);
    expect(top?.budgetBurnt).toBeCloseTo((100 / 700 / 0.001) * (coveredMs / ((30 * 86_400_000) / SPEEDUP)), 6);
    expect(top?.budgetBurnt).toBeCloseTo(0.198, 2);
    // Other SLOs saw no events: nothing to burn.
    const latency = answer.alerts.find((alert) => alert.slo === 'wall-read-latency');
    expect(latency).toMatchObject({ state: 'inactive', burnRate: null, budgetBurnt: null });

    const { events } = await get<EventsResponse>('/api/v1/events?kind=alert.firing');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: 'alert.firing',
      service: 'exodus-console',
      process: 'console-1',
      detail: { slo: 'wish-acceptance-availability', alert: 'SLOErrorBudgetBurningFast', severity: 'page' },
    });
  });

  it('GET /api/v1/failure-modes: the table ranked by RRN, each signal live or not, as it stands now', async () => {
    // A dead letter reported by a worker, by OTLP, as its log record.
    const res = await fetch(`${url}/v1/logs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'exodus-worker' } }] },
            scopeLogs: [
              {
                logRecords: [
                  {
                    timeUnixNano: nanos(Date.now()),
                    severityNumber: 13,
                    body: { stringValue: 'dead-lettered' },
                    attributes: [{ key: 'event.name', value: { stringValue: 'message.dead_lettered' } }],
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const answer = await get<FailureModesResponse>('/api/v1/failure-modes');
    const rrns = answer.failureModes.map((mode) => mode.rrn);
    expect(rrns).toEqual([...rrns].sort((a, b) => b - a));
    for (const mode of answer.failureModes) {
      expect(mode.rrn).toBe(mode.severity * mode.occurrence * mode.detection);
      expect(mode.signals.length).toBeGreaterThan(0);
    }
    expect(answer.scales.detection).toContain('1 the console says it');
    const signalOf = (id: string, ref: string) =>
      answer.failureModes.find((mode) => mode.id === id)?.signals.find((signal) => signal.ref === ref);
    // The availability page fired above: the SLO's signal is live, since it fired.
    const firing = (await get<AlertsResponse>('/api/v1/alerts')).alerts[0];
    expect(signalOf('acceptance-fails', 'wish-acceptance-availability')).toMatchObject({
      kind: 'slo',
      live: true,
      at: firing?.since,
    });
    expect(signalOf('poison-message', 'message.dead_lettered')).toMatchObject({ kind: 'event', live: true });
    expect(signalOf('injection-attempt', 'wish.injection_attempt')).toMatchObject({ live: false, at: null });
    expect(signalOf('wall-slow', 'wall-read-latency')).toMatchObject({ live: false });
    // A metric with nothing reported: quiet, no figure.
    expect(signalOf('poison-message', 'exodus.queue.messages')).toMatchObject({
      kind: 'metric',
      name: 'exodus.queue.messages{exodus.queue.state=dead}',
      liveWhen: 'above 0 messages',
      live: false,
      value: null,
    });
  });

  it('both are in the OpenAPI document with their answer schemas', async () => {
    const openapi = await get<{ paths: Record<string, { get?: { responses?: Record<string, unknown> } }> }>(
      '/api/openapi.json',
    );
    const alertsPath = openapi.paths['/api/v1/alerts'];
    expect(alertsPath?.get?.responses?.['200']).toBeDefined();
    expect(JSON.stringify(alertsPath)).toContain('budgetBurnt');
    expect(JSON.stringify(openapi.paths['/api/v1/failure-modes'])).toContain('Risk Reference Number');
  });
});
