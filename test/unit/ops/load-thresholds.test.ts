import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  judge,
  needsAudit,
  parseScenario,
  RESULTS_FILE,
  runLoad,
  type LoadReport,
  type LoadResult,
  type Threshold,
  type ThresholdMetric,
} from '../../../src/ops/load/index.js';
import { startFixedDoor, tempDir, type FixedDoor } from '../../../testkit/index.js';

const latency = (base: number) => ({
  count: 1,
  p50Ms: base + 1,
  p90Ms: base + 2,
  p99Ms: base + 3,
  p999Ms: base + 4,
  maxMs: base + 5,
  meanMs: base + 6,
});
const action = (base: number) => ({ sent: 0, answers: {}, latency: latency(base) });

/** A run whose every figure is distinct, so a threshold reading the wrong one shows. */
const RESULT: LoadResult = {
  target: 'http://127.0.0.1:9',
  startedAt: new Date(0).toISOString(),
  durationMs: 1_000,
  arrivals: 1_000,
  skipped: 7,
  byAction: { post: action(100), status: action(200), wall: action(300), tally: action(400) },
  accepted: 900,
  retries: 11,
  gaveUp: 13,
  errors: 40,
  unexpected5xx: 17,
  shed: 50,
  shedWithoutRetryAfter: 19,
  answered: 500,
  readLatency: latency(600),
  timeline: { seconds: [] } as unknown as LoadResult['timeline'],
  marks: [],
};
const AUDIT = { lost: 3, waitS: 23 };

describe('load thresholds', () => {
  it.each<[ThresholdMetric, number]>([
    ['post.accepted.p50_ms', 101],
    ['post.accepted.p99_ms', 103],
    ['post.accepted.max_ms', 105],
    ['reads.p99_ms', 603],
    ['accepted', 900],
    ['errors', 40],
    ['error_ratio', 40 / 500],
    ['unexpected_5xx', 17],
    ['shed_ratio', 50 / 500],
    ['shed_without_retry_after', 19],
    ['skipped', 7],
    ['gave_up', 13],
    ['lost', 3],
    ['audit_wait_s', 23],
  ])('%s is measured from its own figure (%d), and breaking it fails the load', (metric, value) => {
    const [held] = judge([{ metric, max: value }], RESULT, AUDIT);
    expect(held).toMatchObject({ metric, value, pass: true, bound: `≤ ${value}` });
    const [broken] = judge([{ metric, max: value * 0.99 }], RESULT, AUDIT);
    expect(broken).toMatchObject({ metric, value, pass: false });
    const [under] = judge([{ metric, min: value * 1.01 }], RESULT, AUDIT);
    expect(under).toMatchObject({ metric, value, pass: false, bound: `≥ ${value * 1.01}` });
  });

  it('a max alone: above it fails, at or below it passes', () => {
    const verdicts = judge(
      [
        { metric: 'errors', max: 39 },
        { metric: 'errors', max: 40 },
        { metric: 'errors', max: 41 },
        { metric: 'errors', max: 0 },
      ],
      RESULT,
      undefined,
    );
    expect(verdicts.map((v) => v.pass)).toEqual([false, true, true, false]);
  });

  it('a min alone: below it fails, at or above it passes', () => {
    const verdicts = judge(
      [
        { metric: 'accepted', min: 901 },
        { metric: 'accepted', min: 900 },
        { metric: 'accepted', min: 1 },
      ],
      RESULT,
      undefined,
    );
    expect(verdicts.map((v) => v.pass)).toEqual([false, true, true]);
  });

  it('a min and a max: both must hold, and the bound says both', () => {
    const verdicts = judge(
      [
        { metric: 'accepted', min: 100, max: 1_000 },
        { metric: 'accepted', min: 901, max: 1_000 },
        { metric: 'accepted', min: 100, max: 899 },
      ],
      RESULT,
      undefined,
    );
    expect(verdicts.map((v) => [v.pass, v.bound])).toEqual([
      [true, '≥ 100 and ≤ 1000'],
      [false, '≥ 901 and ≤ 1000'],
      [false, '≥ 100 and ≤ 899'],
    ]);
  });

  it('each verdict says what its metric means', () => {
    const [verdict] = judge([{ metric: 'gave_up', max: 100 }], RESULT, undefined);
    expect(verdict?.meaning).toBe('wishes still refused (429/503) after every retry');
  });

  it('ratios of a run that got no answer are 0, not NaN', () => {
    const silent = { ...RESULT, answered: 0, errors: 0, shed: 0 };
    expect(
      judge(
        [
          { metric: 'error_ratio', max: 0 },
          { metric: 'shed_ratio', max: 0 },
        ],
        silent,
        undefined,
      ).map((v) => [v.value, v.pass]),
    ).toEqual([
      [0, true],
      [0, true],
    ]);
  });

  it('an audit metric without an audit cannot be measured, and that fails: never a pass by default', () => {
    const verdicts = judge(
      [
        { metric: 'lost', max: 1_000_000 },
        { metric: 'audit_wait_s', max: 1_000_000 },
      ],
      RESULT,
      undefined,
    );
    expect(verdicts.map((v) => [v.value, v.pass])).toEqual([
      [undefined, false],
      [undefined, false],
    ]);
    // An audit that never found every wish within its wait has no wait to judge: failed too.
    const [never] = judge([{ metric: 'audit_wait_s', max: 1_000_000 }], RESULT, { lost: 0, waitS: undefined });
    expect(never).toMatchObject({ value: undefined, pass: false });
    // A threshold with no bound at all holds whenever it can be measured.
    expect(judge([{ metric: 'errors' }], RESULT, undefined)).toEqual([
      { metric: 'errors', meaning: expect.any(String) as unknown, bound: '', value: 40, pass: true },
    ]);
  });

  it('only lost and audit_wait_s need an audit', () => {
    const without: Threshold[] = [
      { metric: 'errors', max: 0 },
      { metric: 'accepted', min: 1 },
    ];
    expect(needsAudit(without)).toBe(false);
    expect(needsAudit([...without, { metric: 'lost', max: 0 }])).toBe(true);
    expect(needsAudit([{ metric: 'audit_wait_s', max: 10 }])).toBe(true);
    expect(needsAudit([])).toBe(false);
  });
});

