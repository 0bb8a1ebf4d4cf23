import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTelemetryStore } from '../../../src/engines/index.js';
import { readSlos } from '../../../src/ops/index.js';
import { packageRoot } from '../../../src/runtime/index.js';
import { answerOutcome, outcomeOf } from '../../../src/services/console/answers.js';
import { decodeOtlp } from '../../../src/services/console/otlp-decode.js';
import { sloBudgets } from '../../../src/services/console/slo-budgets.js';
import { tempDir } from '../../../testkit/index.js';

/** Every status the front door answers POST /api/wishes with. */
const DOOR_STATUSES = [202, 400, 401, 413, 415, 422, 429, 500, 503];

describe('one definition of an error: the console’s columns and the availability SLO agree', () => {
  it('a 429 or 503 is a refusal, any other 5xx a failure, any other 4xx the caller’s mistake', () => {
    expect(DOOR_STATUSES.map((status) => [status, answerOutcome(status)])).toEqual([
      [202, 'served'],
      [400, 'mistaken'],
      [401, 'mistaken'],
      [413, 'mistaken'],
      [415, 'mistaken'],
      [422, 'mistaken'],
      [429, 'refused'],
      [500, 'failed'],
      [503, 'refused'],
    ]);
    expect(outcomeOf({ 'messaging.operation.name': 'process' })).toBe('served');
    expect(outcomeOf({ 'error.type': 'store_unavailable' })).toBe('failed');
  });

  it.each(DOOR_STATUSES)(
    'for a %i to POST /api/wishes, the SLO counts it bad exactly when the console counts it an error',
    (status) => {
      const store = openTelemetryStore(tempDir('exodus-console-answers-'));
      try {
        const nowMs = Date.now();
        const nanos = (ms: number): string => String(BigInt(ms) * 1_000_000n);
        const kv = (key: string, value: string | number) => ({
          key,
          value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value },
        });
        const attributes = [
          kv('http.request.method', 'POST'),
          kv('http.route', '/api/wishes'),
          kv('http.response.status_code', status),
        ];
        const point = {
          startTimeUnixNano: nanos(nowMs - 10_000),
          timeUnixNano: nanos(nowMs - 5000),
          count: '1',
          sum: 0.01,
          bucketCounts: ['1', '0'],
          explicitBounds: [1],
          attributes,
        };
        const body = {
          resourceMetrics: [
            {
              resource: { attributes: [kv('service.name', 'exodus-frontend')] },
              scopeMetrics: [
                {
                  metrics: [
                    {
                      name: 'http.server.request.duration',
                      histogram: { aggregationTemporality: 2, dataPoints: [point] },
                    },
                  ],
                },
              ],
            },
          ],
        };
        store.record(decodeOtlp('metrics', Buffer.from(JSON.stringify(body)), 'json'));

        const [availability] = sloBudgets(
          store,
          readSlos(join(packageRoot(), 'slo')).filter((slo) => slo.name === 'wish-acceptance-availability'),
          nowMs,
          60_000,
        );
        const counted = (availability?.total ?? 0) === 1;
        const bad = counted && availability?.good === 0;
        const outcome = answerOutcome(status);
        expect({ counted, bad }).toEqual({ counted: outcome !== 'mistaken', bad: outcome === 'failed' });
      } finally {
        store.close();
      }
    },
  );
});
