// The objects that serve one LlamaModel: a Deployment (init container `kubellama-runtime pull`,
// runtime container `kubellama-runtime serve`), a ClusterIP Service with port `http`, the
// model cache PVC when spec.model.cache is set, and its autoscaler when spec.autoscaling is
// (charts/llama-model-autoscaler.ts). The operator renders it at run time for every
// model; `npm run synth` can render it for samples. Pure: same props, same objects.
import type {
  V1Container,
  V1Deployment,
  V1DeploymentStrategy,
  V1EnvVar,
  V1OwnerReference,
  V1PersistentVolumeClaim,
  V1PodSpec,
  V1Service,
  V1Toleration,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { ApiObject, App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import type { LlamaModelSpec } from '../operator/api/llama-model.js';
import { ChartPropsError } from './chart-props-error.js';
import { KUBELLAMA_UID, KUBELLAMA_VERSION } from './images.js';
import { selectorLabels, standardLabels } from './labels.js';
import { autoscalerKind, LlamaModelAutoscaler, REPLICAS_OWNER_ANNOTATION } from './llama-model-autoscaler.js';
import {
  MODEL_SOURCE_DIR,
  mergeEnv,
  modelLocation,
  pvcSourceClaim,
  runtimeEnv,
  type TelemetryDefaults,
  telemetryEnv,
} from './llama-model-env.js';
import {
  MODEL_DIR,
  RUNTIME_COMMANDS,
  RUNTIME_ENV,
  RUNTIME_PATHS,
  RUNTIME_PORT,
  TERMINATION_MESSAGE_PATH,
} from './runtime-contract.js';
import { checkQuantity, imageTag } from './validate.js';
import {
  DEFAULT_REPLICAS,
  LLAMA_MODEL_APP,
  WORKLOAD_CONTAINERS,
  WORKLOAD_PORT_NAME,
} from './workload-contract.js';
import {
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  scrapeAnnotations,
} from './workload-defaults.js';

export const GPU_PRODUCT_LABEL = 'nvidia.com/gpu.product';
/** Where the pull init container finds spec.model.caBundle (read-only), named by NODE_EXTRA_CA_CERTS. */
export const CA_BUNDLE_DIR = '/etc/kubellama/ca';
export const CA_BUNDLE_FILE = `${CA_BUNDLE_DIR}/ca.crt`;
/** The runtime's environment the pull init container gets too: what it needs to find and check the model. */
const PULL_ENV: ReadonlySet<string> = new Set([
  RUNTIME_ENV.model,
  RUNTIME_ENV.modelDir,
  RUNTIME_ENV.modelSha256,
]);
/** Seconds the preStop hook waits so endpoints drop the pod before the server drains and exits. */
export const PRESTOP_SLEEP_SECONDS = 5;

/** The runtime images a model gets when its spec.runtime.image is empty. */
export interface RuntimeImages {
  /** For models with spec.gpu.count 0. */
  readonly cpu: string;
  /** For models with spec.gpu.count above 0: llama.cpp built with CUDA. */
  readonly cuda: string;
}

export interface LlamaModelWorkloadProps {
  /** The LlamaModel's name: the Deployment's and Service's name and the instance label. */
  readonly name: string;
  readonly namespace: string;
  /** The LlamaModel's spec, defaults filled (as the API server stores it). */
  readonly spec: LlamaModelSpec;
  /** Runtime images when spec.runtime.image is empty: CUDA for GPU models, else CPU. */
  readonly defaultImages: RuntimeImages;
  readonly telemetry: TelemetryDefaults;
  /** Prometheus that a KEDA ScaledObject queries (spec.autoscaling.engine keda). @default DEFAULT_KEDA_PROMETHEUS_ADDRESS */
  readonly kedaPrometheusAddress?: string;
  /** Set by the operator: the LlamaModel as controller owner. @default none */
  readonly ownerReferences?: V1OwnerReference[];
}

const QUANTITY_SUFFIX: Readonly<Record<string, number>> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const MAX_QUANTITY_BYTES = 2 ** 63 - 1;

/**
 * A quantity the CRD schema accepted ("2Gi", "1.5G", "1e9", "500m") as whole bytes, rounded up;
 * `field` names it in the error. (client-node's quantityToScalar refuses a fraction with a suffix,
 * e.g. "1.5G", and the n and u suffixes.)
 */
export function quantityBytes(field: string, quantity: number | string): string {
  const text = checkQuantity(field, String(quantity).trim());
  const match = /^\+?([0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(text);
  const bytes = match
    ? Math.ceil(Number(match[1]) * (QUANTITY_SUFFIX[match[2] ?? ''] ?? Number.NaN))
    : Number.NaN;
  // Kubernetes' own bound (int64); past 2^53 bytes the count is rounded, which a size limit can bear.
  if (!(bytes <= MAX_QUANTITY_BYTES))
    throw new ChartPropsError(field, `"${text}" is more bytes than Kubernetes counts`, 'Use at most 8Ei');
  return BigInt(bytes).toString();
}

export function cacheClaimName(model: string): string {
  return `${model}-model-cache`;
}

export class LlamaModelWorkload extends Construct {
  readonly deployment: ApiObject;
  readonly service: ApiObject;
  readonly cache: ApiObject | undefined;
  /** The HorizontalPodAutoscaler or KEDA ScaledObject, when spec.autoscaling is set. */
  readonly autoscaler: LlamaModelAutoscaler | undefined;

  constructor(scope: Construct, id: string, props: LlamaModelWorkloadProps) {
    super(scope, id);
    const { name, namespace, spec } = props;
    const labels = standardLabels({
      name: LLAMA_MODEL_APP,
      instance: name,
      component: 'server',
      version: KUBELLAMA_VERSION,
    });
    const metadata = (objectName: string) => ({
      name: objectName,
      namespace,
      labels,
      ...(props.ownerReferences ? { ownerReferences: props.ownerReferences } : {}),
    });

    const deployment: V1Deployment = {
      metadata: spec.autoscaling
        ? {
            ...metadata(name),
            annotations: { [REPLICAS_OWNER_ANNOTATION]: autoscalerKind(spec.autoscaling) },
          }
        : metadata(name),
      spec: {
        // Left out while an autoscaler owns the count (server-side apply: whoever wrote it last keeps it).
        ...(spec.autoscaling ? {} : { replicas: spec.replicas ?? DEFAULT_REPLICAS }),
        revisionHistoryLimit: 3,
        progressDeadlineSeconds: 600,
        selector: { matchLabels: selectorLabels({ name: LLAMA_MODEL_APP, instance: name }) },
        strategy: rolloutStrategy(spec),
        template: {
          metadata: { labels, annotations: scrapeAnnotations(RUNTIME_PORT, RUNTIME_PATHS.metrics) },
          spec: podSpec(props),
        },
      },
    };
    this.deployment = new ApiObject(this, 'deployment', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      ...deployment,
    });

    const service: V1Service = {
      metadata: metadata(name),
      spec: {
        type: 'ClusterIP',
        selector: selectorLabels({ name: LLAMA_MODEL_APP, instance: name }),
        ports: [
          {
            name: WORKLOAD_PORT_NAME,
            port: RUNTIME_PORT,
            targetPort: WORKLOAD_PORT_NAME as never,
            protocol: 'TCP',
            appProtocol: 'http',
          },
        ],
      },
    };
    this.service = new ApiObject(this, 'service', { apiVersion: 'v1', kind: 'Service', ...service });

    this.autoscaler = spec.autoscaling
      ? new LlamaModelAutoscaler(this, 'autoscaler', {
          name,
          namespace,
          autoscaling: spec.autoscaling,
          labels,
          ...(props.ownerReferences ? { ownerReferences: props.ownerReferences } : {}),
          ...(props.kedaPrometheusAddress ? { kedaPrometheusAddress: props.kedaPrometheusAddress } : {}),
        })
      : undefined;

    const cache = spec.model.cache;
    if (cache) {
      const claim: V1PersistentVolumeClaim = {
        metadata: metadata(cacheClaimName(name)),
        spec: {
          accessModes: [cache.accessMode ?? 'ReadWriteOnce'],
          resources: { requests: { storage: String(cache.size) } },
          ...(cache.storageClassName ? { storageClassName: cache.storageClassName } : {}),
        },
      };
      this.cache = new ApiObject(this, 'cache', {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        ...claim,
      });
    }
  }
}

function podSpec(props: LlamaModelWorkloadProps): V1PodSpec {
  const { name, spec } = props;
  const gpu = spec.gpu.count > 0;
  const image = spec.runtime.image || (gpu ? props.defaultImages.cuda : props.defaultImages.cpu);
  const location = modelLocation(spec.model.source);
  const sourceClaim = pvcSourceClaim(spec.model.source);
  const env = mergeEnv(
    [...runtimeEnv(name, spec), ...telemetryEnv(name, spec, props.telemetry, serviceVersion(image))],
    spec.runtime.env,
  );

  const volumes: V1Volume[] = [
    spec.model.cache
      ? { name: 'model-cache', persistentVolumeClaim: { claimName: cacheClaimName(name) } }
      : { name: 'model-cache', emptyDir: {} },
    { name: 'tmp', emptyDir: {} },
    ...(sourceClaim
      ? [{ name: 'model-source', persistentVolumeClaim: { claimName: sourceClaim, readOnly: true } }]
      : []),
  ];
  const mounts: V1VolumeMount[] = [
    { name: 'model-cache', mountPath: MODEL_DIR },
    { name: 'tmp', mountPath: '/tmp' },
    ...(sourceClaim ? [{ name: 'model-source', mountPath: MODEL_SOURCE_DIR, readOnly: true }] : []),
  ];
  const securityContext = restrictedContainerSecurityContext();
  const limits: Record<string, string> = {
    ...stringValues(spec.resources?.limits),
    ...(gpu ? { [spec.gpu.resourceName]: String(spec.gpu.count) } : {}),
  };
  const requests = stringValues(spec.resources?.requests);

  const runtime: V1Container = {
    name: WORKLOAD_CONTAINERS.runtime,
    image,
    command: ['kubellama-runtime'],
    args: [RUNTIME_COMMANDS.serve, ...spec.runtime.args],
    ports: [{ name: WORKLOAD_PORT_NAME, containerPort: RUNTIME_PORT, protocol: 'TCP' }],
    env,
    resources: {
      ...(Object.keys(limits).length ? { limits } : {}),
      ...(Object.keys(requests).length ? { requests } : {}),
    },
    volumeMounts: mounts,
    // Loading a large model can take minutes: liveness waits for the startup probe.
    startupProbe: probe(RUNTIME_PATHS.health, { periodSeconds: 5, failureThreshold: 60 }),
    readinessProbe: probe(RUNTIME_PATHS.ready, { periodSeconds: 5, failureThreshold: 3 }),
    livenessProbe: probe(RUNTIME_PATHS.health, { periodSeconds: 10, failureThreshold: 3 }),
    // Endpoints drop the pod while it sleeps; then SIGTERM lets the server finish in-flight requests.
    lifecycle: { preStop: { sleep: { seconds: PRESTOP_SLEEP_SECONDS } } },
    // What the runtime writes there, else the last log lines, is what the operator puts in status.
    terminationMessagePath: TERMINATION_MESSAGE_PATH,
    terminationMessagePolicy: 'FallbackToLogsOnError',
    securityContext,
  };
  // What the download may take, for the pull's own check: the claim's size (a hostPath or local
  // volume does not show it as the filesystem's), or for the emptyDir the pod's ephemeral-storage
  // limit (the kubelet evicts a pod whose emptyDir outgrows it, without a word in the pull's log).
  const [cacheLimitField, cacheLimit] = spec.model.cache
    ? ['spec.model.cache.size', spec.model.cache.size]
    : ['spec.resources.limits.ephemeral-storage', spec.resources?.limits?.['ephemeral-storage']];
  const caBundle = location.pull ? spec.model.caBundle?.configMapRef : undefined;
  if (caBundle)
    volumes.push({
      name: 'ca-bundle',
      configMap: { name: caBundle.name, items: [{ key: caBundle.key, path: 'ca.crt' }] },
    });
  const pull: V1Container | undefined = location.pull
    ? {
        name: WORKLOAD_CONTAINERS.pull,
        image,
        command: ['kubellama-runtime'],
        args: [RUNTIME_COMMANDS.pull, spec.model.source, '--dir', MODEL_DIR],
        env: mergeEnv(
          env.filter((e) => e.name.startsWith('OTEL_') || e.name.startsWith('K8S_') || PULL_ENV.has(e.name)),
          [
            ...(caBundle ? [{ name: 'NODE_EXTRA_CA_CERTS', value: CA_BUNDLE_FILE }] : []),
            ...credentialsEnv(spec.model.credentials),
            ...(cacheLimit === undefined
              ? []
              : [{ name: RUNTIME_ENV.modelCacheBytes, value: quantityBytes(cacheLimitField, cacheLimit) }]),
          ],
        ),
        volumeMounts: caBundle
          ? [...mounts, { name: 'ca-bundle', mountPath: CA_BUNDLE_DIR, readOnly: true }]
          : mounts,
        terminationMessagePath: TERMINATION_MESSAGE_PATH,
        terminationMessagePolicy: 'FallbackToLogsOnError',
        securityContext,
      }
    : undefined;

  const tolerations: V1Toleration[] = [
    ...(gpu ? [{ key: spec.gpu.resourceName, operator: 'Exists', effect: 'NoSchedule' }] : []),
    ...(spec.scheduling?.tolerations ?? []),
  ];
  const nodeSelector = {
    ...spec.scheduling?.nodeSelector,
    ...(gpu && spec.gpu.product ? { [GPU_PRODUCT_LABEL]: spec.gpu.product } : {}),
  } as Record<string, string>;
  const scheduling = spec.scheduling ?? {};

  return {
    ...(pull ? { initContainers: [pull] } : {}),
    containers: [runtime],
    volumes,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: 60,
    securityContext: restrictedPodSecurityContext(KUBELLAMA_UID),
    ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}),
    ...(tolerations.length ? { tolerations } : {}),
    ...(scheduling.affinity ? { affinity: scheduling.affinity as V1PodSpec['affinity'] } : {}),
    ...(scheduling.priorityClassName ? { priorityClassName: scheduling.priorityClassName } : {}),
    ...(scheduling.runtimeClassName ? { runtimeClassName: scheduling.runtimeClassName } : {}),
  };
}

/** The download tokens as references to the Secret: the value never passes through the operator. */
function credentialsEnv(credentials: LlamaModelSpec['model']['credentials']): V1EnvVar[] {
  if (!credentials) return [];
  const fromSecret = (name: string, key: string | undefined): V1EnvVar[] =>
    key ? [{ name, valueFrom: { secretKeyRef: { name: credentials.secretRef.name, key } } }] : [];
  return [
    ...fromSecret(RUNTIME_ENV.huggingFaceToken, credentials.huggingFaceTokenKey),
    ...fromSecret(RUNTIME_ENV.modelToken, credentials.bearerTokenKey),
  ];
}

function probe(path: string, timing: { periodSeconds: number; failureThreshold: number }) {
  return { httpGet: { path, port: WORKLOAD_PORT_NAME as never }, timeoutSeconds: 2, ...timing };
}

/**
 * spec.rollout, or the default: a GPU model rolls one pod at a time without surge, so it never asks
 * for more GPUs than it holds (a surge pod on a full GPU node stays Pending and the rollout stalls).
 */
function rolloutStrategy(spec: LlamaModelSpec): V1DeploymentStrategy {
  const rollout = spec.rollout ?? {};
  if (rollout.strategy === 'Recreate') return { type: 'Recreate' };
  const gpu = spec.gpu.count > 0;
  return {
    type: 'RollingUpdate',
    rollingUpdate: {
      maxSurge: (rollout.maxSurge ?? (gpu ? 0 : '25%')) as never,
      maxUnavailable: (rollout.maxUnavailable ?? (gpu ? 1 : '25%')) as never,
    },
  };
}

/** The image's tag, or its digest when it is pinned by digest only. */
function serviceVersion(image: string): string {
  return imageTag(image) ?? image.slice(image.indexOf('@') + 1);
}

function stringValues(map: Record<string, number | string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, String(v)]));
}

/** Renders one model's objects in-process (cdk8s chart.toJson()). */
export function renderLlamaModelWorkload(props: LlamaModelWorkloadProps): Record<string, unknown>[] {
  const app = new App();
  const chart = new Chart(app, props.name, { namespace: props.namespace, disableResourceNameHashes: true });
  new LlamaModelWorkload(chart, 'workload', props);
  return chart.toJson() as Record<string, unknown>[];
}
