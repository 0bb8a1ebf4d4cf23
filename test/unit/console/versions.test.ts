import { describe, expect, it } from 'vitest';
import { openTelemetryStore } from '../../../src/engines/index.js';
import { decodeOtlp } from '../../../src/services/console/otlp-decode.js';
import { buildServicePage } from '../../../src/services/console/service-page.js';
import { tempDir } from '../../../testkit/index.js';

const NOW = Date.UTC(2045, 0, 1, 12);
const nanos = (ms: number): string => String(BigInt(ms) * 1_000_000n);
const text = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** One process's export: messages processed since `startMs` (`failed` of them with an error), as OTLP/JSON. */
function export_(instance: string, pid: number, version: string | undefined, ok: number, failed: number): Buffer {
  const point = (count: number, failedOnes: boolean, timeMs: number) => ({
    startTimeUnixNano: nanos(NOW - 50_000),
    timeUnixNano: nanos(timeMs),
    count: String(count),
    sum: 0.01 * count,
    // Under 10 ms, or (the failures) between 100 ms and 1 s.
    bucketCounts: failedOnes ? ['0', '0', String(count), '0'] : [String(count), '0', '0', '0'],
    explicitBounds: [0.01, 0.1, 1],
    attributes: failedOnes ? [text('error.type', 'StoreError')] : [],
  });
  return Buffer.from(
    JSON.stringify({
      resourceMetrics: [
        {
          resource: {
            attributes: [
              text('service.name', 'exodus-worker'),
              text('service.instance.id', instance),
              { key: 'process.pid', value: { intValue: String(pid) } },
              text('host.name', 'host-a'),
              ...(version === undefined ? [] : [text('service.version', version)]),
            ],
          },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'process.memory.usage',
                  gauge: { dataPoints: [{ timeUnixNano: nanos(NOW - 2000), asDouble: 5e7 }] },
                },
                {
                  name: 'messaging.process.duration',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [point(ok, false, NOW - 30_000), point(failed, true, NOW - 30_000)],
                  },
                },
              ],
            },
          ],
        },
      ],
    }),
  );
}

describe("a service's work split by version: each point carries its sender's version", () => {
  it('keeps the version on every metric point and the sender (host, version) as an instance record', () => {
    const decoded = decodeOtlp('metrics', export_('worker-1', 41, '1.4.2', 6, 0), 'json');
    expect(new Set(decoded.points.map((p) => p.attributes['service.version']))).toEqual(new Set(['1.4.2']));
    expect(decoded.instances).toEqual([
      {
        service: 'exodus-worker',
        instance: 'worker-1',
        version: '1.4.2',
        host: 'host-a',
        pod: null,
        node: null,
        firstSeenMs: NOW - 30_000,
        lastSeenMs: NOW - 2000,
      },
    ]);
    const unversioned = decodeOtlp('metrics', export_('worker-1', 41, undefined, 6, 0), 'json');
    expect(unversioned.points.every((p) => !('service.version' in p.attributes))).toBe(true);
    expect(unversioned.instances[0]?.version).toBe('');
  });

  it('gives each version its rate, error share and latency, side by side; one version gives one row', () => {
    const store = openTelemetryStore(tempDir('exodus-versions-'));
    try {
      store.record(decodeOtlp('metrics', export_('worker-1', 41, '1.4.2', 60, 0), 'json'));
      const one = buildServicePage(store, { name: 'worker' }, NOW);
      expect('page' in one && one.page.versions.map((v) => v.version)).toEqual(['1.4.2']);

      store.record(decodeOtlp('metrics', export_('worker-2', 42, '1.10.0-canary', 24, 6), 'json'));
      store.record(decodeOtlp('metrics', export_('worker-3', 43, undefined, 3, 0), 'json'));
      const answer = buildServicePage(store, { name: 'worker' }, NOW);
      if (!('page' in answer)) throw new Error(answer.notFound);
      // Versions in numeric order (1.4 before 1.10); a process that named none is `unknown`.
      expect(answer.page.versions.map((v) => [v.version, v.instances, v.ratePerSecond * 60, v.errorRate])).toEqual([
        ['1.4.2', ['worker-1'], 60, 0],
        ['1.10.0-canary', ['worker-2'], 30, 0.2],
        ['unknown', ['worker-3'], 3, 0],
      ]);
      // The canary's failures were slow: its p99 is in their bucket (0.1–1 s), the others' under 10 ms.
      const p99 = answer.page.versions.map((v) => v.latencyMs?.p99 ?? NaN);
      expect(p99[0]).toBeLessThan(10);
      expect(p99[1]).toBeGreaterThan(100);
      expect(p99[2]).toBeLessThan(10);
      expect(answer.page.charts.find((c) => c.title === 'Rate')?.series.map((s) => s.label)).toEqual([
        '1.4.2',
        '1.10.0-canary',
        'unknown',
      ]);
    } finally {
      store.close();
    }
  });
});
