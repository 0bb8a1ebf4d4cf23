// What the chart's pods promise beyond the policies: secrets only by reference, every process's identity
// for the console (version, pod, node, namespace), and the ports contract (the public Service carries the
// API only; probes and metrics use the internal health port).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifests, workloadsOf, type Manifest } from '../../deploy/helm/manifests.js';
import { OUT_DIR, VALUES_SETS } from '../../deploy/helm/values-sets.js';

const render = (set: string): Manifest[] => parseManifests(readFileSync(join(OUT_DIR, `${set}.yaml`), 'utf8'));
const SECRET_VARIABLES = ['EXODUS_QUEUE', 'EXODUS_STORE', 'EXODUS_PASS_SECRET', 'EXODUS_ADMIN_TOKEN', 'PGPASSWORD'];

describe.each(VALUES_SETS.map(({ name }) => name))('%s', (set) => {
  const objects = render(set);
  const containers = workloadsOf(objects).flatMap(({ containers }) => containers);

  it('takes engine URLs and secrets from Secrets, never from values', () => {
    const inline = containers.flatMap(({ name, env = [] }) =>
      env
        .filter(
          (variable) => SECRET_VARIABLES.includes(variable.name) && variable.valueFrom?.secretKeyRef === undefined,
        )
        .map((variable) => `${name}: ${variable.name}`),
    );
    expect(inline).toEqual([]);
  });

  it('names each process by version, pod, node and namespace (downward API)', () => {
    for (const { env = [] } of containers) {
      const attributes = env.find(({ name }) => name === 'OTEL_RESOURCE_ATTRIBUTES')?.value ?? '';
      expect(attributes).toMatch(/(^|,)service\.version=[^,]+/);
      for (const key of [
        'k8s.pod.name=$(K8S_POD_NAME)',
        'k8s.node.name=$(K8S_NODE_NAME)',
        'k8s.namespace.name=$(K8S_NAMESPACE_NAME)',
      ])
        expect(attributes).toContain(key);
      const downward = env.filter(({ valueFrom }) => valueFrom?.fieldRef !== undefined).map(({ name }) => name);
      expect(downward).toEqual(['K8S_POD_NAME', 'K8S_NODE_NAME', 'K8S_NAMESPACE_NAME']);
    }
  });

  it('exposes only the API on the public Service', () => {
    const door = objects.find(({ kind, metadata }) => kind === 'Service' && metadata.name === 'exodus-frontend');
    expect((door?.spec as { ports: { name: string }[] }).ports.map(({ name }) => name)).toEqual(['http']);
  });
});

describe('the distributed pipeline', () => {
  it('probes on the internal health port, which EXODUS_HEALTH_PORT names', () => {
    for (const { object, containers } of workloadsOf(render('nats-postgres'))) {
      if (
        !['frontend', 'parser', 'worker', 'tally'].includes(
          object.metadata.labels?.['app.kubernetes.io/component'] ?? '',
        )
      )
        continue;
      for (const { env = [], ports = [], readinessProbe, livenessProbe, startupProbe } of containers) {
        const internal = ports.find(({ name }) => name === 'internal')?.containerPort;
        expect(env.find(({ name }) => name === 'EXODUS_HEALTH_PORT')?.value).toBe(String(internal));
        for (const probe of [readinessProbe, livenessProbe, startupProbe])
          expect(probe?.httpGet?.port).toBe('internal');
      }
    }
  });

  it('shows a canary its own service.version', () => {
    const frontend = workloadsOf(render('nats-postgres-canary')).find(({ object }) => object.kind === 'Rollout');
    const attributes = frontend?.containers[0]?.env?.find(({ name }) => name === 'OTEL_RESOURCE_ATTRIBUTES')?.value;
    expect(attributes).toMatch(/^service\.version=0\.1\.0-canary,/);
  });
});
