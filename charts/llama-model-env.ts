// The environment of a LlamaModel's containers: the runtime's own settings and the OpenTelemetry
// variables (ARCHITECTURE.md, "What the operator renders into a model pod"), with pod identity from
// the downward API expanded through $(VAR). A variable the user lists in spec.runtime.env wins.
import type { V1EnvVar } from '@kubernetes/client-node';
import type { LlamaModelSpec } from '../operator/api/llama-model.js';
import { MODEL_DIR, RUNTIME_ENV, RUNTIME_PORT } from './runtime-contract.js';
import { WORKLOAD_CONTAINERS } from './workload-contract.js';

/** Downward-API variables the OTEL_RESOURCE_ATTRIBUTES value refers to (declared first: $(VAR) only sees earlier ones). */
export const POD_ENV = {
  podName: 'K8S_POD_NAME',
  podNamespace: 'K8S_POD_NAMESPACE',
  podUid: 'K8S_POD_UID',
  nodeName: 'K8S_NODE_NAME',
} as const;

export interface TelemetryDefaults {
  /** OTLP/gRPC endpoint when spec.telemetry.endpoint is empty. */
  readonly endpoint: string;
  /** Sampling ratio when spec.telemetry.samplingRatio is unset. */
  readonly samplingRatio: number;
}

export interface ModelLocation {
  /** What the runtime's KUBELLAMA_MODEL says: a URI to look up in the cache, or a file path. */
  readonly model: string;
  /** True when an init container downloads the model first. */
  readonly pull: boolean;
}

/** pvc:// sources are mounted here, read-only. */
export const MODEL_SOURCE_DIR = '/model-source';

export function modelLocation(source: string): ModelLocation {
  if (source.startsWith('pvc://')) {
    const path = source.slice('pvc://'.length).split('/').slice(1).join('/');
    return { model: `${MODEL_SOURCE_DIR}/${path}`, pull: false };
  }
  if (source.startsWith('file://')) return { model: source.slice('file://'.length), pull: false };
  return { model: source, pull: true };
}

export function pvcSourceClaim(source: string): string | undefined {
  return source.startsWith('pvc://') ? source.slice('pvc://'.length).split('/')[0] : undefined;
}

const SERVICE_NAME_ENV = 'OTEL_SERVICE_NAME';

/**
 * The service.name of a model's traces and metrics (what Jaeger lists them under): the model's name,
 * unless spec.runtime.env sets OTEL_SERVICE_NAME (a variable set there wins). `kubectl llama trace`
 * looks a model's traces up by it.
 */
export function modelServiceName(
  name: string,
  spec: { readonly runtime?: { readonly env?: readonly V1EnvVar[] } },
): string {
  return spec.runtime?.env?.find((v) => v.name === SERVICE_NAME_ENV && v.value)?.value ?? name;
}

function fieldRef(name: string, fieldPath: string): V1EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

export function telemetryEnv(
  name: string,
  spec: LlamaModelSpec,
  defaults: TelemetryDefaults,
  serviceVersion: string,
): V1EnvVar[] {
  const telemetry = spec.telemetry;
  const endpoint = telemetry.endpoint || defaults.endpoint;
  const ratio = telemetry.samplingRatio ?? defaults.samplingRatio;
  const ref = (v: string) => `$(${v})`;
  const attributes = [
    `k8s.namespace.name=${ref(POD_ENV.podNamespace)}`,
    `k8s.pod.name=${ref(POD_ENV.podName)}`,
    `k8s.pod.uid=${ref(POD_ENV.podUid)}`,
    `k8s.node.name=${ref(POD_ENV.nodeName)}`,
    `k8s.deployment.name=${name}`,
    `service.version=${serviceVersion}`,
    // The OpenTelemetry Operator's choice: namespace.pod.container, unique and stable per container.
    `service.instance.id=${ref(POD_ENV.podNamespace)}.${ref(POD_ENV.podName)}.${WORKLOAD_CONTAINERS.runtime}`,
  ];
  return [
    fieldRef(POD_ENV.podName, 'metadata.name'),
    fieldRef(POD_ENV.podNamespace, 'metadata.namespace'),
    fieldRef(POD_ENV.podUid, 'metadata.uid'),
    fieldRef(POD_ENV.nodeName, 'spec.nodeName'),
    { name: SERVICE_NAME_ENV, value: name },
    { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: endpoint },
    { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', value: 'grpc' },
    { name: 'OTEL_TRACES_SAMPLER', value: 'parentbased_traceidratio' },
    { name: 'OTEL_TRACES_SAMPLER_ARG', value: String(ratio) },
    { name: 'OTEL_PROPAGATORS', value: 'tracecontext,baggage' },
    { name: 'OTEL_RESOURCE_ATTRIBUTES', value: attributes.join(',') },
  ];
}

export function runtimeEnv(name: string, spec: LlamaModelSpec): V1EnvVar[] {
  const location = modelLocation(spec.model.source);
  const cpuLimit = spec.resources?.limits?.cpu;
  const threads: V1EnvVar =
    spec.runtime.threads === 'auto' && cpuLimit !== undefined
      ? // Threads from the CPU limit (rounded up), not from the node's core count.
        {
          name: RUNTIME_ENV.threads,
          valueFrom: {
            resourceFieldRef: {
              containerName: WORKLOAD_CONTAINERS.runtime,
              resource: 'limits.cpu',
              divisor: '1',
            },
          },
        }
      : { name: RUNTIME_ENV.threads, value: String(spec.runtime.threads) };
  return [
    { name: RUNTIME_ENV.model, value: location.model },
    // Clients name the model as they name the resource (`model: gemma`), as KServe and KubeAI do.
    { name: RUNTIME_ENV.modelAlias, value: name },
    ...(location.pull ? [{ name: RUNTIME_ENV.modelDir, value: MODEL_DIR }] : []),
    ...(spec.model.sha256 ? [{ name: RUNTIME_ENV.modelSha256, value: spec.model.sha256 }] : []),
    { name: RUNTIME_ENV.host, value: '0.0.0.0' },
    { name: RUNTIME_ENV.port, value: String(RUNTIME_PORT) },
    { name: RUNTIME_ENV.contextSize, value: String(spec.runtime.contextSize) },
    { name: RUNTIME_ENV.parallel, value: String(spec.runtime.parallel) },
    threads,
    { name: RUNTIME_ENV.gpuLayers, value: spec.gpu.count === 0 ? '0' : String(spec.runtime.gpuLayers) },
    { name: RUNTIME_ENV.traceDetail, value: spec.telemetry.detail },
    { name: RUNTIME_ENV.captureContent, value: String(spec.telemetry.captureContent) },
  ];
}

/** Injected variables first (minus those the user sets), then the user's, in the user's order. */
export function mergeEnv(injected: V1EnvVar[], user: V1EnvVar[]): V1EnvVar[] {
  const userNames = new Set(user.map((e) => e.name));
  return [...injected.filter((e) => !userNames.has(e.name)), ...user];
}
