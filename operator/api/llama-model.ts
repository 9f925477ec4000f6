// The LlamaModel API (inference.kubellama.dev/v1alpha1): the TypeBox schema is the one source of
// the TypeScript types below and of the CRD in crds/ (`npm run crds`). Every field carries the
// description `kubectl explain` prints; defaults, ranges, enums and CEL rules sit on the field.

import type { V1EnvVar, V1Toleration } from '@kubernetes/client-node';
import { type Static, Type } from '@sinclair/typebox';
import { RUNTIME_METRICS } from '../../charts/metrics-contract.js';
import { OTLP_GRPC_ENDPOINT_PATTERN } from '../../charts/validate.js';
import { DEFAULT_REPLICAS } from '../../charts/workload-contract.js';
import { cel, IntOrString, OpaqueObject, Quantity, StringEnum, StringMap } from './schema-helpers.js';

export const GROUP = 'inference.kubellama.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'LlamaModel';
export const PLURAL = 'llamamodels';
export const SINGULAR = 'llamamodel';
export const SHORT_NAMES = ['lm'] as const;
export const CATEGORIES = ['kubellama'] as const;

export const PHASES = ['Pending', 'Downloading', 'Loading', 'Ready', 'Failed'] as const;
export type Phase = (typeof PHASES)[number];
export const TRACE_DETAILS = ['request', 'token'] as const;
export const CACHE_ACCESS_MODES = ['ReadWriteOnce', 'ReadWriteOncePod', 'ReadWriteMany'] as const;

// The four source schemes; `pvc://claim/path.gguf` needs both the claim and the path.
const SOURCE_PATTERN =
  '^(hf:[^/\\s]+/[^:\\s]+(:\\S+)?|https://[^/\\s]+/\\S+|pvc://[^/\\s]+/\\S+|file:///\\S+)$';

const Source = Type.String({
  description:
    'Where the GGUF file comes from: hf:OWNER/REPO[:QUANT or FILE], https://HOST/PATH.gguf, ' +
    'pvc://CLAIM/PATH.gguf (a PersistentVolumeClaim in the same namespace) or file:///ABSOLUTE/PATH.gguf (already in the runtime image: nothing is mounted from the node).',
  minLength: 1,
  maxLength: 2048,
  pattern: SOURCE_PATTERN,
  ...cel(
    {
      rule: "!self.startsWith('pvc://') || self.matches('^pvc://[a-z0-9]([-a-z0-9]*[a-z0-9])?/[^/].*[.]gguf$')",
      message:
        'a pvc:// source must be pvc://CLAIM/PATH.gguf with a valid claim name and a path to a .gguf file',
    },
    {
      rule: "!self.startsWith('file://') || self.endsWith('.gguf')",
      message: 'a file:// source must name a .gguf file',
    },
  ),
});

const ModelCache = Type.Object(
  {
    size: Quantity(
      'Capacity of the PersistentVolumeClaim the init container downloads the model into, e.g. 2Gi.',
    ),
    storageClassName: Type.Optional(
      Type.String({
        description: 'StorageClass of the cache claim; empty uses the cluster default.',
        maxLength: 253,
      }),
    ),
    accessMode: Type.Optional(
      StringEnum(CACHE_ACCESS_MODES, {
        description:
          'Access mode of the cache claim; ReadWriteMany lets replicas on several nodes share one download.',
        default: 'ReadWriteOnce',
      }),
    ),
  },
  {
    description:
      'A PersistentVolumeClaim (named MODEL-model-cache) that keeps downloads across restarts. Omitted: an emptyDir, downloaded again by every pod.',
  },
);

// A ConfigMap key: what `kubectl create configmap --from-file` accepts.
const CONFIG_MAP_KEY_PATTERN = '^[-._a-zA-Z0-9]+$';
const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

