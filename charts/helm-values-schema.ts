// values.schema.json of the Helm chart: Helm checks every install, upgrade, template and lint
// against it, so a wrong type or an unknown key is refused with an error naming the key
// (e.g. `operator.replicaCount: Invalid type. Expected: integer, given: string`).
import { IMAGES } from './images.js';
import { JAEGER_TTL_PATTERN } from './jaeger-config.js';
import { OTLP_GRPC_ENDPOINT_PATTERN, QUANTITY_PATTERN } from './validate.js';

type Schema = Record<string, unknown>;

const object = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({
  type: 'object',
  additionalProperties: false,
  properties,
  ...extra,
});

/** A schema with its description: also the comment above the key in values.yaml. */
const doc = (description: string, schema: Schema): Schema => ({ description, ...schema });

const quantities: Schema = {
  type: 'object',
  additionalProperties: { type: ['string', 'number'], pattern: QUANTITY_PATTERN },
};
const resources = doc(
  'Container resources. Helm merges this map into the default: `limits: null` drops the default limits.',
  object({ requests: quantities, limits: quantities, claims: { type: 'array' } }),
);
const enabled: Schema = doc('Install this part.', { type: 'boolean' });

/** What every workload of the chart takes: pull policy and scheduling (Kubernetes' own shapes). */
const pod: Record<string, Schema> = {
  imagePullPolicy: doc('Always, IfNotPresent or Never; empty: the Kubernetes default.', {
    type: 'string',
    enum: ['', 'Always', 'IfNotPresent', 'Never'],
  }),
  nodeSelector: { type: 'object', additionalProperties: { type: 'string' } },
  tolerations: { type: 'array', items: { type: 'object' } },
  affinity: { type: 'object' },
};

export const HELM_VALUES_SCHEMA: Schema = {
  $schema: 'https://json-schema.org/draft-07/schema#',
  title: 'kubellama Helm chart values',
  ...object({
    // Helm passes `global` to every chart; nothing here reads it.
    global: { type: 'object' },
    namespace: object({
      create: doc(
        'Create the release namespace (with the restricted Pod Security labels). Off: pass --create-namespace to helm instead.',
        { type: 'boolean' },
      ),
    }),
    imageRegistry: doc(
      "Moves kubellama's own images (runtime, runtimeCuda, operator) to <imageRegistry>/<repository>:<tag>, unless images.<key> is changed.",
      { type: 'string' },
    ),
    images: doc(
      'Every image, as a full reference.',
      object(Object.fromEntries(Object.keys(IMAGES).map((key) => [key, { type: 'string', minLength: 1 }]))),
    ),
    operator: object({
      enabled,
      replicaCount: doc('Operator pods; all but the leader wait as leader-election standbys.', {
        type: 'integer',
        minimum: 1,
        maximum: 10,
      }),
      resources,
      ...pod,
      podAnnotations: { type: 'object', additionalProperties: { type: 'string' } },
      logLevel: doc('debug, info, warn or error; empty: info.', {
        type: 'string',
        enum: ['', 'debug', 'info', 'warn', 'error'],
      }),
      otlpEndpoint: doc(
        "OTLP/gRPC endpoint of the operator's traces and the default of model pods; empty: this release's collector.",
        { type: 'string', anyOf: [{ maxLength: 0 }, { pattern: OTLP_GRPC_ENDPOINT_PATTERN }] },
      ),
      samplingRatio: doc("Default trace sampling ratio of model pods (a model's spec.telemetry wins).", {
        type: 'number',
        minimum: 0,
        maximum: 1,
      }),
      watchNamespaces: {
        description: 'Only reconcile LlamaModels in these namespaces; empty: all.',
        type: 'array',
        items: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
      },
      extraArgs: doc('More operator flags (kubellama-operator --help), e.g. --keda-prometheus-address=URL.', {
        type: 'array',
        items: { type: 'string' },
      }),
    }),
    otelCollector: object({
      enabled,
      mode: doc(
        'gateway: one Deployment for the cluster; daemonset: one collector per node behind the same node-local Service (tail sampling then decides per node).',
        { type: 'string', enum: ['gateway', 'daemonset'] },
      ),
      replicas: doc('Gateway replicas (gateway mode).', { type: 'integer', minimum: 1, maximum: 100 }),
      resources,
      ...pod,
    }),
    jaeger: object({
      enabled,
      resources,
      ...pod,
      storage: object({
        type: doc('memory (lost on restart) or badger on a PersistentVolumeClaim.', {
          type: 'string',
          enum: ['memory', 'badger'],
        }),
        memory: object({ maxTraces: doc('Traces kept in memory.', { type: 'integer', minimum: 1 }) }),
        badger: object({
          size: doc('PVC size.', { type: 'string', pattern: QUANTITY_PATTERN }),
          storageClassName: doc("empty: the cluster's default StorageClass.", { type: 'string' }),
          ttl: doc('Retention, e.g. 72h.', { type: 'string', pattern: JAEGER_TTL_PATTERN }),
        }),
      }),
    }),
    dashboards: object({ enabled }),
    monitoring: object({
      enabled: doc('Prometheus Operator PodMonitor and ServiceMonitor (needs its CRDs).', {
        type: 'boolean',
      }),
    }),
  }),
};
