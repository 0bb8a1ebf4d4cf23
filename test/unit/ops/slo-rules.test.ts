import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { prometheusRules, readSlos, SloError, sloOf, type Slo } from '../../../src/ops/index.js';
import { packageRoot } from '../../../src/runtime/index.js';
import { skipUnless, tempDir } from '../../../testkit/index.js';

const SLO_DIR = join(packageRoot(), 'slo');
const HAVE_PROMTOOL = spawnSync('promtool', ['--version']).status === 0;

/** A valid OpenSLO document, as an object to break one field of. */
const document = (): Record<string, unknown> =>
  parse(`apiVersion: openslo/v1
kind: SLO
metadata:
  name: wish-x
  displayName: Wishes x
spec:
  service: exodus-x
  description: Wishes do x.
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 30d
      isRolling: true
  indicator:
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: good_total
        total:
          metricSource:
            type: Prometheus
            spec:
              query: all_total
  objectives:
    - target: 0.995
`) as Record<string, unknown>;

/** The document with the value at `path` (dots, list indexes as numbers) replaced, or removed when `value` is undefined. */
function withField(path: string, value: unknown): Record<string, unknown> {
  const doc = document();
  const keys = path.split('.');
  let at: Record<string, unknown> = doc;
  for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
  const last = keys.at(-1) ?? '';
  if (value === undefined) delete at[last];
  else at[last] = value;
  return doc;
}

const RATIO = 'spec.indicator.spec.ratioMetric';