const CaBundle = Type.Object(
  {
    configMapRef: Type.Object(
      {
        name: Type.String({
          description: "Name of the ConfigMap, in the LlamaModel's namespace.",
          minLength: 1,
          maxLength: 253,
          pattern: DNS_SUBDOMAIN_PATTERN,
        }),
        key: Type.String({
          description: 'Key of the ConfigMap whose value is the PEM bundle, e.g. ca.crt.',
          minLength: 1,
          maxLength: 253,
          pattern: CONFIG_MAP_KEY_PATTERN,
        }),
      },
      { description: 'The ConfigMap key that holds the PEM certificates.' },
    ),
  },
  {
    description:
      'Extra CA certificates (PEM) the download trusts besides the public ones, for a private https mirror: mounted read-only into the pull init container and named by NODE_EXTRA_CA_CERTS.',
  },
);

const SECRET_KEY = (what: string) =>
  Type.Optional(
    Type.String({
      description: `Key of the Secret whose value is ${what}.`,
      minLength: 1,
      maxLength: 253,
      pattern: CONFIG_MAP_KEY_PATTERN,
    }),
  );

const Credentials = Type.Object(
  {
    secretRef: Type.Object(
      {
        name: Type.String({
          description: "Name of the Secret, in the LlamaModel's namespace.",
          minLength: 1,
          maxLength: 253,
          pattern: DNS_SUBDOMAIN_PATTERN,
        }),
      },
      { description: 'The Secret that holds the tokens.' },
    ),
    huggingFaceTokenKey: SECRET_KEY('a Hugging Face token, sent with hf: downloads (HF_TOKEN)'),
    bearerTokenKey: SECRET_KEY(
      'a token sent as `Authorization: Bearer` to an https:// source (KUBELLAMA_MODEL_TOKEN)',
    ),
  },
  {
    description:
      'Tokens for gated or private models, from a Secret: they reach the pull init container only (as environment variables referencing the Secret), never the serving container, the status, events, logs or traces. The operator never reads the Secret.',
    ...cel({
      rule: 'has(self.huggingFaceTokenKey) || has(self.bearerTokenKey)',
      message: 'name the Secret key of huggingFaceTokenKey, bearerTokenKey or both',
    }),
  },
);

const Model = Type.Object(
  {
    source: Source,
    sha256: Type.Optional(
      Type.String({
        description:
          'Expected SHA-256 of the GGUF file (64 hexadecimal characters); the download is refused when it differs. Empty: not checked.',
        maxLength: 64,
        ...cel({
          rule: "self == '' || self.matches('^[0-9a-fA-F]{64}$')",
          message: 'sha256 must be empty or exactly 64 hexadecimal characters',
        }),
      }),
    ),
    cache: Type.Optional(ModelCache),
    caBundle: Type.Optional(CaBundle),
    credentials: Type.Optional(Credentials),
  },
  {
    description: 'The GGUF model to serve.',
    ...cel(
      {
        rule: "!has(self.caBundle) || self.source.startsWith('https://') || self.source.startsWith('hf:')",
        message: 'a caBundle applies to downloads only: an https:// or hf: source',
        fieldPath: '.caBundle',
      },
      {
        rule: "!has(self.credentials) || self.source.startsWith('https://') || self.source.startsWith('hf:')",
        message: 'credentials apply to downloads only: an https:// or hf: source',
        fieldPath: '.credentials',
      },
    ),
  },
);

const Gpu = Type.Object(
  {
    count: Type.Integer({
      description:
        'GPUs per replica, requested as a limit of resourceName. 0 runs llama.cpp on the CPU only.',
      minimum: 0,
      maximum: 16,
      default: 1,
    }),
    resourceName: Type.String({
      description: 'Extended resource the device plugin advertises, e.g. nvidia.com/gpu, amd.com/gpu.',
      default: 'nvidia.com/gpu',
      minLength: 3,
      maxLength: 253,
      pattern:
        '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)/[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$',
    }),
    product: Type.Optional(
      Type.String({
        description:
          'GPU model to schedule on (node label nvidia.com/gpu.product, e.g. NVIDIA-H100-80GB-HBM3). Empty: any.',
        maxLength: 63,
      }),
    ),
  },
  {
    description: 'GPU scheduling for each replica.',
    default: {},
    ...cel({
      rule: "!has(self.product) || self.product == '' || self.count > 0",
      message: 'a GPU product needs a GPU count above 0',
      fieldPath: '.product',
    }),
  },
);

