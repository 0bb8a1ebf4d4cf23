// The wish-acceptance SLO's counts as CloudWatch EMF (src/runtime/wish-acceptance-emf.ts): classified
// as slo/wish-acceptance-availability.yaml says, aggregated, one line per interval.
import { Metrics } from '@aws-lambda-powertools/metrics';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { parse } from 'yaml';
import {
  WISH_ACCEPTANCE,
  WishAcceptanceEmf,
  classifyWishAnswer,
  wishAcceptanceEmfFrom,
} from '../../../src/runtime/wish-acceptance-emf.js';

const SLO = join(import.meta.dirname, '../../../slo/wish-acceptance-availability.yaml');

describe('classifyWishAnswer', () => {
  it('holds the same statuses as the SLO’s good and total queries', () => {
    const ratio = (
      parse(readFileSync(SLO, 'utf8')) as {
        spec: {
          indicator: { spec: { ratioMetric: Record<'good' | 'total', { metricSource: { spec: { query: string } } }> } };
        };
      }
    ).spec.indicator.spec.ratioMetric;
    const codes = (query: string, operator: '=~' | '!~'): number[] => {
      const match = new RegExp(`http_response_status_code${operator}"([0-9|]+)"`).exec(query);
      return (match?.[1] ?? '').split('|').map(Number);
    };
    expect([...WISH_ACCEPTANCE.good]).toEqual(codes(ratio.good.metricSource.spec.query, '=~'));
    expect([...WISH_ACCEPTANCE.notCounted]).toEqual(codes(ratio.total.metricSource.spec.query, '!~'));
  });

  it.each([
    [202, false, 'good'],
    [429, true, 'good'],
    [503, true, 'good'],
    [503, false, 'bad'],
    [500, false, 'bad'],
    [504, true, 'bad'],
    [404, false, 'bad'],
    [401, false, 'not-counted'],
    [413, false, 'not-counted'],
  ] as const)('%i (Retry-After: %s) is %s', (status, retryAfter, kind) => {
    expect(classifyWishAnswer(status, retryAfter)).toBe(kind);
  });
});

describe('WishAcceptanceEmf', () => {
  let written: MockInstance;
  const lines = (): Record<string, unknown>[] =>
    written.mock.calls
      .map((call) => String(call[0]))
      .filter((text) => text.includes('"_aws"'))
      .map((text) => JSON.parse(text) as Record<string, unknown>);
  beforeEach(() => {
    vi.useFakeTimers();
    written = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    written.mockRestore();
    vi.useRealTimers();
  });

  it('writes one EMF line per interval with the sums, in the namespace and with the service dimension', () => {
    const emf = new WishAcceptanceEmf(new Metrics({ namespace: 'Exodus', serviceName: 'exodus-frontend' }), 60_000);
    for (let i = 0; i < 1000; i++) emf.record(202, false);
    emf.record(503, true);
    emf.record(500, false);
    emf.record(401, false);
    expect(lines()).toEqual([]);
    vi.advanceTimersByTime(60_000);
    expect(lines()).toHaveLength(1);
    const [line] = lines();
    expect(line).toMatchObject({ WishAnswersGood: 1001, WishAnswersTotal: 1002, service: 'exodus-frontend' });
    expect(line?.['_aws']).toMatchObject({
      CloudWatchMetrics: [
        {
          Namespace: 'Exodus',
          Dimensions: [['service']],
          Metrics: [
            { Name: 'WishAnswersGood', Unit: 'Count' },
            { Name: 'WishAnswersTotal', Unit: 'Count' },
          ],
        },
      ],
    });
    emf.stop();
  });

  it('starts each interval from zero, writes nothing for one without answers, and flushes what is left on stop', () => {
    const emf = new WishAcceptanceEmf(new Metrics({ namespace: 'Exodus', serviceName: 'exodus-frontend' }), 60_000);
    emf.record(500, false);
    vi.advanceTimersByTime(60_000);
    vi.advanceTimersByTime(60_000);
    emf.record(401, false);
    vi.advanceTimersByTime(60_000);
    emf.record(429, true);
    emf.stop();
    vi.advanceTimersByTime(60_000);
    expect(lines().map((l) => [l['WishAnswersGood'], l['WishAnswersTotal']])).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });
});

describe('wishAcceptanceEmfFrom', () => {
  it('is off without EXODUS_EMF_NAMESPACE, and refuses a namespace CloudWatch would', () => {
    expect(wishAcceptanceEmfFrom({})).toBeUndefined();
    expect(wishAcceptanceEmfFrom({ EXODUS_EMF_NAMESPACE: '' })).toBeUndefined();
    expect(() => wishAcceptanceEmfFrom({ EXODUS_EMF_NAMESPACE: 'has space' })).toThrow(/EXODUS_EMF_NAMESPACE/);
    expect(() => wishAcceptanceEmfFrom({ EXODUS_EMF_NAMESPACE: 'AWS/Mine' })).toThrow(/EXODUS_EMF_NAMESPACE/);
    const emf = wishAcceptanceEmfFrom({ EXODUS_EMF_NAMESPACE: 'Exodus/prod' });
    expect(emf).toBeInstanceOf(WishAcceptanceEmf);
    emf?.stop();
  });
});