describe('SLO documents', () => {
  it('a valid document becomes an SLO: name, display name, service, description, target, the two selectors, its file', () => {
    expect(sloOf(document(), 'x.yaml')).toEqual({
      name: 'wish-x',
      displayName: 'Wishes x',
      service: 'exodus-x',
      description: 'Wishes do x.',
      target: 0.995,
      good: 'good_total',
      total: 'all_total',
      file: 'x.yaml',
    });
  });

  it('the display name defaults to the name, the description to nothing', () => {
    const doc = withField('metadata.displayName', undefined);
    delete ((doc['spec'] as Record<string, unknown>) ?? {})['description'];
    expect(sloOf(doc, 'x.yaml')).toMatchObject({ displayName: 'wish-x', description: '' });
    expect(sloOf(withField('metadata.displayName', 42), 'x.yaml').displayName).toBe('wish-x');
    expect(sloOf(withField('spec.description', 42), 'x.yaml').description).toBe('');
  });

  it.each<[string, unknown, string]>([
    ['apiVersion', 'openslo/v2', 'apiVersion must be openslo/v1'],
    ['kind', 'SLI', 'kind must be SLO'],
    ['metadata.name', undefined, 'metadata.name must be a non-empty string'],
    ['metadata.name', '   ', 'metadata.name must be a non-empty string'],
    ['metadata.name', 7, 'metadata.name must be a non-empty string'],
    ['metadata.name', 'Wish_X', 'metadata.name must be lowercase letters, digits and dashes'],
    ['metadata.name', '-wish', 'metadata.name must be lowercase letters, digits and dashes'],
    ['metadata.name', 'wish-', 'metadata.name must be lowercase letters, digits and dashes'],
    ['metadata.name', 'wish x', 'metadata.name must be lowercase letters, digits and dashes'],
    ['spec.objectives', [{ target: 1 }], 'spec.objectives.0.target must be a number between 0 and 1 (e.g. 0.999)'],
    ['spec.objectives', [{ target: 0 }], 'spec.objectives.0.target must be a number between 0 and 1 (e.g. 0.999)'],
    ['spec.objectives', [{ target: 99.9 }], 'spec.objectives.0.target must be a number between 0 and 1 (e.g. 0.999)'],
    [
      'spec.objectives',
      [{ target: '0.999' }],
      'spec.objectives.0.target must be a number between 0 and 1 (e.g. 0.999)',
    ],
    ['spec.objectives', [], 'spec.objectives.0.target must be a number between 0 and 1 (e.g. 0.999)'],
    ['spec.budgetingMethod', 'Timeslices', 'spec.budgetingMethod must be Occurrences (the rules count events)'],
    [
      'spec.timeWindow',
      [{ duration: '28d' }],
      'spec.timeWindow.0.duration must be 30d (the burn rates are set for a 30-day budget)',
    ],
    [`${RATIO}.counter`, false, `${RATIO}.counter must be true (good and total are counters)`],
    [`${RATIO}.counter`, 'true', `${RATIO}.counter must be true (good and total are counters)`],
    [`${RATIO}.good.metricSource.type`, 'Datadog', `${RATIO}.good.metricSource.type must be Prometheus`],
    [`${RATIO}.total.metricSource.type`, 'Datadog', `${RATIO}.total.metricSource.type must be Prometheus`],
    [`${RATIO}.good.metricSource.spec.query`, '', `${RATIO}.good.metricSource.spec.query must be a non-empty string`],
    [
      `${RATIO}.total.metricSource.spec`,
      undefined,
      `${RATIO}.total.metricSource.spec.query must be a non-empty string`,
    ],
    ['spec.service', undefined, 'spec.service must be a non-empty string'],
  ])('refuses %s = %j, naming the file and the field', (path, value, message) => {
    expect(() => sloOf(withField(path, value), 'slo/x.yaml')).toThrow(new SloError(`slo/x.yaml: ${message}`));
  });

  it('refuses what is not a document at all', () => {
    for (const nothing of [null, 'text', 42, []])
      expect(() => sloOf(nothing, 'x.yaml')).toThrow('x.yaml: apiVersion must be openslo/v1');
  });

  it('reads every *.yaml and *.yml of a folder, sorted, several documents to a file; not its tests/ or other files', () => {
    const dir = tempDir('exodus-slos-');
    const text = (name: string): string => readFileSync(join(SLO_DIR, `${name}.yaml`), 'utf8');
    writeFileSync(join(dir, 'b.yml'), text('wish-freshness'));
    writeFileSync(join(dir, 'a.yaml'), `${text('wall-read-latency')}\n---\n${text('wish-acceptance-latency')}`);
    writeFileSync(join(dir, 'notes.md'), '# not an SLO');
    mkdirSync(join(dir, 'tests'));
    writeFileSync(join(dir, 'tests', 'c.yaml'), 'not: an SLO');
    expect(readSlos(dir).map((slo) => [slo.name, slo.file])).toEqual([
      ['wall-read-latency', join(dir, 'a.yaml')],
      ['wish-acceptance-latency', join(dir, 'a.yaml')],
      ['wish-freshness', join(dir, 'b.yml')],
    ]);
  });

  it('an empty folder, or a file that is not YAML, is refused with the file named', () => {
    const dir = tempDir('exodus-slos-');
    expect(() => readSlos(dir)).toThrow(new SloError(`${dir}: no SLO documents (*.yaml)`));
    writeFileSync(join(dir, 'broken.yaml'), 'apiVersion: openslo/v1\n  kind: [SLO\n');
    expect(() => readSlos(dir)).toThrow(SloError);
    expect(() => readSlos(dir)).toThrow(new RegExp(`^${join(dir, 'broken.yaml')}: \\S`));
  });
});