const Resources = Type.Object(
  {
    requests: Type.Optional(
      Type.Record(Type.String(), Quantity('A quantity.'), {
        description: 'Minimum cpu/memory each replica is scheduled with.',
      }),
    ),
    limits: Type.Optional(
      Type.Record(Type.String(), Quantity('A quantity.'), {
        description:
          'Maximum cpu/memory of each replica; the CPU limit sets llama.cpp threads when threads is auto.',
      }),
    ),
  },
  {
    description: 'CPU and memory requests and limits of the runtime container (GPUs come from spec.gpu).',
    ...cel({
      rule: "!has(self.limits) || !self.limits.exists(k, k.contains('gpu'))",
      message: 'request GPUs with spec.gpu, not spec.resources.limits',
      fieldPath: '.limits',
    }),
  },
);

const EnvVar = Type.Object(
  {
    name: Type.String({
      description: 'Variable name.',
      minLength: 1,
      maxLength: 256,
      pattern: '^[-._a-zA-Z][-._a-zA-Z0-9]*$',
    }),
    value: Type.Optional(Type.String({ description: 'Literal value; $(VAR) references are expanded.' })),
    valueFrom: Type.Optional(
      OpaqueObject('Source of the value (secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef).'),
    ),
  },
  { description: 'An environment variable (as in a Pod).' },
);

const Runtime = Type.Object(
  {
    image: Type.Optional(
      Type.String({
        description:
          "The kubellama-runtime image. Empty: the operator's default, its CUDA image when gpu.count is above 0, else its CPU image.",
        maxLength: 512,
      }),
    ),
    contextSize: Type.Integer({
      description:
        'Context size in tokens of each of the parallel sequences: every replica allocates a KV cache of contextSize × parallel tokens (status.kvCacheTokens).',
      minimum: 128,
      maximum: 1048576,
      default: 4096,
    }),
    parallel: Type.Integer({
      description: 'Requests served at once (llama.cpp sequences); more wait in a bounded queue.',
      minimum: 1,
      maximum: 256,
      default: 4,
    }),
    gpuLayers: IntOrString({
      description:
        'Layers offloaded to the GPU: a number, auto or max. Ignored (0) when spec.gpu.count is 0.',
      default: 'auto',
      pattern: '^(auto|max|[0-9]+)$',
      ...cel({
        rule: 'type(self) == string || self >= 0',
        message: 'gpuLayers must be auto, max or a number of layers (0 or more)',
      }),
    }),
    threads: IntOrString({
      description: "CPU threads: a number, or auto (the container's CPU limit).",
      default: 'auto',
      pattern: '^(auto|[1-9][0-9]*)$',
      ...cel({ rule: 'type(self) == string || self >= 1', message: 'threads must be auto or at least 1' }),
    }),
    args: Type.Array(Type.String({ description: 'One argument.', maxLength: 1024 }), {
      description: 'Extra arguments for kubellama-runtime serve.',
      maxItems: 64,
      default: [],
    }),
    env: Type.Array(EnvVar, {
      description:
        'Extra environment of the runtime container; a variable set here wins over the injected OTEL_* one.',
      maxItems: 128,
      default: [],
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    }),
  },
  {
    description: 'How kubellama-runtime serves the model.',
    default: {},
  },
);

const Telemetry = Type.Object(
  {
    endpoint: Type.Optional(
      Type.String({
        description:
          "OTLP/gRPC endpoint (http://HOST:PORT). Empty: the operator's default (the kubellama collector).",
        maxLength: 512,
        // Empty, or an OTLP/gRPC endpoint.
        pattern: `^$|${OTLP_GRPC_ENDPOINT_PATTERN}`,
      }),
    ),
    samplingRatio: Type.Optional(
      Type.Number({
        description:
          "Fraction of new traces sampled (parentbased_traceidratio), 0 to 1. Unset: the operator's default.",
        minimum: 0,
        maximum: 1,
      }),
    ),
    detail: StringEnum(TRACE_DETAILS, {
      description: 'request: one span tree per request; token: also per-token timing events on llama.decode.',
      default: 'request',
    }),
    captureContent: Type.Boolean({
      description: 'Record prompts and completions in telemetry. They never leave the pod unless true.',
      default: false,
    }),
  },
  { description: 'OpenTelemetry settings injected as OTEL_* variables.', default: {} },
);

