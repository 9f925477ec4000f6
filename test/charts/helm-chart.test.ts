// The Helm chart that `npm run synth` writes, rendered by the real `helm` binary (built by
// `npm run tools`): with default values exactly the objects of the cdk8s charts, in the release
// namespace; each value lands where the cdk8s prop of the same meaning does (the chart rendered with
// the value equals the cdk8s charts rendered with the prop); the schema refuses bad values by key;
// NOTES.txt and the `helm test` hook render.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'cdk8s';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';
import { escapeHelm, HELM_CHART_SWITCHES, writeHelmChart } from '../../charts/helm-chart.js';
import { IMAGES, KUBELLAMA_UID, resolveImages, SYSTEM_NAMESPACE } from '../../charts/images.js';
import { type InstallProps, installApp } from '../../charts/install.js';
import { monitoringApp } from '../../charts/monitoring.js';
import {
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from '../../charts/workload-defaults.js';
import { binaryPath } from '../tools/catalog.js';
import type { Json, Manifest } from './helpers/manifest.js';

const HELM = binaryPath('helm');
/**
 * helm built from source (`npm run tools`) reports Kubernetes v1.20 to `helm template` (release
 * binaries get their version stamped in): say which Kubernetes the harness runs.
 */
const KUBE_VERSION = '1.37.2';

const outDir = mkdtempSync(join(tmpdir(), 'kubellama-helm-'));
const chartDir = writeHelmChart(outDir);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

function run(...args: string[]) {
  return spawnSync(HELM, args, { encoding: 'utf8' });
}

function helm(...args: string[]): string {
  const result = run(...args);
  if (result.status !== 0)
    throw new Error(`helm ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

const key = (o: Manifest) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function byKey(objects: Manifest[]): Map<string, Manifest> {
  return new Map(objects.map((o) => [key(o), o]));
}

/** The cdk8s objects, without the Namespace (a Helm release goes into an existing namespace). */
function synthesized(from: App = installApp(), namespace = true): Manifest[] {
  return from.charts
    .flatMap((chart) => chart.toJson() as Manifest[])
    .filter((o) => namespace || o.kind !== 'Namespace');
}

let valuesFiles = 0;
/** `helm template` into `namespace` with `values` (a values file), the test hook left out. */
function template(values: Json = {}, namespace = SYSTEM_NAMESPACE, ...args: string[]): Manifest[] {
  const file = join(outDir, `values-${valuesFiles++}.yaml`);
  writeFileSync(file, stringify(values));
  const text = helm(
    'template',
    'kubellama',
    chartDir,
    '-n',
    namespace,
    '--kube-version',
    KUBE_VERSION,
    '-f',
    file,
    ...args,
  );
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest)
    .filter((o) => o && o.kind !== 'Pod');
}

const find = (objects: Manifest[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

const defaultValues = parseYaml(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));

describe('Helm chart', () => {
  it('escapes template delimiters in literal text', () => {
    expect(escapeHelm('legend {{instance}} }}')).toBe('legend {{ "{{" }}instance{{ "}}" }} {{ "}}" }}');
    expect(readFileSync(join(chartDir, 'templates', 'dashboards.yaml'), 'utf8')).toContain(
      '{{ "{{" }}instance{{ "}}" }}',
    );
  });

  it('passes `helm lint --strict`, with default and with non-default values', () => {
    expect(helm('lint', '--strict', chartDir)).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    const other = ['--set', 'otelCollector.mode=daemonset', '--set', 'jaeger.storage.type=badger'];
    expect(helm('lint', '--strict', chartDir, '--namespace', 'team-a', ...other)).toMatch(
      /0 chart\(s\) failed/,
    );
  });

  it('has the metadata users expect in Chart.yaml', () => {
    const chart = parseYaml(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'));
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'kubellama', type: 'application' });
    expect(chart.kubeVersion).toBe('>=1.29.0-0');
    expect(chart.keywords).toContain('llama.cpp');
    // The chart refuses a cluster older than the CRD's CEL rules need.
    const old = run('template', 'k', chartDir, '--kube-version', '1.28.0');
    expect(old.status).not.toBe(0);
    expect(old.stderr).toContain('kubeVersion');
  });

  it('has a values switch per chart and every image as a value', () => {
    expect(defaultValues.images).toEqual(IMAGES);
    expect(defaultValues.imageRegistry).toBe('');
    expect(defaultValues.namespace).toEqual({ create: false });
    // values.yaml explains each value with its schema description (what `helm show values` prints).
    const text = readFileSync(join(chartDir, 'values.yaml'), 'utf8');
    expect(text).toMatch(
      /# Operator pods; all but the leader wait as leader-election standbys\.\n {2}replicaCount: 1\n/,
    );
    expect(text).toContain('# gateway: one Deployment for the cluster; daemonset: one collector per node');
    for (const chart of installApp().charts)
      expect(defaultValues[HELM_CHART_SWITCHES[chart.node.id] ?? ''].enabled).toBe(true);
  });

  it('renders exactly the cdk8s objects with default values (the Namespace only with namespace.create)', () => {
    const rendered = template({}, SYSTEM_NAMESPACE, '--include-crds');
    const expected = byKey(synthesized(installApp(), false));
    expect(rendered).toHaveLength(expected.size);
    expect(byKey(rendered)).toEqual(expected);
    const withNamespace = template({ namespace: { create: true } }, SYSTEM_NAMESPACE, '--include-crds');
    expect(byKey(withNamespace)).toEqual(byKey(synthesized()));
  });

  it('puts everything in the release namespace: objects, DNS names inside values and configs, RBAC subjects', () => {
    const namespace = 'team-llm';
    const text = helm('template', 'k', chartDir, '-n', namespace, '--kube-version', KUBE_VERSION);
    expect(text).not.toContain(SYSTEM_NAMESPACE);
    const rendered = template({ namespace: { create: true } }, namespace);
    expect(byKey(rendered)).toEqual(
      byKey(synthesized(installApp({ namespace })).filter((o) => o.kind !== 'CustomResourceDefinition')),
    );
    const binding = find(rendered, 'ClusterRoleBinding', 'kubellama-operator');
    expect(binding?.subjects[0].namespace).toBe(namespace);
    const operator = find(rendered, 'Deployment', 'kubellama-operator');
    const env = Object.fromEntries(
      operator?.spec.template.spec.containers[0].env.map((e: Json) => [e.name, e.value]),
    );
    expect(env.KUBELLAMA_COLLECTOR_ENDPOINT).toBe(`http://otel-collector.${namespace}.svc:4317`);
    expect(find(rendered, 'ConfigMap', 'otel-collector-config')?.data['config.yaml']).toContain(
      `jaeger.${namespace}.svc:4317`,
    );
  });

  it('operator values land where the cdk8s props do', () => {
    const resources = { requests: { cpu: '200m', memory: '200Mi' }, limits: { cpu: '1', memory: '512Mi' } };
    const rendered = template({
      operator: {
        replicaCount: 3,
        resources,
        otlpEndpoint: 'http://otel.elsewhere:4317',
        samplingRatio: 0.25,
        watchNamespaces: ['team-a', 'team-b'],
      },
    });
    const expected = installApp({
      operator: {
        replicas: 3,
        resources,
        otlpEndpoint: 'http://otel.elsewhere:4317',
        samplingRatio: 0.25,
        watchNamespaces: ['team-a', 'team-b'],
      },
    });
    expect(byKey(rendered)).toEqual(
      byKey(synthesized(expected, false).filter((o) => o.kind !== 'CustomResourceDefinition')),
    );
  });

  it('operator values with no cdk8s prop: pull policy, scheduling, pod annotations, log level, extra flags', () => {
    const rendered = template({
      operator: {
        imagePullPolicy: 'Always',
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'system', effect: 'NoSchedule' }],
        affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } },
        podAnnotations: { 'example.com/team': 'ml' },
        logLevel: 'debug',
        extraArgs: ['--resync-seconds=300'],
      },
    });
    const pod = find(rendered, 'Deployment', 'kubellama-operator')?.spec.template;
    const defaults = find(synthesized(), 'Deployment', 'kubellama-operator')?.spec.template;
    expect(pod.spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(pod.spec.tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'system', effect: 'NoSchedule' },
    ]);
    expect(pod.spec.affinity).toEqual({
      nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] },
    });
    expect(pod.metadata.annotations).toEqual({ ...defaults.metadata.annotations, 'example.com/team': 'ml' });
    const container = pod.spec.containers[0];
    expect(container.imagePullPolicy).toBe('Always');
    expect(container.args).toEqual(['--resync-seconds=300']);
    expect(container.env).toEqual([
      ...defaults.spec.containers[0].env,
      { name: 'LOG_LEVEL', value: 'debug' },
    ]);
    // The other workloads take the same scheduling values under their own key.
    const jaeger = template({ jaeger: { nodeSelector: { disk: 'ssd' }, imagePullPolicy: 'IfNotPresent' } });
    const jaegerPod = find(jaeger, 'Deployment', 'jaeger')?.spec.template.spec;
    expect(jaegerPod.nodeSelector).toEqual({ disk: 'ssd' });
    expect(jaegerPod.containers[0].imagePullPolicy).toBe('IfNotPresent');
  });

  it('collector daemonset mode renders a per-node DaemonSet behind the same Service, and no gateway Deployment', () => {
    const resources = { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } };
    const rendered = template({ otelCollector: { mode: 'daemonset', resources } });
    expect(find(rendered, 'Deployment', 'otel-collector')).toBeUndefined();
    expect(find(rendered, 'DaemonSet', 'otel-collector')).toBeDefined();
    expect(find(rendered, 'Service', 'otel-collector')?.spec.internalTrafficPolicy).toBe('Local');
    const expected = installApp({ collector: { mode: 'daemonset', resources } });
    expect(byKey(rendered)).toEqual(
      byKey(synthesized(expected, false).filter((o) => o.kind !== 'CustomResourceDefinition')),
    );
    const config = parseYaml(find(rendered, 'ConfigMap', 'otel-collector-config')?.data['config.yaml']);
    expect(config.processors.k8s_attributes.filter).toEqual({ node_from_env_var: 'K8S_NODE_NAME' });
  });

  it('collector gateway replicas and resources land where the cdk8s props do', () => {
    const resources = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } };
    const rendered = template({ otelCollector: { replicas: 3, resources } });
    const expected = installApp({ collector: { replicas: 3, resources } });
    expect(byKey(rendered)).toEqual(
      byKey(synthesized(expected, false).filter((o) => o.kind !== 'CustomResourceDefinition')),
    );
  });

  it('Jaeger storage values land where the cdk8s props do (memory maxTraces; badger PVC size, class and ttl)', () => {
    const cases: [Json, InstallProps['jaeger']][] = [
      [{ storage: { memory: { maxTraces: 5000 } } }, { storage: { type: 'memory', maxTraces: 5000 } }],
      [
        { storage: { type: 'badger', badger: { size: '20Gi', storageClassName: 'fast-ssd', ttl: '24h' } } },
        { storage: { type: 'badger', size: '20Gi', storageClassName: 'fast-ssd', ttl: '24h' } },
      ],
      [{ storage: { type: 'badger' } }, { storage: { type: 'badger' } }],
      [
        // Helm merges a values map into the default one: `limits: null` drops the default limits.
        { resources: { requests: { cpu: '1', memory: '4Gi' }, limits: null } },
        { resources: { requests: { cpu: '1', memory: '4Gi' } } },
      ],
    ];
    for (const [values, jaeger] of cases) {
      const rendered = template({ jaeger: values });
      const expected = synthesized(installApp({ jaeger }), false).filter(
        (o) => o.kind !== 'CustomResourceDefinition',
      );
      // The config checksum is Helm's sha256sum of the same config text: equal to cdk8s's.
      expect(byKey(rendered), JSON.stringify(values)).toEqual(byKey(expected));
    }
  });

  it('refuses bad values with an error naming the key (values.schema.json)', () => {
    const cases: [string[], RegExp][] = [
      [['--set', 'operator.replicaCount=two'], /operator\/replicaCount.*want integer/],
      [['--set', 'operator.replicas=2'], /operator.*additional properties 'replicas'/],
      [['--set', 'otelCollector.mode=sidecar'], /otelCollector\/mode/],
      [['--set', 'jaeger.storage.badger.size=lots'], /jaeger\/storage\/badger\/size/],
      [['--set', 'operator.resources.limits.cpu=many'], /operator\/resources\/limits\/cpu/],
      [['--set', 'operator.samplingRatio=2'], /operator\/samplingRatio/],
      [['--set', 'operator.otlpEndpoint=otel:4317'], /operator\/otlpEndpoint/],
    ];
    for (const [args, message] of cases) {
      const result = run('template', 'k', chartDir, '--kube-version', KUBE_VERSION, ...args);
      expect(result.status, args.join(' ')).not.toBe(0);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('has a `helm test` hook Pod with the restricted security context, only with the collector and Jaeger', () => {
    const text = helm(
      'template',
      'k',
      chartDir,
      '-n',
      'team-llm',
      '--kube-version',
      KUBE_VERSION,
      '--show-only',
      'templates/tests/check-install.yaml',
    );
    const pod = parseYaml(text);
    expect(pod.metadata.annotations['helm.sh/hook']).toBe('test');
    expect(pod.metadata.namespace).toBe('team-llm');
    expect(pod.spec.securityContext).toEqual(restrictedPodSecurityContext(KUBELLAMA_UID));
    expect(pod.spec.containers[0].securityContext).toEqual(restrictedContainerSecurityContext());
    expect(pod.spec.containers[0].image).toBe(IMAGES.operator);
    const off = run(
      'template',
      'k',
      chartDir,
      '--kube-version',
      KUBE_VERSION,
      '--set',
      'jaeger.enabled=false',
      '--show-only',
      'templates/tests/check-install.yaml',
    );
    expect(off.status).not.toBe(0);
    expect(off.stderr).toContain('could not find template');
  });

  it('leaves the Prometheus Operator monitors out unless monitoring.enabled', () => {
    expect(defaultValues.monitoring).toEqual({ enabled: false });
    const kinds = (objects: Manifest[]) => objects.map((o) => o.kind);
    expect(kinds(template())).not.toContain('PodMonitor');
    const on = template({ monitoring: { enabled: true } });
    expect(byKey(on.filter((o) => o.kind === 'PodMonitor' || o.kind === 'ServiceMonitor'))).toEqual(
      byKey(synthesized(monitoringApp())),
    );
  });

  it('turns charts off and swaps images through values', () => {
    const rendered = template({
      jaeger: { enabled: false },
      images: { collector: 'registry.local/otelcol:1.0.0' },
    });
    expect(rendered.some((o) => o.metadata.name === 'jaeger')).toBe(false);
    const gateway = find(rendered, 'Deployment', 'otel-collector');
    expect(gateway?.spec.template.spec.containers[0].image).toBe('registry.local/otelcol:1.0.0');
  });

  it("moves only kubellama's own images with imageRegistry, exactly as synth --registry does", () => {
    const registry = 'registry.local:5000/team';
    const rendered = template({ imageRegistry: `${registry}/` }, SYSTEM_NAMESPACE, '--include-crds');
    const expected = byKey(synthesized(installApp({ images: resolveImages(registry) }), false));
    expect(byKey(rendered)).toEqual(expected);
    const operator = find(rendered, 'Deployment', 'kubellama-operator');
    const container = operator?.spec.template.spec.containers[0];
    expect(container.image).toBe(`${registry}/operator:${IMAGES.operator.split(':').pop()}`);
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    );
    expect(env.KUBELLAMA_RUNTIME_IMAGE).toMatch(new RegExp(`^${registry}/runtime:[^-]+$`));
    expect(env.KUBELLAMA_RUNTIME_CUDA_IMAGE).toMatch(new RegExp(`^${registry}/runtime:.+-cuda$`));
    const gateway = find(rendered, 'Deployment', 'otel-collector');
    expect(gateway?.spec.template.spec.containers[0].image).toBe(IMAGES.collector);
  });

  it('lets an image set explicitly win over imageRegistry', () => {
    const rendered = template({
      imageRegistry: 'registry.local/team',
      images: { operator: 'other.local/operator:9.9.9' },
    });
    const container = find(rendered, 'Deployment', 'kubellama-operator')?.spec.template.spec.containers[0];
    expect(container.image).toBe('other.local/operator:9.9.9');
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    );
    expect(env.KUBELLAMA_RUNTIME_IMAGE).toBe(resolveImages('registry.local/team').runtime);
  });
});
