import type { IContainer, IPodSpec } from 'kubernetes-models/v1';
import { isDeepStrictEqual } from 'node:util';
import { componentOf, nameOf, workloadsOf, type Manifest, type Workload } from './manifests.js';

/**
 * The chart's promises as policies: pure functions over the rendered objects (already valid against
 * their schemas), each returning one line per violation. test/deploy/helm-policies.test.ts breaks a
 * good render once per policy and sees each one fail.
 */
export interface Policy {
  readonly name: string;
  /** What it promises, for the check's output and the README. */
  readonly promise: string;
  check(objects: readonly Manifest[], context: PolicyContext): string[];
}

export interface PolicyContext {
  /** The `groups` of `exodus slo rules`' output: what the PrometheusRule must carry, exactly. */
  readonly sloRuleGroups: unknown;
}

/** The consumers, each of which must have a scaler (src/ports QUEUES' readers). */
export const CONSUMERS = ['parser', 'worker', 'tally'] as const;
/** The image's `node` user (Dockerfile). */
const NODE_UID = 1000;

/** Lines `Kind/name container: message` for each container failing `problem` (undefined: fine). */
function perContainer(
  workloads: readonly Workload[],
  problem: (container: IContainer, workload: Workload) => string | undefined,
): string[] {
  return workloads.flatMap((workload) =>
    workload.containers.flatMap((container) => {
      const found = problem(container, workload);
      return found === undefined ? [] : [`${nameOf(workload.object)} container ${container.name}: ${found}`];
    }),
  );
}

const resources: Policy = {
  name: 'resources',
  promise: 'every container has CPU and memory requests and limits',
  check: (objects) =>
    perContainer(workloadsOf(objects), ({ resources: given }) => {
      const missing = (['requests', 'limits'] as const).flatMap((side) =>
        (['cpu', 'memory'] as const)
          .filter((what) => given?.[side]?.[what] === undefined)
          .map((what) => `${side}.${what}`),
      );
      return missing.length === 0 ? undefined : `no ${missing.join(', ')}`;
    }),
};

const probes: Policy = {
  name: 'probes',
  promise: 'every long-running container has readiness and liveness probes; liveness is /healthz (never a dependency)',
  check: (objects) =>
    perContainer(
      workloadsOf(objects).filter((workload) => workload.longRunning),
      ({ readinessProbe, livenessProbe }) => {
        if (readinessProbe === undefined) return 'no readinessProbe';
        if (livenessProbe === undefined) return 'no livenessProbe';
        const path = livenessProbe.httpGet?.path;
        return path === '/healthz' ? undefined : `livenessProbe checks ${path ?? 'no HTTP path'}, not /healthz`;
      },
    ),
};

/** What a locked-down pod spec lacks, in words; empty when it is locked down. */
function podGaps(spec: IPodSpec | undefined): string[] {
  const context = spec?.securityContext;
  return [
    context?.runAsNonRoot === true ? undefined : 'runAsNonRoot is not true',
    context?.runAsUser === NODE_UID ? undefined : `runAsUser is not ${NODE_UID}`,
    context?.seccompProfile?.type === 'RuntimeDefault' ? undefined : 'seccompProfile is not RuntimeDefault',
    spec?.automountServiceAccountToken === false ? undefined : 'automountServiceAccountToken is not false',
  ].filter((gap) => gap !== undefined);
}

function containerGaps({ securityContext: context }: IContainer): string[] {
  return [
    context?.readOnlyRootFilesystem === true ? undefined : 'readOnlyRootFilesystem is not true',
    context?.allowPrivilegeEscalation === false ? undefined : 'allowPrivilegeEscalation is not false',
    context?.privileged === true ? 'privileged' : undefined,
    context?.capabilities?.drop?.includes('ALL') === true ? undefined : 'capabilities do not drop ALL',
    (context?.capabilities?.add ?? []).length > 0
      ? `capabilities add ${context?.capabilities?.add?.join(', ')}`
      : undefined,
  ].filter((gap) => gap !== undefined);
}

