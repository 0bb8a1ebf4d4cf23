import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTelemetryStore } from '../../../src/engines/index.js';
import { readSlos } from '../../../src/ops/index.js';
import { packageRoot } from '../../../src/runtime/index.js';
import type { SloDefinition } from '../../../src/services/console/index.js';
import { increments } from '../../../src/services/console/metric-math.js';
import { decodeOtlp } from '../../../src/services/console/otlp-decode.js';
import { sloBudgets } from '../../../src/services/console/slo-budgets.js';
import { tempDir } from '../../../testkit/index.js';

/*
 * The console counts what the processes counted: whatever the exports (processes restarting, a
 * series first seen in a process's first export, a burst shorter than an interval, an exporter
 * sending the same request twice), its SLO figures are the sums of what each process exported last,
 * life by life. The exports go through the real receiver's decoder and the real store.
 */

const STATUSES = [202, 503, 500, 401] as const;
const BOUNDS = [0.01, 0.1, 0.25, 1];
const BUCKETS = BOUNDS.length + 1;

/** One export interval of one process: new requests per status, all in one latency bucket. */
interface Interval {
  readonly afterMs: number;
  readonly requests: readonly number[];
  readonly bucket: number;
  readonly sentTwice: boolean;
}
/** A process's life from its start to its last export; the next life is a restart (new pid, new start). */
interface Life {
  readonly startsAfterMs: number;
  readonly intervals: readonly Interval[];
}

const interval: fc.Arbitrary<Interval> = fc.record({
  afterMs: fc.integer({ min: 1, max: 30_000 }),
  requests: fc.array(fc.nat(12), { minLength: STATUSES.length, maxLength: STATUSES.length }),
  bucket: fc.nat(BUCKETS - 1),
  sentTwice: fc.boolean(),
});
const life: fc.Arbitrary<Life> = fc.record({
  startsAfterMs: fc.integer({ min: 1, max: 120_000 }),
  intervals: fc.array(interval, { minLength: 1, maxLength: 6 }),
});
const system: fc.Arbitrary<Life[][]> = fc.array(fc.array(life, { minLength: 1, maxLength: 3 }), {
  minLength: 1,
  maxLength: 3,
});

type Cumulative = Map<number, { count: number; buckets: number[]; startMs: number }>;

interface Export {
  readonly body: Buffer;
  readonly sentTwice: boolean;
}

const nanos = (ms: number): string => String(BigInt(ms) * 1_000_000n);
const kv = (key: string, value: string | number) => ({
  key,
  value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value },
});
const post = (status: number) => [
  kv('http.request.method', 'POST'),
  kv('http.route', '/api/wishes'),
  kv('http.response.status_code', status),
];

/** What an OpenTelemetry SDK exports at `timeMs`: every series it has, cumulative since its start. */
function otlpExport(process: { instance: string; pid: number }, timeMs: number, series: Cumulative): Buffer {
  const present = [...series.entries()];
  const accepted = series.get(202);
  const metrics = [
    {
      name: 'http.server.request.duration',
      histogram: {
        aggregationTemporality: 2,
        dataPoints: present.map(([status, { count, buckets, startMs }]) => ({
          startTimeUnixNano: nanos(startMs),
          timeUnixNano: nanos(timeMs),
          count: String(count),
          sum: count * 0.05,
          bucketCounts: buckets.map(String),
          explicitBounds: BOUNDS,
          attributes: post(status),
        })),
      },
    },
    ...(accepted === undefined
      ? []
      : [
          {
            name: 'exodus.wishes',
            sum: {
              aggregationTemporality: 2,
              isMonotonic: true,
              dataPoints: [
                {
                  startTimeUnixNano: nanos(accepted.startMs),
                  timeUnixNano: nanos(timeMs),
                  asInt: String(accepted.count),
                  attributes: [kv('exodus.wish.outcome', 'accepted')],
                },
              ],
            },
          },
        ]),
  ];
  const resource = {
    attributes: [
      kv('service.name', 'exodus-frontend'),
      kv('service.instance.id', process.instance),
      kv('process.pid', process.pid),
    ],
  };
  return Buffer.from(JSON.stringify({ resourceMetrics: [{ resource, scopeMetrics: [{ metrics }] }] }));
}

