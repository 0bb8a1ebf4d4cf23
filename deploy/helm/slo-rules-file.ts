import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { prometheusRules, readSlos } from '../../src/ops/index.js';
import { packageRoot } from '../../src/runtime/package-root.js';

/**
 * The chart's copy of the SLO rules (its PrometheusRule reads it with `.Files.Get`): one source, the
 * generator. It is byte for byte what `exodus slo rules --out deploy/helm/exodus/files/slo-rules.yaml`
 * writes from the repository's root (file names in its header relative to the root).
 */
export const SLO_RULES_FILE = join(packageRoot(), 'deploy/helm/exodus/files/slo-rules.yaml');

/** What `exodus slo rules` generates now from slo/. */
export function generatedSloRules(): string {
  const root = packageRoot();
  const slos = readSlos(join(root, 'slo')).map((slo) => ({ ...slo, file: relative(root, slo.file) }));
  return prometheusRules(slos);
}

/** The rule groups in generated rules text, as the PrometheusRule's `spec.groups` must hold them. */
export function ruleGroups(rules: string): unknown {
  return (parse(rules) as { groups?: unknown }).groups;
}
