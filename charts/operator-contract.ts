// The contract between the operator install chart and the operator's entry point (operator/config.ts
// reads these): the port it serves probes and metrics on, and the environment the Deployment sets.

/** The operator's one HTTP port: `/healthz`, `/readyz` and `/metrics`. */
export const OPERATOR_PORT = 8081;

export const OPERATOR_PATHS = {
  health: '/healthz',
  ready: '/readyz',
  metrics: '/metrics',
} as const;

/** Environment variables the operator reads (the OTEL_* ones are the standard SDK variables). */
export const OPERATOR_ENV = {
  /** The namespace it runs in: where its leader-election Lease lives (downward API). */
  podNamespace: 'POD_NAMESPACE',
  /** Its pod name: the Lease holder identity (downward API). */
  podName: 'POD_NAME',
  /** The runtime image CPU model pods get unless a LlamaModel sets `spec.runtime.image`. */
  runtimeImage: 'KUBELLAMA_RUNTIME_IMAGE',
  /** The CUDA runtime image of model pods with `spec.gpu.count` above 0, unless `spec.runtime.image` is set. */
  runtimeCudaImage: 'KUBELLAMA_RUNTIME_CUDA_IMAGE',
  /** The OTLP endpoint injected into model pods unless a LlamaModel sets `spec.telemetry.endpoint`. */
  collectorEndpoint: 'KUBELLAMA_COLLECTOR_ENDPOINT',
  /** Default trace sampling ratio of model pods. */
  samplingRatio: 'KUBELLAMA_SAMPLING_RATIO',
  /** Comma-separated namespaces to watch; empty: all. */
  watchNamespaces: 'WATCH_NAMESPACES',
  /** The port of /healthz, /readyz and /metrics. */
  healthPort: 'KUBELLAMA_HEALTH_PORT',
} as const;