const Scheduling = Type.Object(
  {
    nodeSelector: Type.Optional(
      StringMap('Node labels a pod must match, merged with the GPU product selector.'),
    ),
    tolerations: Type.Optional(
      Type.Array(OpaqueObject<V1Toleration>('A toleration (as in a Pod).'), {
        description: 'Tolerations, added to the toleration for the GPU taint.',
        maxItems: 32,
      }),
    ),
    affinity: Type.Optional(OpaqueObject('Pod affinity and anti-affinity (as in a Pod).')),
    priorityClassName: Type.Optional(
      Type.String({ description: 'PriorityClass of the pods.', maxLength: 253 }),
    ),
    runtimeClassName: Type.Optional(
      Type.String({
        description: 'RuntimeClass of the pods, e.g. nvidia for the NVIDIA container runtime.',
        maxLength: 253,
      }),
    ),
  },
  { description: 'Where the pods may run.' },
);

export const ROLLOUT_STRATEGIES = ['RollingUpdate', 'Recreate'] as const;

// A percentage or a count, as a Deployment's rollingUpdate takes it.
const SURGE_PATTERN = '^(100|[1-9]?[0-9])%$|^[0-9]+$';
/** The integer form of maxSurge/maxUnavailable: the Deployment's IntOrString is an int32 (2147483648
 * made server-side apply fail with a 500, found by the spec fuzzer). */
const POD_COUNT_BOUNDS = { minimum: 0, maximum: 2 ** 31 - 1 };

const Rollout = Type.Object(
  {
    strategy: Type.Optional(
      StringEnum(ROLLOUT_STRATEGIES, {
        description:
          "The Deployment's strategy. Unset: RollingUpdate — for GPU models with maxSurge 0 and maxUnavailable 1, so a rollout never asks for more GPUs than the model holds (a surge pod would wait forever on a full GPU node).",
      }),
    ),
    maxSurge: Type.Optional(
      IntOrString({
        description:
          'Pods above replicas during a RollingUpdate (a count or a percentage). Unset: 0 for GPU models, else 25%.',
        pattern: SURGE_PATTERN,
        ...POD_COUNT_BOUNDS,
      }),
    ),
    maxUnavailable: Type.Optional(
      IntOrString({
        description:
          'Pods that may be unavailable during a RollingUpdate. Unset: 1 for GPU models, else 25%.',
        pattern: SURGE_PATTERN,
        ...POD_COUNT_BOUNDS,
      }),
    ),
  },
  {
    description: 'How a change of the spec replaces the pods.',
    ...cel({
      rule: "!has(self.strategy) || self.strategy == 'RollingUpdate' || (!has(self.maxSurge) && !has(self.maxUnavailable))",
      message: 'maxSurge and maxUnavailable apply to the RollingUpdate strategy only',
    }),
  },
);

export const AUTOSCALING_ENGINES = ['hpa', 'keda'] as const;
export type AutoscalingEngine = (typeof AUTOSCALING_ENGINES)[number];

