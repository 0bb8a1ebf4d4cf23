// The chart's policies (deploy/helm/policies.ts) and schema validation (schemas.ts) on the committed
// renders (deploy/helm/out): every real render passes, and each policy fails on a render broken in the
// one way it guards against. The renders are read, not made here: helm-chart.test.ts proves they are current.
import type { IContainer } from 'kubernetes-models/v1';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseManifests, workloadsOf, type Manifest } from '../../deploy/helm/manifests.js';
import { POLICIES, policyViolations, type PolicyContext } from '../../deploy/helm/policies.js';
import { schemaViolations } from '../../deploy/helm/schemas.js';
import { generatedSloRules, ruleGroups } from '../../deploy/helm/slo-rules-file.js';
import { OUT_DIR, VALUES_SETS } from '../../deploy/helm/values-sets.js';

const render = (set: string): Manifest[] => parseManifests(readFileSync(join(OUT_DIR, `${set}.yaml`), 'utf8'));

let context: PolicyContext;
beforeAll(() => {
  context = { sloRuleGroups: ruleGroups(generatedSloRules()) };
});

/** The violations of one policy only, on a copy of a set's render changed by `breakIt`. */
function violationsAfter(set: string, policy: string, breakIt: (objects: Manifest[]) => void): string[] {
  const objects = structuredClone(render(set));
  breakIt(objects);
  const found = POLICIES.find(({ name }) => name === policy);
  if (found === undefined) throw new Error(`no policy ${policy}`);
  return found.check(objects, context);
}

/** The first container of the workload `Kind/name` (mutable: the test breaks it). */
function container(objects: Manifest[], kindAndName: string): IContainer {
  const workload = workloadsOf(objects).find(({ object }) => `${object.kind}/${object.metadata.name}` === kindAndName);
  const first = workload?.containers[0];
  if (first === undefined) throw new Error(`no container in ${kindAndName}`);
  return first;
}

describe('the real renders', () => {
  it.each(VALUES_SETS.map(({ name }) => name))('%s is valid against the schemas and keeps every policy', (set) => {
    const objects = render(set);
    expect(objects.length).toBeGreaterThan(10);
    expect(schemaViolations(objects)).toEqual([]);
    expect(policyViolations(objects, context)).toEqual([]);
  });

  it('cover every policy in at least one set (no policy passes for lack of objects)', () => {
    const all = VALUES_SETS.flatMap(({ name }) => render(name));
    expect(all.some(({ kind }) => kind === 'ScaledObject')).toBe(true);
    expect(all.some(({ kind }) => kind === 'PrometheusRule')).toBe(true);
    expect(all.some(({ kind }) => kind === 'Rollout')).toBe(true);
    expect(workloadsOf(all).some(({ containers }) => containers.some(({ image }) => image?.includes('@sha256:')))).toBe(
      true,
    );
  });
});