describe('a load that breaks a threshold is reported failed', () => {
  let opened: FixedDoor | undefined;
  afterEach(async () => {
    await opened?.close();
    opened = undefined;
  });

  /** A door that answers every wish with `status`, closed after the test. */
  const door = async (status: number): Promise<string> => (opened = await startFixedDoor(status)).url;

  const SCENARIO = parseScenario(
    `name: breaks
rate: 20
phases:
  - { name: steady, constant: 1x, for: 1s }
mix: { post: 1 }
thresholds:
  errors: { max: 0 }
  unexpected_5xx: { max: 0 }
  accepted: { min: 1 }
`,
    'breaks.yaml',
  );

  const load = async (target: string): Promise<{ report: LoadReport; written: LoadReport }> => {
    const out = tempDir('exodus-load-thresholds-');
    const { report, files } = await runLoad({
      target,
      scenario: SCENARIO,
      roster: [{ evacueeId: 'EV-00001', pass: 'x.y.z' }],
      rate: undefined,
      durationMs: undefined,
      connections: 4,
      seed: 1,
      out,
      engines: undefined,
      auditWaitMs: 0,
      signal: new AbortController().signal,
      progress: false,
    });
    expect(files.results).toBe(join(out, RESULTS_FILE));
    return { report, written: JSON.parse(readFileSync(files.results, 'utf8')) as LoadReport };
  };

  it('every wish answered 500: errors and unexpected 5xx break their max, nothing is accepted: FAIL, in the report and its file', async () => {
    const { report, written } = await load(await door(500));
    expect(report.result.unexpected5xx).toBeGreaterThan(0);
    expect(report.verdicts.map((v) => [v.metric, v.pass])).toEqual([
      ['errors', false],
      ['unexpected_5xx', false],
      ['accepted', false],
    ]);
    expect(report.pass).toBe(false);
    expect(written.pass).toBe(false);
  });

  it('the same load against a door that accepts every wish passes', async () => {
    const { report, written } = await load(await door(202));
    expect(report.verdicts.every((v) => v.pass)).toBe(true);
    expect(report.pass).toBe(true);
    expect(written.pass).toBe(true);
  });
});