describe('SLOs as Prometheus rules', () => {
  const slo = (name: string, target: number, file = `slo/${name}.yaml`): Slo => ({
    name,
    displayName: `The ${name}`,
    service: 'exodus-x',
    description: `About ${name}.`,
    target,
    good: 'good_total{a="b"}',
    total: 'all_total',
    file,
  });

  interface Rule {
    record?: string;
    alert?: string;
    expr: string;
    for?: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  }
  const groupsOf = (text: string): { name: string; rules: Rule[] }[] =>
    (parse(text) as { groups: { name: string; rules: Rule[] }[] }).groups;

  it('says it is generated, and from which files (each once)', () => {
    const text = prometheusRules([
      slo('one', 0.99, 'slo/a.yaml'),
      slo('two', 0.99, 'slo/a.yaml'),
      slo('three', 0.99, 'slo/b.yaml'),
    ]);
    expect(text.split('\n')[0]).toBe(
      '# Generated by `exodus slo rules` from slo/a.yaml, slo/b.yaml: do not edit, edit the SLOs.',
    );
  });

  it('one group per SLO: the error ratio over 5 m, 30 m, 1 h, 6 h and 3 d, labelled with the SLO and its service', () => {
    const groups = groupsOf(prometheusRules([slo('one', 0.99), slo('two', 0.999)]));
    expect(groups.map((group) => group.name)).toEqual(['slo-one', 'slo-two']);
    const records = groups[0]?.rules.filter((rule) => rule.record !== undefined) ?? [];
    expect(records.map((rule) => [rule.record, rule.expr, rule.labels])).toEqual(
      ['5m', '30m', '1h', '6h', '3d'].map((w) => [
        `slo:sli_error:ratio_rate${w}`,
        `1 - (sum(rate(good_total{a="b"}[${w}])) / sum(rate(all_total[${w}])))`,
        { slo: 'one', service: 'exodus-x' },
      ]),
    );
  });

  it('a page when 14.4× the budget burns over 1 h and 5 m, or 6× over 6 h and 30 m, held 2 min; a ticket at 1× over 3 d and 6 h, held 30 min', () => {
    const alerts =
      groupsOf(prometheusRules([slo('one', 0.999)]))[0]?.rules.filter((rule) => rule.alert !== undefined) ?? [];
    const ratio = (w: string): string => `slo:sli_error:ratio_rate${w}{slo="one"}`;
    expect(alerts).toEqual([
      {
        alert: 'SLOErrorBudgetBurningFast',
        expr: `(${ratio('1h')} > (14.4 * 0.001) and ${ratio('5m')} > (14.4 * 0.001)) or (${ratio('6h')} > (6 * 0.001) and ${ratio('30m')} > (6 * 0.001))`,
        for: '2m',
        labels: { slo: 'one', service: 'exodus-x', severity: 'page' },
        annotations: {
          summary: 'The one: the 30-day error budget is burning fast',
          description: 'About one. Page: 14.4× the budget over 1 h, or 6× over 6 h. (slo/one.yaml)',
        },
      },
      {
        alert: 'SLOErrorBudgetBurning',
        expr: `(${ratio('3d')} > (1 * 0.001) and ${ratio('6h')} > (1 * 0.001))`,
        for: '30m',
        labels: { slo: 'one', service: 'exodus-x', severity: 'ticket' },
        annotations: {
          summary: 'The one: the 30-day error budget is being spent',
          description: 'About one. Ticket: the budget burns at its own rate over 3 d. (slo/one.yaml)',
        },
      },
    ]);
  });

  it('the budget is written as people write it (1 − 0.999 is 0.001, not 0.0010000000000000009)', () => {
    for (const [target, budget] of [
      [0.999, '0.001'],
      [0.99, '0.01'],
      [0.9995, '0.0005'],
      [0.95, '0.05'],
    ] as const) {
      expect(prometheusRules([slo('one', target)]), String(target)).toContain(`> (1 * ${budget})`);
    }
  });

  // The alerts as promtool evaluates them, on rules generated here from slo/ (not the committed file, which
  // the integration test compares with `exodus slo rules`): every window pair of every SLO is pinned by
  // slo/tests/*.windows.test.yaml, and the shedding and trickle cases by the availability tests.
  it.skipIf(skipUnless(HAVE_PROMTOOL, 'promtool not found (apt-get install prometheus)'))(
    'rules generated from slo/ pass promtool check rules and every promtool unit test in slo/tests',
    () => {
      const root = tempDir('exodus-slo-promtool-');
      mkdirSync(join(root, 'deploy', 'prometheus'), { recursive: true });
      mkdirSync(join(root, 'slo', 'tests'), { recursive: true });
      const rules = join(root, 'deploy', 'prometheus', 'slo-rules.yaml');
      // Files named as `exodus slo rules --dir slo` names them, from the repository's root.
      writeFileSync(
        rules,
        prometheusRules(readSlos(SLO_DIR).map((slo) => ({ ...slo, file: relative(packageRoot(), slo.file) }))),
      );
      const tests = readdirSync(join(SLO_DIR, 'tests')).filter((name) => name.endsWith('.test.yaml'));
      // One file per SLO at least, each testing its windows.
      for (const { name } of readSlos(SLO_DIR)) expect(tests).toContain(`${name}.windows.test.yaml`);
      for (const name of tests) copyFileSync(join(SLO_DIR, 'tests', name), join(root, 'slo', 'tests', name));
      const check = spawnSync('promtool', ['check', 'rules', rules], { encoding: 'utf8' });
      expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
      const run = spawnSync('promtool', ['test', 'rules', ...tests], {
        cwd: join(root, 'slo', 'tests'),
        encoding: 'utf8',
      });
      expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
    },
    120_000,
  );
});