const Autoscaling = Type.Object(
  {
    minReplicas: Type.Integer({
      description:
        'Fewest serving pods. At least 1: the load metric comes from the pods, so with none nothing would scale up again.',
      minimum: 1,
      maximum: 1000,
      default: 1,
    }),
    maxReplicas: Type.Integer({ description: 'Most serving pods.', minimum: 1, maximum: 1000 }),
    targetRequestsPerReplica: Type.Integer({
      description: `Requests in flight plus queued per pod the autoscaler aims at (the runtime's ${RUNTIME_METRICS.requestsLoad.prometheusName} gauge). spec.runtime.parallel scales out once every sequence is busy; less scales out earlier.`,
      minimum: 1,
      maximum: 10000,
      default: 4,
    }),
    scaleDownDelaySeconds: Type.Integer({
      description:
        'How long the load must stay lower before pods are removed (the HPA scale-down stabilization window).',
      minimum: 0,
      maximum: 3600,
      default: 300,
    }),
    engine: StringEnum(AUTOSCALING_ENGINES, {
      description:
        "hpa: an autoscaling/v2 HorizontalPodAutoscaler on a Pods metric (served by prometheus-adapter); keda: a KEDA ScaledObject with a Prometheus trigger (needs KEDA installed). Either scales the model's Deployment.",
      default: 'hpa',
    }),
  },
  {
    description:
      "Scale the serving pods on load (requests in flight + queued per pod). The operator creates and owns the autoscaler and leaves the Deployment's replicas to it; spec.replicas must then stay at its default (1).",
    ...cel({
      rule: 'self.minReplicas <= self.maxReplicas',
      message: 'minReplicas must be less than or equal to maxReplicas',
      fieldPath: '.minReplicas',
    }),
  },
);

export const LlamaModelSpecSchema = Type.Object(
  {
    model: Model,
    replicas: Type.Optional(
      Type.Integer({
        description:
          'Number of serving pods (the scale subresource: kubectl scale sets it). With spec.autoscaling the autoscaler decides (status.desiredReplicas) and this stays 1.',
        minimum: 0,
        maximum: 1000,
        default: DEFAULT_REPLICAS,
      }),
    ),
    autoscaling: Type.Optional(Autoscaling),
    gpu: Gpu,
    resources: Type.Optional(Resources),
    runtime: Runtime,
    telemetry: Telemetry,
    scheduling: Type.Optional(Scheduling),
    rollout: Type.Optional(Rollout),
  },
  {
    description: 'The model to serve and how.',
    ...cel({
      // replicas keeps its default (so the scale subresource reads 1, not 0, for a plain model), so
      // "not set together" is "left at the default": kubectl scale cannot fight the autoscaler.
      rule: `!has(self.autoscaling) || self.replicas == ${DEFAULT_REPLICAS}`,
      message:
        'replicas must not be set together with autoscaling: the autoscaler sets the replicas (remove spec.replicas, or spec.autoscaling to scale by hand)',
      fieldPath: '.replicas',
    }),
  },
);

export const ConditionSchema = Type.Object(
  {
    type: Type.String({ description: 'Ready, Progressing or Degraded.', maxLength: 316 }),
    status: StringEnum(['True', 'False', 'Unknown'] as const, { description: 'True, False or Unknown.' }),
    reason: Type.String({ description: 'A CamelCase reason for the last transition.', maxLength: 1024 }),
    message: Type.String({ description: 'Human-readable details.', maxLength: 32768 }),
    lastTransitionTime: Type.String({ description: 'When status last changed.', format: 'date-time' }),
    observedGeneration: Type.Optional(
      Type.Integer({ description: 'The .metadata.generation the condition was set for.', minimum: 0 }),
    ),
  },
  { description: 'One aspect of the current state.' },
);

const ObservedAt = Type.String({ description: 'When the operator read it.', format: 'date-time' });

export const DownloadStatusSchema = Type.Object(
  {
    bytes: Type.Integer({
      description: 'Bytes downloaded so far, summed over the pods downloading.',
      minimum: 0,
    }),
    totalBytes: Type.Integer({
      description: 'Size of the download, summed over the pods downloading (0 while unknown).',
      minimum: 0,
    }),
    percent: Type.Integer({ description: 'bytes / totalBytes, 0 to 100.', minimum: 0, maximum: 100 }),
    pods: Type.Integer({ description: 'Pods whose pull init container is downloading.', minimum: 0 }),
    observedAt: ObservedAt,
  },
  {
    description:
      "The model download in progress, read every few seconds from the pull init containers' progress log lines; absent once no pod downloads.",
  },
);

