import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prometheusRules, readSlos } from '../../src/ops/index.js';
import { exodus, skipUnless, tempDir } from '../../testkit/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SLO_DIR = join(ROOT, 'slo');
const RULES = join(ROOT, 'deploy/prometheus/slo-rules.yaml');
const HAVE_PROMTOOL = spawnSync('promtool', ['--version']).status === 0;
const skipPromtool = skipUnless(HAVE_PROMTOOL, 'promtool not found (apt-get install prometheus)');

describe('SLOs as OpenSLO documents, turned into Prometheus rules', () => {
  it('the shipped rules are what `exodus slo rules` makes of slo/ (edit the SLOs, then regenerate)', async () => {
    const generated = await exodus(['slo', 'rules', '--dir', 'slo'], {});
    expect(generated.code, generated.stderr).toBe(0);
    expect(generated.stdout).toBe(readFileSync(RULES, 'utf8'));
    expect(readSlos(SLO_DIR).map((slo) => [slo.name, slo.target])).toEqual([
      ['wall-read-latency', 0.99],
      ['wish-acceptance-availability', 0.999],
      ['wish-acceptance-latency', 0.99],
      ['wish-freshness', 0.99],
    ]);
  });

  it.skipIf(skipPromtool)(
    'pass promtool check rules, and the burn-rate alerts fire as the unit tests in slo/tests say',
    () => {
      const check = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
      expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
      const tests = readdirSync(join(SLO_DIR, 'tests')).filter((name) => name.endsWith('.test.yaml'));
      expect(tests.length).toBeGreaterThan(0);
      const run = spawnSync('promtool', ['test', 'rules', ...tests], { cwd: join(SLO_DIR, 'tests'), encoding: 'utf8' });
      expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
      // The *.windows.test.yaml files evaluate the rules over hours of series: about 8 s on an idle machine.
    },
    120_000,
  );

  it('refuses a document it cannot use, naming the file and the field', async () => {
    const dir = tempDir('exodus-slo-');
    const good = readFileSync(join(SLO_DIR, 'wish-freshness.yaml'), 'utf8');
    writeFileSync(join(dir, 'broken.yaml'), good.replace('target: 0.99', 'target: 99'));
    const result = await exodus(['slo', 'rules', '--dir', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      `exodus: ${join(dir, 'broken.yaml')}: spec.objectives.0.target must be a number between 0 and 1 (e.g. 0.999)`,
    );
    writeFileSync(join(dir, 'broken.yaml'), good.replace('duration: 30d', 'duration: 7d'));
    expect((await exodus(['slo', 'rules', '--dir', dir])).stderr).toContain('spec.timeWindow.0.duration must be 30d');
    expect((await exodus(['slo', 'list'])).code).toBe(2);
  });

  it('makes one group per SLO: error ratios over 5 m to 3 d, a page and a ticket alert', () => {
    const rules = prometheusRules(readSlos(SLO_DIR));
    expect(rules.match(/^ {2}- name: slo-/gm)).toHaveLength(4);
    expect(rules).toContain(
      '(slo:sli_error:ratio_rate1h{slo="wish-acceptance-availability"} > (14.4 * 0.001) and slo:sli_error:ratio_rate5m{slo="wish-acceptance-availability"} > (14.4 * 0.001))',
    );
    expect(rules).toContain(
      '(slo:sli_error:ratio_rate3d{slo="wish-freshness"} > (1 * 0.01) and slo:sli_error:ratio_rate6h{slo="wish-freshness"} > (1 * 0.01))',
    );
  });
});
