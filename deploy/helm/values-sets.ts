import { join } from 'node:path';
import { packageRoot } from '../../src/runtime/package-root.js';

/** The chart, and where the check writes each set's render (committed: a change's effect shows in review). */
export const CHART_DIR = join(packageRoot(), 'deploy/helm/exodus');
export const OUT_DIR = join(packageRoot(), 'deploy/helm/out');
/** Release and namespace of every render, so renders differ only by what a change did. */
export const RELEASE = 'exodus';
export const NAMESPACE = 'exodus';

/**
 * A way to install the chart: its values files (in the chart's directory, in order) and `--set`
 * overrides. Adding a set is adding a record; the check renders, lints, validates and polices each.
 */
export interface ValuesSet {
  readonly name: string;
  readonly files: readonly string[];
  readonly overrides?: readonly string[];
}

export const VALUES_SETS: readonly ValuesSet[] = [
  { name: 'embedded', files: ['values-embedded.yaml'] },
  { name: 'nats-postgres', files: ['values-nats-postgres.yaml'] },
  { name: 'sqs-dynamodb', files: ['values-sqs-dynamodb.yaml'] },
  { name: 'nats-postgres-canary', files: ['values-nats-postgres.yaml', 'values-canary.yaml'] },
  {
    name: 'sqs-dynamodb-blue-green',
    files: ['values-sqs-dynamodb.yaml'],
    overrides: ['rollouts.enabled=true', 'rollouts.strategy=blueGreen'],
  },
];

/** The embedded set asked for two pods: the chart must refuse it, with this in its message. */
export const EMBEDDED_REFUSAL = {
  set: { name: 'embedded-two-replicas', files: ['values-embedded.yaml'], overrides: ['embedded.replicas=2'] },
  message: "embedded.replicas is 2, but the embedded engine (SQLite in the pod's volume) cannot be shared between pods",
} as const satisfies { readonly set: ValuesSet; readonly message: string };

/** helm's arguments for a set's values: `-f <chart>/<file>`… `--set <override>`… */
export function valuesArgs(set: ValuesSet): string[] {
  return [
    ...set.files.flatMap((file) => ['-f', join(CHART_DIR, file)]),
    ...(set.overrides ?? []).flatMap((override) => ['--set', override]),
  ];
}
