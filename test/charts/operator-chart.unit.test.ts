import { existsSync } from 'node:fs';
import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { ChartPropsError } from '../../charts/chart-props-error.js';
import { IMAGES } from '../../charts/images.js';
import { defaultCrdFile, OperatorChart, type OperatorChartProps } from '../../charts/operator.js';
import { OPERATOR_PATHS, OPERATOR_PORT } from '../../charts/operator-contract.js';
import { OPERATOR_CLUSTER_RULES, OPERATOR_LEADER_ELECTION_RULES } from '../../charts/operator-rbac.js';
import { parseConfig } from '../../operator/config.js';
import type { Json, Manifest } from './helpers/manifest.js';

function synth(props: OperatorChartProps = {}): Manifest[] {
  return Testing.synth(new OperatorChart(Testing.app(), 'operator', props)) as Manifest[];
}

function find(objects: Manifest[], kind: string): Manifest {
  const found = objects.find((o) => o.kind === kind);
  if (!found) throw new Error(`no ${kind} in ${objects.map((o) => o.kind).join(', ')}`);
  return found;
}

describe('OperatorChart', () => {
  it('emits the install in apply order: namespace, CRD, identity, RBAC, then the Deployment', () => {
    const kinds = synth().map((o) => o.kind);
    const expected = [
      'Namespace',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'Deployment',
    ];
    if (defaultCrdFile()) expected.splice(1, 0, 'CustomResourceDefinition');
    expect(kinds).toEqual(expected);
  });

  it('includes the checked-in CRD when crds/ has it, and can leave it out', () => {
    const crd = synth().find((o) => o.kind === 'CustomResourceDefinition');
    expect(Boolean(crd)).toBe(existsSync('crds/llamamodels.inference.kubellama.dev.yaml'));
    if (crd) expect(crd.metadata.name).toBe('llamamodels.inference.kubellama.dev');
    expect(synth({ crdFile: false }).some((o) => o.kind === 'CustomResourceDefinition')).toBe(false);
  });

  it('grants exactly the declared rules, without wildcards, and leases only in its namespace', () => {
    const objects = synth({ namespace: 'ops', name: 'op' });
    expect(find(objects, 'ClusterRole').rules).toEqual(OPERATOR_CLUSTER_RULES);
    const role = find(objects, 'Role');
    expect(role.metadata.namespace).toBe('ops');
    expect(role.rules).toEqual(OPERATOR_LEADER_ELECTION_RULES);
    const text = JSON.stringify([...OPERATOR_CLUSTER_RULES, ...OPERATOR_LEADER_ELECTION_RULES]);
    expect(text).not.toContain('*');
    expect(JSON.stringify(OPERATOR_CLUSTER_RULES)).not.toMatch(/secrets|roles|namespaces"/);
    const binding = find(objects, 'ClusterRoleBinding') as unknown as {
      subjects: unknown[];
      roleRef: { name: string };
    };
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'op', namespace: 'ops' }]);
    expect(binding.roleRef.name).toBe('op');
  });

  it('runs the operator restricted, probed on /healthz and /readyz, with resources', () => {
    const deployment = find(synth(), 'Deployment') as unknown as {
      spec: {
        template: {
          metadata: { annotations: Record<string, string> };
          spec: { securityContext: Record<string, unknown>; containers: Json[] };
        };
      };
    };
    // Where a Prometheus with the usual pod-annotation scrape rule finds the operator's metrics.
    expect(deployment.spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(OPERATOR_PORT),
      'prometheus.io/path': '/metrics',
    });
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const [container] = pod.containers;
    expect(container?.image).toBe(IMAGES.operator);
    expect(container?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container?.livenessProbe.httpGet.path).toBe(OPERATOR_PATHS.health);
    expect(container?.readinessProbe.httpGet.path).toBe(OPERATOR_PATHS.ready);
    expect(container?.ports[0].containerPort).toBe(OPERATOR_PORT);
    expect(container?.resources.limits).toEqual({ cpu: '500m', memory: '256Mi' });
    const env = Object.fromEntries(
      container?.env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    );
    expect(env.KUBELLAMA_RUNTIME_IMAGE).toBe(IMAGES.runtime);
    expect(env.KUBELLAMA_RUNTIME_CUDA_IMAGE).toBe(IMAGES.runtimeCuda);
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://otel-collector.kubellama-system.svc:4317');
  });

  it('sets an environment the real operator config parser reads as intended', () => {
    const deployment = find(
      synth({ namespace: 'ops', samplingRatio: 0.25, watchNamespaces: ['a', 'b'] }),
      'Deployment',
    );
    const container = deployment.spec.template.spec.containers[0];
    // The downward API values a kubelet would fill in.
    const fieldValues: Record<string, string> = {
      'metadata.namespace': 'ops',
      'metadata.name': 'op-7c9d-xk2',
    };
    const env: Record<string, string> = {};
    for (const e of container.env as Json[])
      env[e.name] = e.value ?? fieldValues[e.valueFrom.fieldRef.fieldPath];
    // In the pod this is the process environment (commander reads process.env itself).
    const saved = { ...process.env };
    Object.assign(process.env, env);
    let config: ReturnType<typeof parseConfig>;
    try {
      config = parseConfig([], env);
    } finally {
      for (const key of Object.keys(env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
    expect(config).toMatchObject({
      healthPort: OPERATOR_PORT,
      runtimeImage: IMAGES.runtime,
      runtimeCudaImage: IMAGES.runtimeCuda,
      // The collector installed in the same namespace.
      collectorEndpoint: 'http://otel-collector.ops.svc:4317',
      traceEndpoint: 'http://otel-collector.ops.svc:4317',
      samplingRatio: 0.25,
      namespaces: ['a', 'b'],
      leaderElect: true,
      leaderElectionNamespace: 'ops',
    });
    expect(config.identity.startsWith('op-7c9d-xk2_')).toBe(true);
  });

  it.each([
    [{ namespace: 'Bad_NS' }, 'namespace'],
    [{ image: 'ghcr.io/kubellama/operator' }, 'image'],
    [{ image: 'ghcr.io/kubellama/operator:latest' }, 'image'],
    [{ runtimeCudaImage: 'ghcr.io/kubellama/runtime' }, 'runtimeCudaImage'],
    [{ replicas: 0 }, 'replicas'],
    [{ resources: { limits: { memory: '1 gig' } } }, 'resources.limits.memory'],
    [{ otlpEndpoint: 'collector:4317' }, 'otlpEndpoint'],
    [{ crdFile: '/nonexistent/crd.yaml' }, 'crdFile'],
    [{ samplingRatio: 1.5 }, 'samplingRatio'],
    [{ watchNamespaces: ['ok', 'Not OK'] }, 'watchNamespaces[1]'],
  ] as [OperatorChartProps, string][])('refuses %j naming the field', (props, field) => {
    let error: unknown;
    try {
      synth(props);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ChartPropsError);
    expect((error as ChartPropsError).field).toBe(field);
    expect((error as Error).message.startsWith(`${field}: `)).toBe(true);
  });
});
