// The OpenTelemetry Collector configuration, as a pure function: the chart renders it with in-cluster
// listeners, and tests render the same pipeline with loopback ports and run the real collector on it.
//
// Gateway pipelines:
//   traces          otlp → memory_limiter, k8s_attributes, resource → spanmetrics + forward/sampling
//   traces/sampled  forward/sampling → tail_sampling, batch → Jaeger (only with a ratio below 1;
//                   otherwise traces go from `traces` through batch to Jaeger)
//   metrics         otlp → memory_limiter, k8s_attributes, resource, batch → prometheus
//   metrics/spans   spanmetrics → batch → prometheus
// so RED metrics count every span, sampled or not. The agent forwards both signals to the gateway.
import { type SpanMetricsOptions, spanMetricsConnector } from './span-metrics.js';
import { type TailSamplingOptions, tailSamplingProcessor } from './tail-sampling.js';
import { LABEL_KEYS } from './workload-contract.js';

export type CollectorMode = 'gateway' | 'agent';

export interface CollectorListenPorts {
  readonly otlpGrpc: number;
  readonly otlpHttp: number;
  /** health_check extension (probes). */
  readonly health: number;
  /** prometheus exporter (`/metrics`); gateway only. */
  readonly prometheus: number;
}

/** The in-cluster ports (the upstream defaults). */
export const COLLECTOR_PORTS: CollectorListenPorts = {
  otlpGrpc: 4317,
  otlpHttp: 4318,
  health: 13133,
  prometheus: 8889,
};

/** The collector's own metrics (Prometheus, `/metrics`); a fixed upstream default. */
export const COLLECTOR_SELF_METRICS_PORT = 8888;

export interface K8sAttributesOptions {
  /**
   * How k8sattributes reaches the API server: `serviceAccount` in a pod, `kubeConfig` (the
   * KUBECONFIG file) outside a cluster, e.g. in tests.
   * @default 'serviceAccount'
   */
  readonly authType?: 'serviceAccount' | 'kubeConfig';
  /**
   * Only watch pods on this node (agent mode): the env variable holding the node name.
   * @default undefined (all pods: gateway mode)
   */
  readonly nodeFromEnvVar?: string;
  /** Hold start-up until the pod cache has synced (spans sent right after start get metadata too). @default false */
  readonly waitForMetadata?: boolean;
}

export interface CollectorConfigOptions {
  /** @default 'gateway' */
  readonly mode?: CollectorMode;
  /** Address every listener binds. @default '0.0.0.0' */
  readonly listenHost?: string;
  /** @default COLLECTOR_PORTS */
  readonly ports?: CollectorListenPorts;
  /**
   * OTLP/gRPC endpoint traces go to (gateway: Jaeger; agent: the gateway, which also gets metrics),
   * as `http://host:port` or `host:port`; TLS is not used.
   */
  readonly exportEndpoint: string;
  /** k8sattributes settings, or `false` to leave the processor out (only where no API server exists). @default {} */
  readonly k8sAttributes?: K8sAttributesOptions | false;
  /** Resource attributes the resource processor upserts, e.g. `{ 'k8s.cluster.name': 'prod' }`. @default {} */
  readonly resourceAttributes?: Readonly<Record<string, string>>;
  /** memory_limiter share of the container memory limit, in percent. @default { limit: 80, spike: 20 } */
  readonly memoryLimitPercentage?: { readonly limit: number; readonly spike: number };
  /** The collector's own metrics on this port; `undefined` turns them off (e.g. tests). @default undefined */
  readonly selfMetricsPort?: number;
  /**
   * Gateway only: tail sampling before Jaeger, or `false` for none. At ratio 1 (the default) every
   * trace is kept and the stage is left out. @default {}
   */
  readonly tailSampling?: TailSamplingOptions | false;
  /** Gateway only: RED metrics from spans, with exemplars, or `false` for none. @default {} */
  readonly spanMetrics?: SpanMetricsOptions | false;
}

/** Metadata k8s_attributes adds to every span and metric from a pod. */
export const K8S_METADATA = [
  'k8s.namespace.name',
  'k8s.pod.name',
  'k8s.pod.uid',
  'k8s.pod.start_time',
  'k8s.node.name',
  'k8s.deployment.name',
  'k8s.replicaset.name',
] as const;

/** Pod labels copied onto resources as `k8s.pod.label.<key>`. */
export const K8S_POD_LABELS = [LABEL_KEYS.name, LABEL_KEYS.instance] as const;

/** Resource attributes the prometheus exporter turns into labels (a bounded set: cardinality). */
export const PROMETHEUS_RESOURCE_LABELS = [
  'k8s.cluster.name',
  'k8s.namespace.name',
  'k8s.deployment.name',
  'k8s.pod.name',
  'k8s.node.name',
] as const;