const lockedDown: Policy = {
  name: 'locked-down',
  promise:
    'pods run as uid 1000, non-root, RuntimeDefault seccomp, no service-account token; containers read-only, no privilege escalation, ALL capabilities dropped',
  check: (objects) => {
    const workloads = workloadsOf(objects);
    const pods = workloads.flatMap(({ object, template }) =>
      podGaps(template.spec).map((gap) => `${nameOf(object)} pod: ${gap}`),
    );
    const containers = perContainer(workloads, (container) => {
      const gaps = containerGaps(container);
      return gaps.length === 0 ? undefined : gaps.join('; ');
    });
    return [...pods, ...containers];
  },
};

const DIGEST = /@sha256:[0-9a-f]{64}$/;

const immutableImages: Policy = {
  name: 'immutable-images',
  promise: 'no image is untagged or :latest; once one image is pinned by digest, every image is',
  check: (objects) => {
    const workloads = workloadsOf(objects);
    const pinned = workloads.some(({ containers }) => containers.some(({ image }) => DIGEST.test(image ?? '')));
    return perContainer(workloads, ({ image = '' }) => {
      if (DIGEST.test(image)) return undefined;
      const tag = /:([^/:]+)$/.exec(image)?.[1];
      if (tag === undefined || tag === 'latest') return `image ${image} has no fixed tag`;
      return pinned ? `image ${image} is a mutable tag while a digest is given` : undefined;
    });
  },
};

/** Each scaler (a KEDA ScaledObject or an HPA) with the workload it scales, as `Kind/name`. */
function scaleTargets(objects: readonly Manifest[]): { readonly scaler: Manifest; readonly target: string }[] {
  return objects
    .filter(({ kind }) => kind === 'ScaledObject' || kind === 'HorizontalPodAutoscaler')
    .map((scaler) => {
      const ref = (scaler.spec as { scaleTargetRef?: { kind?: string; name?: string } }).scaleTargetRef;
      // KEDA's scaleTargetRef.kind defaults to Deployment.
      return { scaler, target: `${ref?.kind ?? 'Deployment'}/${ref?.name ?? ''}` };
    });
}

const consumersScaled: Policy = {
  name: 'consumers-scaled',
  promise: 'every consumer (parser, worker, tally) has a scaler: a KEDA ScaledObject or an HPA',
  check: (objects) => {
    const scaled = new Set(scaleTargets(objects).map(({ target }) => target));
    return workloadsOf(objects)
      .filter(({ object }) => (CONSUMERS as readonly string[]).includes(componentOf(object) ?? ''))
      .filter(({ object }) => !scaled.has(nameOf(object)))
      .map(({ object }) => `${nameOf(object)}: a consumer without a ScaledObject or HPA`);
  },
};

const sloRules: Policy = {
  name: 'slo-rules',
  promise: 'the PrometheusRule carries exactly the groups `exodus slo rules` generates',
  check: (objects, { sloRuleGroups }) => {
    const rules = objects.filter(({ kind }) => kind === 'PrometheusRule');
    if (rules.length === 0) return ['no PrometheusRule carries the SLO rules'];
    return rules
      .filter((rule) => !isDeepStrictEqual((rule.spec as { groups?: unknown }).groups, sloRuleGroups))
      .map((rule) => `${nameOf(rule)}: its groups differ from \`exodus slo rules\` (npm run k8s:check -- --write)`);
  },
};

const embeddedAlone: Policy = {
  name: 'embedded-alone',
  promise: 'the embedded engine runs in at most one pod, with no autoscaler',
  check: (objects) => {
    const embedded = workloadsOf(objects).filter(({ object }) => componentOf(object) === 'embedded');
    const names = new Set(embedded.map(({ object }) => nameOf(object)));
    const tooMany = embedded
      .filter(({ object }) => ((object.spec as { replicas?: number }).replicas ?? 1) > 1)
      .map(({ object }) => `${nameOf(object)}: the embedded engine with more than one replica`);
    const scaled = scaleTargets(objects)
      .filter(({ target }) => names.has(target))
      .map(({ scaler }) => `${nameOf(scaler)}: scales the embedded engine`);
    return [...tooMany, ...scaled];
  },
};

export const POLICIES: readonly Policy[] = [
  resources,
  probes,
  lockedDown,
  immutableImages,
  consumersScaled,
  sloRules,
  embeddedAlone,
];

/** Every policy's violations, each line prefixed with the policy's name. */
export function policyViolations(objects: readonly Manifest[], context: PolicyContext): string[] {
  return POLICIES.flatMap((policy) => policy.check(objects, context).map((line) => `[${policy.name}] ${line}`));
}
