import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../src/runtime/config.js';
import { pushMetrics, type MetricPush } from '../../../src/runtime/metric-push.js';
import { otlpExport } from '../../../src/runtime/otlp-export.js';
import { METRIC } from '../../../src/runtime/telemetry-names.js';

type Collected = Parameters<MetricPush['exporter']['export']>[0];

/** A process's one reader and a meter on it, with an exporter that keeps what it is sent. */
function aProcess(options: { heartbeatMs?: number; fail?: () => boolean } = {}) {
  const reader = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('exodus');
  const sent: Collected[] = [];
  const exporter = {
    export(metrics: Collected, done: (result: ExportResult) => void): void {
      sent.push(metrics);
      done({ code: options.fail?.() === true ? ExportResultCode.FAILED : ExportResultCode.SUCCESS });
    },
    shutdown: async () => undefined,
  };
  const push = pushMetrics(reader, { exporter, intervalMs: 5000, timeoutMs: 1000, heartbeatMs: options.heartbeatMs });
  // The runtime's own figures move at every collection, as a live process's do.
  let cpuSeconds = 0;
  meter.createObservableCounter(METRIC.cpuTime).addCallback((result) => result.observe((cpuSeconds += 0.001)));
  meter.createObservableGauge('nodejs.eventloop.delay.p99').addCallback((result) => result.observe(Math.random()));
  const wishes = meter.createCounter(METRIC.wishes);
  return { push, wishes, sent, shutdown: () => provider.shutdown() };
}

const names = (collected: Collected | undefined): string[] =>
  collected?.scopeMetrics.flatMap((scope) => scope.metrics.map((metric) => metric.descriptor.name)) ?? [];

let stop: (() => Promise<void>) | undefined;
beforeEach(() => {
  // Just after a 15 s step of wall time began, so the steps below are where the test says.
  vi.useFakeTimers({ now: 1_800_000_000_000 + 1 });
});
afterEach(async () => {
  await stop?.();
  stop = undefined;
  vi.useRealTimers();
});

describe('metrics pushed by OTLP', () => {
  it('at rest, with a heartbeat: one export per heartbeat step of wall time, though CPU and the event loop moved', async () => {
    const p = aProcess({ heartbeatMs: 15_000 });
    stop = p.shutdown;
    await vi.advanceTimersByTimeAsync(60_000); // 12 rounds: at 5, 10, … 60 s
    // The first round is sent (nothing was before), then the first round of each later step: 15, 30, 45, 60 s.
    expect(p.sent).toHaveLength(5);
    expect(names(p.sent[0])).toEqual(expect.arrayContaining([METRIC.cpuTime, 'nodejs.eventloop.delay.p99']));
  });

  it('sends at the next round when a figure that is work changed, with everything it collected', async () => {
    const p = aProcess({ heartbeatMs: 15_000 });
    stop = p.shutdown;
    await vi.advanceTimersByTimeAsync(5000);
    expect(p.sent).toHaveLength(1);
    p.wishes.add(1, { 'exodus.wish.outcome': 'accepted' });
    await vi.advanceTimersByTimeAsync(5000);
    expect(p.sent).toHaveLength(2);
    expect(names(p.sent[1])).toEqual(expect.arrayContaining([METRIC.wishes, METRIC.cpuTime]));
    await vi.advanceTimersByTimeAsync(3000); // 13 s: the same step, nothing new
    expect(p.sent).toHaveLength(2);
  });

  it('without a heartbeat, every round is sent (the specification’s periodic export)', async () => {
    const p = aProcess();
    stop = p.shutdown;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(p.sent).toHaveLength(6);
  });

  it('after a failed export, the next round is sent again though nothing changed', async () => {
    let failing = true;
    const p = aProcess({ heartbeatMs: 15_000, fail: () => failing });
    stop = p.shutdown;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(p.sent).toHaveLength(2);
    failing = false;
    await vi.advanceTimersByTimeAsync(10_000); // 15 s: a new step, then 20 s: quiet again
    expect(p.sent).toHaveLength(3);
  });

  it('pushNow and shutdown send whatever they hold, nothing new or not', async () => {
    const p = aProcess({ heartbeatMs: 15_000 });
    stop = p.shutdown;
    await vi.advanceTimersByTimeAsync(5000);
    await p.push.pushNow();
    expect(p.sent).toHaveLength(2);
    await p.push.shutdown();
    expect(p.sent).toHaveLength(3);
  });
});

describe('the heartbeat, from the environment', () => {
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
  it('is off unless EXODUS_METRIC_EXPORT_HEARTBEAT_MS says how long, and a bad value stops start-up', () => {
    expect(otlpExport(endpoint).metricPush?.heartbeatMs).toBeUndefined();
    expect(otlpExport({ ...endpoint, EXODUS_METRIC_EXPORT_HEARTBEAT_MS: '15000' }).metricPush?.heartbeatMs).toBe(
      15_000,
    );
    expect(() => otlpExport({ ...endpoint, EXODUS_METRIC_EXPORT_HEARTBEAT_MS: '15s' })).toThrow(ConfigError);
  });
});
