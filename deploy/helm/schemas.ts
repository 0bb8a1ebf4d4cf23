import * as argoRollouts from '@kubernetes-models/argo-rollouts';
import * as keda from '@kubernetes-models/keda';
import * as prometheusOperator from '@kubernetes-models/prometheus-operator';
import * as kubernetes from 'kubernetes-models';
import { nameOf, type Manifest } from './manifests.js';

/**
 * Validation of rendered objects against pinned OpenAPI schemas, offline: Kubernetes' own
 * (kubernetes-models) and the CRDs the chart uses (KEDA, Argo Rollouts, Prometheus Operator), each
 * package pinned to an exact version in package.json. An object whose apiVersion/kind no package
 * knows is an error too: a typo in either would be accepted by `helm template` and refused by the cluster.
 */
interface Validatable {
  validate(): void;
}
type ModelClass = (new (data: object) => Validatable) & { readonly apiVersion: string; readonly kind: string };

/** `apiVersion/kind` → its model class, gathered from the packages' nested namespaces (group → version → kind). */
const MODELS: ReadonlyMap<string, ModelClass> = (() => {
  const models = new Map<string, ModelClass>();
  const gather = (namespace: object, depth: number): void => {
    for (const value of Object.values(namespace) as unknown[]) {
      if (isModelClass(value)) models.set(`${value.apiVersion}/${value.kind}`, value);
      else if (typeof value === 'object' && value !== null && depth < 3) gather(value, depth + 1);
    }
  };
  for (const root of [kubernetes, keda, argoRollouts, prometheusOperator]) gather(root, 0);
  return models;
})();

function isModelClass(value: unknown): value is ModelClass {
  if (typeof value !== 'function') return false;
  const { apiVersion, kind } = value as unknown as Record<string, unknown>;
  return typeof apiVersion === 'string' && typeof kind === 'string';
}

/** One line per schema error of each object, empty when all are valid. */
export function schemaViolations(objects: readonly Manifest[]): string[] {
  return objects.flatMap((object) => {
    const Model = MODELS.get(`${object.apiVersion}/${object.kind}`);
    if (Model === undefined) return [`${nameOf(object)}: no schema for ${object.apiVersion} ${object.kind}`];
    try {
      new Model(object).validate();
      return [];
    } catch (error) {
      const { errors } = error as { errors?: readonly { instancePath: string; message?: string }[] };
      if (errors === undefined) return [`${nameOf(object)}: ${(error as Error).message}`];
      return errors.map(
        ({ instancePath, message }) => `${nameOf(object)}: ${instancePath || '/'} ${message ?? 'is invalid'}`,
      );
    }
  });
}
