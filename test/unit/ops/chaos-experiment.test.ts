import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeFault, ExperimentError, parseExperiment, readExperiment } from '../../../src/ops/chaos/index.js';
import { yamlNamesIn } from '../../../src/ops/index.js';
import { packageRoot } from '../../../src/runtime/index.js';

const DIR = join(packageRoot(), 'scenarios', 'chaos');

const VALID = `name: t
load: { scenario: fault, rate: 40, duration: 30s }
hypothesis: { drain_within: 2m, new_dead_letters: 1 }
faults:
  - { at: 5s, kill: { service: worker, every: 2s, for: 10s } }
  - { at: 10s, latency: { to: store, ms: 200, for: 5s } }
  - { at: 20s, broker-restart: { abrupt: true } }
`;

describe('chaos experiments', () => {
  it('the ready-made ones all parse', () => {
    expect(yamlNamesIn(DIR)).toEqual(['broker-restart', 'hung-tally', 'poison', 'store-outage', 'workers-killed']);
    for (const name of yamlNamesIn(DIR)) expect(readExperiment(join(DIR, `${name}.yaml`)).name).toBe(name);
  });

  it('are data: faults at times, a hypothesis over the defaults, a load', () => {
    const experiment = parseExperiment(VALID, 'x.yaml');
    expect(experiment.load).toEqual({ scenario: 'fault', rate: 40, durationMs: 30_000 });
    expect(experiment.hypothesis).toEqual({
      recoverWithinMs: 30_000,
      drainWithinMs: 120_000,
      backlogAtMost: 0,
      newDeadLetters: 1,
    });
    expect(experiment.faults.map((f) => [f.atMs, describeFault(f.spec)])).toEqual([
      [5_000, 'kill -9 a worker every 2 s for 10 s'],
      [10_000, '200 ms latency to the store for 5 s'],
      [20_000, 'abrupt broker restart, down 0 s'],
    ]);
  });

  it.each([
    ['an unknown fault', VALID.replace('broker-restart:', 'broker-restrt:'), /x\.yaml:7: unknown key "broker-restrt"/],
    [
      'kill with every but no for',
      VALID.replace(', for: 10s } }', ' } }'),
      /x\.yaml:5: kill takes "every" and "for" together/,
    ],
    ['a bad duration', VALID.replace('at: 10s', 'at: soon'), /x\.yaml:6: a duration such as 30s/],
    ['no faults', 'name: t\nfaults: []\n', /x\.yaml:2: faults must be a list/],
    [
      'a mistyped hypothesis',
      VALID.replace('drain_within', 'drain_witin'),
      /x\.yaml:3: unknown key "drain_witin" in "hypothesis"/,
    ],
  ])('%s is an error naming the line', (_, text, message) => {
    expect(() => parseExperiment(text, 'x.yaml')).toThrow(ExperimentError);
    expect(() => parseExperiment(text, 'x.yaml')).toThrow(message);
  });
});
