// Which paths of the cdk8s objects become Helm values (the decision is written down in
// charts/README.md, "Helm chart"). Each function puts template tokens at those paths and answers the
// values' defaults, read from the objects themselves, so the default values render exactly what the
// cdk8s props rendered.
import type {
  V1Container,
  V1DaemonSet,
  V1Deployment,
  V1EnvVar,
  V1PersistentVolumeClaim,
  V1PodTemplateSpec,
} from '@kubernetes/client-node';
import { LOG_LEVEL_ENV } from '../lib/log.js';
import type { HelmTemplater } from './helm-templater.js';
import { OPERATOR_ENV } from './operator-contract.js';

/** An object of a chart's `toJson()`. */
export interface HelmObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  [field: string]: unknown;
}

type Values = Record<string, unknown>;

function find<T>(objects: readonly HelmObject[], kind: string, name?: string): T {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new Error(`Helm values: no ${kind}${name ? ` ${name}` : ''} in the chart's objects`);
  return found as unknown as T;
}

/** Pod scheduling and pull policy, the knobs every workload gets: values under `key`. */
function podValues(t: HelmTemplater, template: V1PodTemplateSpec, key: string): Values {
  const pod = template.spec!;
  const container = pod.containers[0] as V1Container & Record<string, unknown>;
  container[t.optionalKey('imagePullPolicy', `.Values.${key}.imagePullPolicy`, true)] = null;
  const podSpec = pod as unknown as Record<string, unknown>;
  for (const field of ['nodeSelector', 'tolerations', 'affinity'] as const) {
    podSpec[t.optionalKey(field, `.Values.${key}.${field}`)] = null;
  }
  return { imagePullPolicy: '', nodeSelector: {}, tolerations: [], affinity: {} };
}

/** `resources` of the workload's first container from values under `key`. */
function resourcesValue(t: HelmTemplater, template: V1PodTemplateSpec, key: string): Values {
  const container = template.spec!.containers[0]!;
  const defaults = container.resources ?? {};
  (container as { resources: unknown }).resources = t.yamlValue(`.Values.${key}.resources`);
  return { resources: defaults };
}

/** A template expression for `text` with each `sentinel` in it replaced by the release namespace. */
function withReleaseNamespace(text: string, sentinel: string): string {
  const parts = text.split(sentinel).map((part) => part.replaceAll('%', '%%'));
  return `(printf ${JSON.stringify(parts.join('%s'))}${' $.Release.Namespace'.repeat(parts.length - 1)})`;
}

function env(container: V1Container, name: string): V1EnvVar {
  const entry = container.env?.find((e) => e.name === name);
  if (!entry) throw new Error(`Helm values: the operator container has no ${name}`);
  return entry;
}

/**
 * The operator: replicaCount (more than one wait as leader-election standbys), resources, pull
 * policy, scheduling, podAnnotations, logLevel, otlpEndpoint (empty: the release's collector),
 * samplingRatio, watchNamespaces and extraArgs (any other flag).
 */
export function operatorValues(t: HelmTemplater, objects: readonly HelmObject[], namespaceSentinel: string) {
  const deployment = find<V1Deployment>(objects, 'Deployment');
  const spec = deployment.spec!;
  const template = spec.template;
  const container = template.spec!.containers[0]!;
  const replicaCount = spec.replicas;
  (spec as { replicas: unknown }).replicas = t.value('int64 .Values.operator.replicaCount');
  template.metadata!.annotations ??= {};
  const annotations = template.metadata!.annotations;
  annotations[t.mapEntries('.Values.operator.podAnnotations')] = null as unknown as string;

  // The default endpoint names the collector in the release namespace.
  const endpoint = env(container, OPERATOR_ENV.collectorEndpoint).value!;
  const defaultEndpoint = withReleaseNamespace(endpoint, namespaceSentinel);
  for (const entry of container.env!) {
    if (entry.value === endpoint)
      entry.value = t.value(`.Values.operator.otlpEndpoint | default ${defaultEndpoint} | quote`);
  }
  const sampling = env(container, OPERATOR_ENV.samplingRatio);
  const samplingRatio = Number(sampling.value);
  sampling.value = t.value('.Values.operator.samplingRatio | toString | quote');
  const watch = env(container, OPERATOR_ENV.watchNamespaces);
  const watchNamespaces = (watch.value ?? '').split(',').filter(Boolean);
  watch.value = t.value('join "," .Values.operator.watchNamespaces | quote');
  (container.env as unknown[]).push(t.optionalEnv(LOG_LEVEL_ENV, '.Values.operator.logLevel'));
  // Any other operator flag (operator/README.md lists them), e.g. --keda-prometheus-address.
  (container as unknown as Record<string, unknown>)[t.optionalKey('args', '.Values.operator.extraArgs')] =
    null;

  return {
    replicaCount,
    ...resourcesValue(t, template, 'operator'),
    ...podValues(t, template, 'operator'),
    podAnnotations: {},
    logLevel: '',
    otlpEndpoint: '',
    samplingRatio,
    watchNamespaces,
    extraArgs: [],
  };
}

/** The collector in gateway mode (a Deployment): replicas, resources, pull policy, scheduling. */
export function collectorGatewayValues(t: HelmTemplater, objects: readonly HelmObject[]) {
  const deployment = find<V1Deployment>(objects, 'Deployment');
  const spec = deployment.spec!;
  const replicas = spec.replicas;
  (spec as { replicas: unknown }).replicas = t.value('int64 .Values.otelCollector.replicas');
  return {
    replicas,
    ...resourcesValue(t, spec.template, 'otelCollector'),
    ...podValues(t, spec.template, 'otelCollector'),
  };
}

/** The collector in daemonset mode: the same values but replicas (one per node). */
export function collectorDaemonSetValues(t: HelmTemplater, objects: readonly HelmObject[]) {
  const template = find<V1DaemonSet>(objects, 'DaemonSet').spec!.template;
  return { ...resourcesValue(t, template, 'otelCollector'), ...podValues(t, template, 'otelCollector') };
}

/** Jaeger (either storage): resources, pull policy, scheduling. */
export function jaegerValues(t: HelmTemplater, objects: readonly HelmObject[]) {
  const template = find<V1Deployment>(objects, 'Deployment').spec!.template;
  return { ...resourcesValue(t, template, 'jaeger'), ...podValues(t, template, 'jaeger') };
}

/** Jaeger's badger PVC: size and storageClassName. */
export function jaegerBadgerVolumeValues(t: HelmTemplater, objects: readonly HelmObject[]) {
  const claim = find<V1PersistentVolumeClaim>(objects, 'PersistentVolumeClaim');
  const spec = claim.spec!;
  const size = spec.resources!.requests!.storage;
  spec.resources!.requests!.storage = t.value('.Values.jaeger.storage.badger.size | quote');
  const storageClassName = spec.storageClassName ?? '';
  delete spec.storageClassName;
  (spec as Record<string, unknown>)[
    t.optionalKey('storageClassName', '.Values.jaeger.storage.badger.storageClassName', true)
  ] = null;
  return { size, storageClassName };
}
