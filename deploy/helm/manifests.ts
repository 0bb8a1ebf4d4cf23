import type { IContainer, IPodTemplateSpec } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';

/** One rendered Kubernetes object, as YAML gives it: only what every object has is typed. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec?: unknown;
}

/** `Kind/name`: how a message names an object. */
export const nameOf = (object: Manifest): string => `${object.kind}/${object.metadata.name}`;

/** The component label (`app.kubernetes.io/component`): frontend, parser, worker, tally, console, embedded, migrate… */
export const componentOf = (object: Manifest): string | undefined =>
  object.metadata.labels?.['app.kubernetes.io/component'];

/** The objects of a multi-document YAML stream (helm template's output); empty documents are skipped. */
export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text).flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`not YAML: ${document.errors[0]?.message ?? ''}`);
    const object = document.toJS() as unknown;
    if (object === null || object === undefined) return [];
    if (!isManifest(object)) throw new Error(`not a Kubernetes object: ${JSON.stringify(object).slice(0, 120)}`);
    return [object];
  });
}

function isManifest(value: unknown): value is Manifest {
  if (typeof value !== 'object' || value === null) return false;
  const { apiVersion, kind, metadata } = value as Record<string, unknown>;
  return (
    typeof apiVersion === 'string' &&
    typeof kind === 'string' &&
    typeof metadata === 'object' &&
    metadata !== null &&
    typeof (metadata as Record<string, unknown>)['name'] === 'string'
  );
}

/** The kinds that run pods, and whether their pods are meant to keep running (a Job's finish). */
const WORKLOADS: Readonly<Record<string, { readonly longRunning: boolean }>> = {
  'apps/v1/Deployment': { longRunning: true },
  'apps/v1/StatefulSet': { longRunning: true },
  'apps/v1/DaemonSet': { longRunning: true },
  'argoproj.io/v1alpha1/Rollout': { longRunning: true },
  'batch/v1/Job': { longRunning: false },
};

/** A workload's pod template, with what the policies need to know about it. */
export interface Workload {
  readonly object: Manifest;
  readonly template: IPodTemplateSpec;
  readonly longRunning: boolean;
  readonly containers: readonly IContainer[];
}

/**
 * Every object that runs pods, with its pod template. The objects were validated against their
 * schemas first (schemas.ts), which is what makes reading `spec.template` as a pod template sound.
 */
export function workloadsOf(objects: readonly Manifest[]): Workload[] {
  return objects.flatMap((object) => {
    const kind = WORKLOADS[`${object.apiVersion}/${object.kind}`];
    const template = (object.spec as { template?: IPodTemplateSpec } | undefined)?.template;
    if (kind === undefined || template === undefined) return [];
    const containers = [...(template.spec?.initContainers ?? []), ...(template.spec?.containers ?? [])];
    return [{ object, template, longRunning: kind.longRunning, containers }];
  });
}
