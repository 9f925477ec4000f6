// RED metrics (rate, errors, duration) computed from spans by the collector's spanmetrics connector,
// with exemplars that link a latency bucket to a trace. The names are declared here once: the
// collector config, the Grafana dashboard and the tests use them.
import { TRACE_ATTRIBUTES } from './telemetry-contract.js';

/**
 * The connector's metric namespace. `traces.span.metrics` is the connector's own default and what
 * Jaeger's Monitor tab (SPM) queries by default, so a Prometheus that scrapes the collector can
 * back SPM without renaming anything.
 */
export const SPAN_METRICS_NAMESPACE = 'traces.span.metrics';

/**
 * Series names on the collector's prometheus exporter (no unit suffixes: see collector-config.ts).
 * `calls` is a counter: an OpenMetrics scrape (the one that carries exemplars) adds `_total` to it,
 * a text scrape does not, so dashboards count requests from `duration`'s `_count` instead.
 */
export const SPAN_METRICS = {
  calls: 'traces_span_metrics_calls',
  duration: 'traces_span_metrics_duration',
} as const;

/** Span attributes that become metric dimensions, besides the connector's own four. */
export const SPAN_METRICS_DIMENSIONS = [
  TRACE_ATTRIBUTES.requestModel,
  TRACE_ATTRIBUTES.operationName,
] as const;

/** Prometheus label names of every dimension: the connector's four, then ours. */
export const SPAN_METRICS_LABELS = {
  service: 'service_name',
  span: 'span_name',
  kind: 'span_kind',
  status: 'status_code',
  model: 'gen_ai_request_model',
  operation: 'gen_ai_operation_name',
} as const;

/**
 * Histogram bounds in seconds: from a 5 ms decode step to an 80 s generation (the GenAI conventions'
 * request-duration buckets, one lower bound added for the short phase spans).
 */
export const SPAN_METRICS_BUCKETS_SECONDS = [
  0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
] as const;

export interface SpanMetricsOptions {
  /** How often the connector emits its cumulative metrics. @default 15 */
  readonly flushIntervalSeconds?: number;
}

export function spanMetricsConnector(options: SpanMetricsOptions = {}): Record<string, unknown> {
  return {
    namespace: SPAN_METRICS_NAMESPACE,
    histogram: {
      unit: 's',
      // The connector takes durations; "0.005s" is how Go's time.ParseDuration reads 5 ms.
      explicit: { buckets: SPAN_METRICS_BUCKETS_SECONDS.map((s) => `${s}s`) },
    },
    dimensions: SPAN_METRICS_DIMENSIONS.map((name) => ({ name })),
    exemplars: { enabled: true, max_per_data_point: 5 },
    // Keep the pod's k8s.* resource attributes, so the exporter's resource labels apply to these too.
    add_resource_attributes: true,
    metrics_flush_interval: `${options.flushIntervalSeconds ?? 15}s`,
    // A pod that is gone stops producing series after this long, instead of being reported forever.
    metrics_expiration: '10m',
    aggregation_cardinality_limit: 5000,
  };
}
