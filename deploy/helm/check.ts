/**
 * `npm run k8s:check [-- --write]`: the Kubernetes chart checked offline (no cluster needed).
 *   1. files/slo-rules.yaml is what `exodus slo rules` generates now;
 *   2. for each values set (values-sets.ts): `helm template` equals the committed deploy/helm/out/<set>.yaml,
 *      `helm lint --strict` passes, every object is valid against its pinned schema (Kubernetes and the
 *      CRDs: KEDA, Argo Rollouts, Prometheus Operator), and the policies hold (policies.ts);
 *   3. the embedded set with two replicas is refused, with the reason.
 * Exits 1 with one line per problem. `--write` refreshes the generated files (rules, renders) first,
 * for a change meant to alter them; review their diff.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseManifests } from './manifests.js';
import { policyViolations } from './policies.js';
import { lintSet, renderSet } from './render.js';
import { schemaViolations } from './schemas.js';
import { SLO_RULES_FILE, generatedSloRules, ruleGroups } from './slo-rules-file.js';
import { EMBEDDED_REFUSAL, OUT_DIR, VALUES_SETS, type ValuesSet } from './values-sets.js';

const write = process.argv.includes('--write');
const shown = (file: string): string => relative(process.cwd(), file);

/** Compares a generated file with its committed copy; with --write, refreshes the copy instead. */
function generated(file: string, content: string): string[] {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (current === content) return [];
  if (write) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    console.log(`wrote ${shown(file)}`);
    return [];
  }
  return [`${shown(file)} is stale: run npm run k8s:check -- --write and commit it`];
}

async function checkSet(set: ValuesSet, sloRuleGroups: unknown): Promise<string[]> {
  const rendered = await renderSet(set);
  if (!rendered.ok) return [`helm template failed: ${rendered.stderr.trim()}`];
  const objects = parseManifests(rendered.stdout);
  const lint = await lintSet(set);
  const problems = [
    ...generated(join(OUT_DIR, `${set.name}.yaml`), rendered.stdout),
    ...(lint.ok ? [] : [`helm lint --strict: ${(lint.stdout + lint.stderr).trim().replaceAll('\n', ' | ')}`]),
    ...schemaViolations(objects),
    ...policyViolations(objects, { sloRuleGroups }),
  ];
  if (problems.length === 0) console.log(`ok ${set.name}: ${objects.length} objects, lint, schemas, policies`);
  return problems;
}

async function checkEmbeddedRefusal(): Promise<string[]> {
  const { set, message } = EMBEDDED_REFUSAL;
  const rendered = await renderSet(set);
  if (rendered.ok) return ['the chart rendered embedded.replicas=2: it must refuse'];
  if (!rendered.stderr.includes(message)) return [`refused without saying why: ${rendered.stderr.trim()}`];
  console.log(`ok ${set.name}: refused (${message})`);
  return [];
}

async function main(): Promise<number> {
  const rules = generatedSloRules();
  const problems = generated(SLO_RULES_FILE, rules).map((line) => `slo-rules: ${line}`);
  const sloRuleGroups = ruleGroups(rules);
  for (const set of VALUES_SETS)
    problems.push(...(await checkSet(set, sloRuleGroups)).map((line) => `${set.name}: ${line}`));
  problems.push(...(await checkEmbeddedRefusal()).map((line) => `${EMBEDDED_REFUSAL.set.name}: ${line}`));
  for (const line of problems) console.error(line);
  console.log(problems.length === 0 ? 'k8s:check passed' : `k8s:check: ${problems.length} problem(s)`);
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = await main();
