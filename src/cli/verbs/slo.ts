import { writeFileSync } from 'node:fs';
import { CliError, defineVerb, text } from '../verb.js';

/** `exodus slo rules [--dir slo] [--out FILE]`: the SLOs as Prometheus recording rules and burn-rate alerts. */
export const sloRulesVerb = defineVerb({
  path: ['slo', 'rules'],
  summary: 'the SLOs (OpenSLO v1) as Prometheus recording rules and burn-rate alerts',
  options: {
    dir: text('--dir <dir>', 'the SLO documents', { default: 'slo' }),
    out: text('--out <file>', 'write the rules here', { fallback: 'stdout' }),
  },
  settings: 'none',
  examples: ['exodus slo rules --out deploy/prometheus/slo-rules.yaml'],
  run: async ({ options: { dir, out } }) => {
    const { prometheusRules, readSlos } = await import('../../ops/slo-rules.js'); // YAML: only for this verb
    let rules: string;
    try {
      rules = prometheusRules(readSlos(dir));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`no SLO directory ${dir}`);
      throw error;
    }
    if (out === undefined) process.stdout.write(rules);
    else writeFileSync(out, rules);
  },
});
