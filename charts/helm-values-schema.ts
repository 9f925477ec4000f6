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

const quantities: Schema = {
  type: 'object',
  additionalProperties: { type: ['string', 'number'], pattern: QUANTITY_PATTERN },
};
const resources = object({ requests: quantities, limits: quantities, claims: { type: 'array' } });
const pullPolicy: Schema = { type: 'string', enum: ['', 'Always', 'IfNotPresent', 'Never'] };
const enabled: Schema = { type: 'boolean' };

/** What every workload of the chart takes: pull policy and scheduling (Kubernetes' own shapes). */
const pod: Record<string, Schema> = {
  imagePullPolicy: pullPolicy,
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
    namespace: object({ create: { type: 'boolean' } }),
    imageRegistry: { type: 'string' },
    images: object(
      Object.fromEntries(Object.keys(IMAGES).map((key) => [key, { type: 'string', minLength: 1 }])),
    ),
    operator: object({
      enabled,
      replicaCount: { type: 'integer', minimum: 1, maximum: 10 },
      resources,
      ...pod,
      podAnnotations: { type: 'object', additionalProperties: { type: 'string' } },
      logLevel: { type: 'string', enum: ['', 'debug', 'info', 'warn', 'error'] },
      otlpEndpoint: { type: 'string', anyOf: [{ maxLength: 0 }, { pattern: OTLP_GRPC_ENDPOINT_PATTERN }] },
      samplingRatio: { type: 'number', minimum: 0, maximum: 1 },
      watchNamespaces: {
        type: 'array',
        items: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
      },
    }),
    otelCollector: object({
      enabled,
      mode: { type: 'string', enum: ['gateway', 'daemonset'] },
      replicas: { type: 'integer', minimum: 1, maximum: 100 },
      resources,
      ...pod,
    }),
    jaeger: object({
      enabled,
      resources,
      ...pod,
      storage: object({
        type: { type: 'string', enum: ['memory', 'badger'] },
        memory: object({ maxTraces: { type: 'integer', minimum: 1 } }),
        badger: object({
          size: { type: 'string', pattern: QUANTITY_PATTERN },
          storageClassName: { type: 'string' },
          ttl: { type: 'string', pattern: JAEGER_TTL_PATTERN },
        }),
      }),
    }),
    dashboards: object({ enabled }),
    monitoring: object({ enabled }),
  }),
};