export const PerformanceStatusSchema = Type.Object(
  {
    tokensPerSecond: Type.Number({
      description: 'Tokens generated per second over the window, all ready replicas together.',
      minimum: 0,
    }),
    ttftP50Seconds: Type.Optional(
      Type.Number({
        description:
          'Median time to first token (queueing included) of the requests in the window, from the runtime histogram; absent when none.',
        minimum: 0,
      }),
    ),
    ttftP95Seconds: Type.Optional(
      Type.Number({
        description: '95th percentile time to first token of the requests in the window; absent when none.',
        minimum: 0,
      }),
    ),
    requestsInFlight: Type.Integer({
      description: 'Requests holding a sequence at the last scrape, all ready replicas together.',
      minimum: 0,
    }),
    requestsQueued: Type.Integer({
      description: 'Requests waiting for a sequence at the last scrape, all ready replicas together.',
      minimum: 0,
    }),
    replicasScraped: Type.Integer({
      description: 'Ready replicas whose /metrics were read at both ends of the window.',
      minimum: 0,
    }),
    windowSeconds: Type.Number({ description: 'Length of the window between the two scrapes.', minimum: 0 }),
    observedAt: ObservedAt,
  },
  {
    description:
      "Live performance, from the ready pods' /metrics read through the API server's pod proxy every --performance-interval-seconds: written only when a value changed.",
  },
);

export const LlamaModelStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(
      Type.Integer({ description: 'The .metadata.generation this status describes.' }),
    ),
    phase: Type.Optional(
      StringEnum(PHASES, { description: 'Pending, Downloading, Loading, Ready or Failed.' }),
    ),
    replicas: Type.Optional(
      Type.Integer({ description: 'Pods that exist (the scale subresource reads it).' }),
    ),
    desiredReplicas: Type.Optional(
      Type.Integer({
        description:
          'Pods the model should have: spec.replicas, or what the autoscaler set on the Deployment.',
      }),
    ),
    readyReplicas: Type.Optional(Type.Integer({ description: 'Pods whose model is loaded and serving.' })),
    selector: Type.Optional(
      Type.String({ description: 'Label selector of the pods (for the scale subresource).' }),
    ),
    endpoint: Type.Optional(Type.String({ description: 'OpenAI-compatible base URL inside the cluster.' })),
    kvCacheTokens: Type.Optional(
      Type.Integer({
        description:
          'KV cache cells (tokens) each replica allocates: spec.runtime.contextSize × spec.runtime.parallel.',
      }),
    ),
    download: Type.Optional(DownloadStatusSchema),
    performance: Type.Optional(PerformanceStatusSchema),
    conditions: Type.Optional(
      Type.Array(ConditionSchema, {
        description: 'Ready, Progressing and Degraded.',
        maxItems: 8,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
      }),
    ),
  },
  { description: 'What the operator observed.' },
);

export const LlamaModelSchema = Type.Object(
  {
    apiVersion: Type.Optional(Type.String({ description: 'inference.kubellama.dev/v1alpha1' })),
    kind: Type.Optional(Type.String({ description: 'LlamaModel' })),
    metadata: Type.Optional(Type.Object({}, { description: 'Standard object metadata.' })),
    spec: LlamaModelSpecSchema,
    status: Type.Optional(LlamaModelStatusSchema),
  },
  {
    description: 'A GGUF model served by llama.cpp, with OpenTelemetry wired in.',
    ...cel({
      // The Service takes the model's name, so it must be a DNS-1035 label.
      rule: "self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$') && size(self.metadata.name) <= 52",
      message:
        'metadata.name must start with a letter, use only a-z, 0-9 and "-", and have at most 52 characters',
    }),
  },
);

export type Condition = Static<typeof ConditionSchema>;
export type LlamaModelStatus = Static<typeof LlamaModelStatusSchema>;
export type DownloadStatus = Static<typeof DownloadStatusSchema>;
export type PerformanceStatus = Static<typeof PerformanceStatusSchema>;
export type LlamaModelSpec = Omit<Static<typeof LlamaModelSpecSchema>, 'runtime'> & {
  runtime: Omit<Static<typeof LlamaModelSpecSchema>['runtime'], 'env'> & { env: V1EnvVar[] };
};

export interface LlamaModel {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec: LlamaModelSpec;
  status?: LlamaModelStatus;
}