/** The exports of every process, in time order, and the requests they counted by status and bucket. */
function play(
  processes: readonly (readonly Life[])[],
  t0: number,
): { exports: Export[]; counted: number[][]; endMs: number } {
  const timed: (Export & { timeMs: number })[] = [];
  const counted = STATUSES.map(() => Array.from({ length: BUCKETS }, () => 0));
  let endMs = t0;
  processes.forEach((lives, p) => {
    let clock = t0;
    lives.forEach((one, l) => {
      const who = { instance: `frontend-${p + 1}`, pid: 1000 + p * 10 + l };
      clock += one.startsAfterMs;
      const series: Cumulative = new Map(); // a new process counts from zero
      for (const { afterMs, requests, bucket, sentTwice } of one.intervals) {
        const firstRequestMs = clock + 1; // a series starts at its first measurement, as the SDK's do
        clock += afterMs + 1;
        requests.forEach((n, s) => {
          const status = STATUSES[s] as number;
          if (n === 0) return;
          const seen = series.get(status) ?? {
            count: 0,
            buckets: Array.from({ length: BUCKETS }, () => 0),
            startMs: firstRequestMs,
          };
          seen.count += n;
          seen.buckets[bucket] = (seen.buckets[bucket] ?? 0) + n;
          series.set(status, seen);
          (counted[s] as number[])[bucket] = ((counted[s] as number[])[bucket] ?? 0) + n;
        });
        if (series.size > 0) timed.push({ timeMs: clock, body: otlpExport(who, clock, series), sentTwice });
      }
    });
    endMs = Math.max(endMs, clock);
  });
  timed.sort((a, b) => a.timeMs - b.timeMs);
  return { exports: timed, counted, endMs };
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

const ACCEPTED: SloDefinition = {
  name: 'accepted-wishes',
  displayName: 'a counter, read as one',
  target: 0.5,
  good: 'exodus_wishes_total{exodus_wish_outcome="accepted"}',
  total: 'exodus_wishes_total{exodus_wish_outcome="accepted"}',
};

describe("the console's totals are what the processes counted", () => {
  const slos = [...readSlos(join(packageRoot(), 'slo')), ACCEPTED];

  it('for any exports, restarts included: the SLO figures, counter and histogram, equal the sums of the processes’ counts; no increment is negative', () => {
    fc.assert(
      fc.property(system, (processes) => {
        const dir = tempDir('exodus-console-counts-');
        const store = openTelemetryStore(dir);
        try {
          const t0 = Date.now() - 6 * 3_600_000;
          const { exports, counted, endMs } = play(processes, t0);
          for (const { body, sentTwice } of exports) {
            const decoded = decodeOtlp('metrics', body, 'json');
            store.record(decoded);
            if (sentTwice) store.record(decoded); // an exporter's retry of a request that was kept
          }
          const nowMs = endMs + 1000;
          const of = (name: string) =>
            sloBudgets(store, slos, nowMs, nowMs - t0 + 1000).find((slo) => slo.name === name);
          const [accepted, shed, failed] = [0, 1, 2].map((s) => sum(counted[s] ?? []));
          const fastAccepted = sum((counted[0] ?? []).slice(0, 3)); // buckets up to le 0.25

          expect(of('wish-acceptance-availability')).toMatchObject({
            good: (accepted ?? 0) + (shed ?? 0),
            total: (accepted ?? 0) + (shed ?? 0) + (failed ?? 0),
          });
          expect(of('wish-acceptance-latency')).toMatchObject({ good: fastAccepted, total: accepted });
          expect(of('accepted-wishes')).toMatchObject({ good: accepted, total: accepted });

          const grown = increments(store.points(['http.server.request.duration', 'exodus.wishes'], 0), 0);
          expect(grown.every((i) => i.value >= 0 && i.count >= 0 && i.buckets.every((n) => n >= 0))).toBe(true);
        } finally {
          store.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  });
});
