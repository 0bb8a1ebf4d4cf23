import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { yamlNamesIn } from '../../../src/ops/index.js';
import { loadScenario, parseScenario, ScenarioError, segmentsOf } from '../../../src/ops/load/index.js';
import { packageRoot } from '../../../src/runtime/index.js';

const DIR = join(packageRoot(), 'scenarios', 'load');

const VALID = `name: t
rate: 10
phases:
  - { name: up, ramp: { from: 0, to: 2x }, for: 10s }
  - { spike: 5x, for: 5s }
  - { pause: true, for: 2s }
mix: { post: 3, wall: 1 }
thresholds:
  post.accepted.p99_ms: { max: 100 }
  accepted: { min: 1 }
`;

describe('load scenarios', () => {
  it('the ready-made ones all parse: baseline, overload, spike, soak, fault', () => {
    expect(yamlNamesIn(DIR)).toEqual(['baseline', 'fault', 'overload', 'soak', 'spike']);
    for (const name of yamlNamesIn(DIR)) expect(loadScenario(name, DIR).name).toBe(name);
  });

  it('phases become rate segments: relative rates follow --rate, a spike rises within a second, --duration scales', () => {
    const scenario = parseScenario(VALID, 'test.yaml');
    expect(scenario.mix).toEqual({ post: 3, status: 0, wall: 1, tally: 0 });
    expect(scenario.thresholds).toEqual([
      { metric: 'post.accepted.p99_ms', max: 100 },
      { metric: 'accepted', min: 1 },
    ]);
    expect(segmentsOf(scenario, { rate: 100 }).map((s) => [s.name, s.startMs, s.durationMs, s.from, s.to])).toEqual([
      ['up', 0, 10_000, 0, 200],
      ['spike 1', 10_000, 1_000, 0, 500],
      ['spike 1', 11_000, 4_000, 500, 500],
      ['pause 2', 15_000, 2_000, 0, 0],
    ]);
    expect(segmentsOf(scenario, { durationMs: 34_000 }).map((s) => s.durationMs)).toEqual([
      20_000, 1_000, 9_000, 4_000,
    ]);
  });

  it.each([
    [
      'a mistyped threshold',
      VALID.replace('post.accepted.p99_ms', 'post.acepted.p99_ms'),
      /test.yaml:9: unknown key "post.acepted.p99_ms" in "thresholds"/,
    ],
    [
      'a threshold without a bound',
      VALID.replace('accepted: { min: 1 }', 'accepted: {}'),
      /test.yaml:10: threshold accepted needs max or min/,
    ],
    [
      'a phase with two kinds',
      VALID.replace('{ spike: 5x, for: 5s }', '{ spike: 5x, constant: 1, for: 5s }'),
      /test.yaml:5: a phase has exactly one of/,
    ],
    ['a bad duration', VALID.replace('for: 2s', 'for: 2 seconds'), /test.yaml:6: "for" takes a duration/],
    ['a bad rate', VALID.replace('spike: 5x', 'spike: lots'), /test.yaml:5: a rate is arrivals per second/],
    ['an unknown action', VALID.replace('wall: 1', 'dance: 1'), /test.yaml:7: unknown key "dance" in "mix"/],
    ['no phases', VALID.replace(/phases:[\s\S]*?mix/, 'phases: []\nmix'), /test.yaml:3: phases must be a list/],
    ['not YAML', 'name: [', /test.yaml:1:/],
  ])('%s is an error naming the line', (_, text, message) => {
    expect(() => parseScenario(text, 'test.yaml')).toThrow(ScenarioError);
    expect(() => parseScenario(text, 'test.yaml')).toThrow(message);
  });
});
