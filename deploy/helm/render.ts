import { helm, type HelmResult } from './tools.js';
import { CHART_DIR, NAMESPACE, RELEASE, valuesArgs, type ValuesSet } from './values-sets.js';

/** `helm template` of one values set (what the committed deploy/helm/out/<set>.yaml holds). */
export function renderSet(set: ValuesSet): Promise<HelmResult> {
  return helm(['template', RELEASE, CHART_DIR, '--namespace', NAMESPACE, ...valuesArgs(set)]);
}

/** `helm lint --strict` of one values set: warnings fail too. */
export function lintSet(set: ValuesSet): Promise<HelmResult> {
  return helm(['lint', '--strict', CHART_DIR, '--namespace', NAMESPACE, ...valuesArgs(set)]);
}
