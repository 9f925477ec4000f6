// Every container image kubellama deploys, pinned by version in this one place.

export const KUBELLAMA_VERSION = '0.1.0';

export const IMAGES = {
  runtime: `ghcr.io/kubellama/runtime:${KUBELLAMA_VERSION}`,
  operator: `ghcr.io/kubellama/operator:${KUBELLAMA_VERSION}`,
  /** Our OpenTelemetry Collector Builder distribution (test/tools/go/otelcol/manifest.yaml). */
  collector: 'ghcr.io/kubellama/otelcol:0.165.0',
  jaeger: 'docker.io/jaegertracing/jaeger:2.13.0',
} as const;

/** The namespace the install charts put the operator, collector and Jaeger in. */
export const SYSTEM_NAMESPACE = 'kubellama-system';

/** The collector Service every model pod exports to unless the LlamaModel or operator says otherwise. */
export const COLLECTOR_SERVICE = 'otel-collector';
export const DEFAULT_OTLP_ENDPOINT = `http://${COLLECTOR_SERVICE}.${SYSTEM_NAMESPACE}.svc:4317`;