describe('each policy fails on a render broken its way', () => {
  it('resources: a container without limits', () => {
    const lines = violationsAfter('nats-postgres', 'resources', (objects) => {
      delete container(objects, 'Deployment/exodus-worker').resources?.limits;
    });
    expect(lines).toEqual(['Deployment/exodus-worker container worker: no limits.cpu, limits.memory']);
  });

  it('probes: a frontend without its readiness probe', () => {
    const lines = violationsAfter('nats-postgres', 'probes', (objects) => {
      delete container(objects, 'Deployment/exodus-frontend').readinessProbe;
    });
    expect(lines).toEqual(['Deployment/exodus-frontend container frontend: no readinessProbe']);
  });

  it('probes: a liveness probe that checks dependencies (/readyz)', () => {
    const lines = violationsAfter('nats-postgres', 'probes', (objects) => {
      const probe = container(objects, 'Deployment/exodus-parser').livenessProbe;
      if (probe?.httpGet !== undefined) probe.httpGet.path = '/readyz';
    });
    expect(lines).toEqual(['Deployment/exodus-parser container parser: livenessProbe checks /readyz, not /healthz']);
  });

  it('locked-down: an added capability', () => {
    const lines = violationsAfter('sqs-dynamodb', 'locked-down', (objects) => {
      const { securityContext } = container(objects, 'Deployment/exodus-tally');
      if (securityContext?.capabilities !== undefined) securityContext.capabilities.add = ['NET_ADMIN'];
    });
    expect(lines).toEqual(['Deployment/exodus-tally container tally: capabilities add NET_ADMIN']);
  });

  it('locked-down: a pod that may run as root', () => {
    const lines = violationsAfter('embedded', 'locked-down', (objects) => {
      const workload = workloadsOf(objects)[0];
      if (workload?.template.spec?.securityContext !== undefined)
        workload.template.spec.securityContext.runAsNonRoot = false;
    });
    expect(lines).toEqual(['StatefulSet/exodus-embedded pod: runAsNonRoot is not true']);
  });

  it('immutable-images: :latest while a digest is given', () => {
    const lines = violationsAfter('nats-postgres-canary', 'immutable-images', (objects) => {
      container(objects, 'Deployment/exodus-worker').image = 'ghcr.io/exodus/exodus:latest';
    });
    expect(lines).toEqual([
      'Deployment/exodus-worker container worker: image ghcr.io/exodus/exodus:latest has no fixed tag',
    ]);
  });

  it('immutable-images: a version tag beside a digest', () => {
    const lines = violationsAfter('nats-postgres-canary', 'immutable-images', (objects) => {
      container(objects, 'Rollout/exodus-frontend').image = 'ghcr.io/exodus/exodus:0.1.0';
    });
    expect(lines).toEqual([
      'Rollout/exodus-frontend container frontend: image ghcr.io/exodus/exodus:0.1.0 is a mutable tag while a digest is given',
    ]);
  });

  it('consumers-scaled: a consumer whose ScaledObject is gone', () => {
    const lines = violationsAfter('nats-postgres', 'consumers-scaled', (objects) => {
      objects.splice(
        objects.findIndex(({ kind, metadata }) => kind === 'ScaledObject' && metadata.name === 'exodus-tally'),
        1,
      );
    });
    expect(lines).toEqual(['Deployment/exodus-tally: a consumer without a ScaledObject or HPA']);
  });

  it('slo-rules: a rule altered in the chart', () => {
    const lines = violationsAfter('sqs-dynamodb', 'slo-rules', (objects) => {
      const rule = objects.find(({ kind }) => kind === 'PrometheusRule');
      const groups = (rule?.spec as { groups: { rules: { expr: string }[] }[] }).groups;
      const first = groups[0]?.rules[0];
      if (first !== undefined) first.expr = 'vector(0)';
    });
    expect(lines).toEqual([
      'PrometheusRule/exodus-slo: its groups differ from `exodus slo rules` (npm run k8s:check -- --write)',
    ]);
  });

  it('embedded-alone: the embedded engine in two pods', () => {
    const lines = violationsAfter('embedded', 'embedded-alone', (objects) => {
      const embedded = objects.find(({ kind }) => kind === 'StatefulSet');
      (embedded?.spec as { replicas: number }).replicas = 2;
    });
    expect(lines).toEqual(['StatefulSet/exodus-embedded: the embedded engine with more than one replica']);
  });

  it('every policy has a failing case above', () => {
    expect(POLICIES.map(({ name }) => name)).toEqual([
      'resources',
      'probes',
      'locked-down',
      'immutable-images',
      'consumers-scaled',
      'slo-rules',
      'embedded-alone',
    ]);
  });
});

describe('schema validation', () => {
  it('names the object and the field a cluster would refuse', () => {
    const objects = structuredClone(render('nats-postgres'));
    const scaled = objects.find(({ kind, metadata }) => kind === 'ScaledObject' && metadata.name === 'exodus-worker');
    (scaled?.spec as { minReplicaCount: unknown }).minReplicaCount = 'one';
    expect(schemaViolations(objects)).toEqual(['ScaledObject/exodus-worker: /spec/minReplicaCount must be integer']);
  });

  it('refuses a kind no pinned schema knows (a typo in apiVersion)', () => {
    const objects = structuredClone(render('embedded'));
    const service = objects.find(({ kind }) => kind === 'Service');
    if (service === undefined) throw new Error('no Service');
    expect(schemaViolations([{ ...service, apiVersion: 'v2' }])).toEqual([
      'Service/exodus-frontend: no schema for v2 Service',
    ]);
  });
});