function hostPort(endpoint: string): string {
  const stripped = endpoint.replace(/^https?:\/\//, '');
  if (!/^[^/\s:]+:\d+$/.test(stripped)) {
    throw new Error(`exportEndpoint: "${endpoint}" is not host:port. Write it like "http://jaeger:4317"`);
  }
  return stripped;
}

function k8sAttributesProcessor(options: K8sAttributesOptions): Record<string, unknown> {
  return {
    auth_type: options.authType ?? 'serviceAccount',
    passthrough: false,
    ...(options.waitForMetadata ? { wait_for_metadata: true, wait_for_metadata_timeout: '30s' } : {}),
    ...(options.nodeFromEnvVar ? { filter: { node_from_env_var: options.nodeFromEnvVar } } : {}),
    extract: {
      metadata: [...K8S_METADATA],
      labels: K8S_POD_LABELS.map((key) => ({ tag_name: `k8s.pod.label.${key}`, key, from: 'pod' })),
    },
    // Model pods carry k8s.pod.uid (the operator injects it through OTEL_RESOURCE_ATTRIBUTES);
    // k8s.pod.ip is what a passthrough-mode agent sets; the connection address comes last
    // (behind an agent it is the agent's, not the pod's).
    pod_association: [
      { sources: [{ from: 'resource_attribute', name: 'k8s.pod.uid' }] },
      { sources: [{ from: 'resource_attribute', name: 'k8s.pod.ip' }] },
      { sources: [{ from: 'connection' }] },
    ],
  };
}

export function collectorConfig(options: CollectorConfigOptions): Record<string, unknown> {
  const mode = options.mode ?? 'gateway';
  const host = options.listenHost ?? '0.0.0.0';
  const ports = options.ports ?? COLLECTOR_PORTS;
  const memory = options.memoryLimitPercentage ?? { limit: 80, spike: 20 };
  if (!(memory.spike > 0 && memory.spike < memory.limit && memory.limit <= 100)) {
    throw new Error(
      `memoryLimitPercentage: spike ${memory.spike} and limit ${memory.limit} must satisfy 0 < spike < limit <= 100`,
    );
  }
  const k8s =
    options.k8sAttributes === false ? undefined : k8sAttributesProcessor(options.k8sAttributes ?? {});
  const resourceActions = Object.entries(options.resourceAttributes ?? {}).map(([key, value]) => ({
    key,
    value,
    action: 'upsert',
  }));

  const front: Record<string, unknown> = {
    // First, so that under memory pressure data is refused before any work is done on it.
    memory_limiter: {
      check_interval: '1s',
      limit_percentage: memory.limit,
      spike_limit_percentage: memory.spike,
    },
    ...(k8s ? { k8s_attributes: k8s } : {}),
    ...(resourceActions.length > 0 ? { resource: { attributes: resourceActions } } : {}),
  };
  const gateway = mode === 'gateway';
  const tailSampling =
    gateway && options.tailSampling !== false ? tailSamplingProcessor(options.tailSampling ?? {}) : undefined;
  const spanMetrics =
    gateway && options.spanMetrics !== false ? spanMetricsConnector(options.spanMetrics ?? {}) : undefined;
  const processors: Record<string, unknown> = {
    ...front,
    ...(tailSampling ? { tail_sampling: tailSampling } : {}),
    batch: { timeout: '200ms', send_batch_size: 1024, send_batch_max_size: 2048 },
  };
  const chain = [...Object.keys(front), 'batch'];

  const exportTo = hostPort(options.exportEndpoint);
  const exporters: Record<string, unknown> = gateway
    ? {
        'otlp_grpc/jaeger': { endpoint: exportTo, tls: { insecure: true } },
        prometheus: {
          endpoint: `${host}:${ports.prometheus}`,
          // These resource attributes become labels, so dashboards can filter by them.
          resource_constant_labels: { included: [...PROMETHEUS_RESOURCE_LABELS] },
          // The same names the runtime's own /metrics uses (no unit suffixes): one dashboard for both.
          translation_strategy: 'UnderscoreEscapingWithoutSuffixes',
          // Exemplars (trace and span id on a histogram bucket) exist only in OpenMetrics output,
          // which the exporter serves to scrapers that ask for it.
          enable_open_metrics: true,
        },
      }
    : { 'otlp_grpc/gateway': { endpoint: exportTo, tls: { insecure: true } } };
  const traceExporter = gateway ? 'otlp_grpc/jaeger' : 'otlp_grpc/gateway';
  const metricExporter = gateway ? 'prometheus' : 'otlp_grpc/gateway';

  const connectors: Record<string, unknown> = {
    ...(spanMetrics ? { spanmetrics: spanMetrics } : {}),
    ...(tailSampling ? { 'forward/sampling': {} } : {}),
  };
  const pipelines: Record<string, unknown> = {
    traces: {
      receivers: ['otlp'],
      processors: tailSampling ? Object.keys(front) : chain,
      exporters: [...(spanMetrics ? ['spanmetrics'] : []), tailSampling ? 'forward/sampling' : traceExporter],
    },
    ...(tailSampling
      ? {
          'traces/sampled': {
            receivers: ['forward/sampling'],
            processors: ['tail_sampling', 'batch'],
            exporters: [traceExporter],
          },
        }
      : {}),
    metrics: { receivers: ['otlp'], processors: chain, exporters: [metricExporter] },
    ...(spanMetrics
      ? {
          'metrics/spans': { receivers: ['spanmetrics'], processors: ['batch'], exporters: [metricExporter] },
        }
      : {}),
  };

  return {
    extensions: { health_check: { endpoint: `${host}:${ports.health}` } },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `${host}:${ports.otlpGrpc}` },
          http: { endpoint: `${host}:${ports.otlpHttp}` },
        },
      },
    },
    processors,
    ...(Object.keys(connectors).length > 0 ? { connectors } : {}),
    exporters,
    service: {
      extensions: ['health_check'],
      pipelines,
      telemetry:
        options.selfMetricsPort === undefined
          ? { metrics: { level: 'none' } }
          : {
              metrics: {
                level: 'normal',
                readers: [{ pull: { exporter: { prometheus: { host, port: options.selfMetricsPort } } } }],
              },
            },
    },
  };
}
