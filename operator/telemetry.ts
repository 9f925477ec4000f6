// The operator's own telemetry: traces of its reconciles over OTLP/gRPC, and Prometheus metrics
// (reconcile outcomes and durations, time queued, API calls, queue depth, leadership) served on the
// health port. The trace SDK and its gRPC exporter are imported only when tracing is on: with
// --trace-endpoint none they are never loaded (their modules cost ~10 MiB of RSS).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { KUBELLAMA_VERSION } from '../charts/images.js';
import { type OtelEnv, resourceAttributesFromEnv } from '../lib/otel-resource.js';
import type { ReconcileObserver } from './kube/controller.js';
import type { RequestObserver } from './kube/kube-client.js';
import { resourceOf } from './kube/kube-client.js';

export const SERVICE_NAME = 'kubellama-operator';

export interface OperatorTelemetry {
  readonly observeReconcile: ReconcileObserver;
  /** Every API call the operator makes (client-go's rest_client_requests_total and duration). */
  readonly observeRequest: RequestObserver;
  setLeader(leading: boolean): void;
  setQueueDepth(read: () => number): void;
  handleMetrics(request: IncomingMessage, response: ServerResponse): void;
  shutdown(): Promise<void>;
}

const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export async function startTelemetry(
  traceEndpoint: string,
  env: OtelEnv = process.env,
): Promise<OperatorTelemetry> {
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, as the runtime reads them (lib/otel-resource.ts).
  const resource = resourceFromAttributes(
    resourceAttributesFromEnv(env, { serviceName: SERVICE_NAME, serviceVersion: KUBELLAMA_VERSION }),
  );
  let tracerProvider: { shutdown(): Promise<void> } | undefined;
  if (traceEndpoint !== 'none') {
    const [{ NodeTracerProvider }, { BatchSpanProcessor }, { OTLPTraceExporter }, { samplerFromEnv }] =
      await Promise.all([
        import('@opentelemetry/sdk-trace-node'),
        import('@opentelemetry/sdk-trace-base'),
        import('@opentelemetry/exporter-trace-otlp-grpc'),
        import('../lib/otel-sampler.js'),
      ]);
    const provider = new NodeTracerProvider({
      resource,
      sampler: samplerFromEnv(env),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: traceEndpoint }))],
    });
    provider.register();
    tracerProvider = provider;
  }

  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ resource, readers: [prometheus] });
  metrics.setGlobalMeterProvider(meterProvider);
  const meter = meterProvider.getMeter(SERVICE_NAME);
  const reconciles = meter.createCounter('kubellama_operator_reconcile_total', {
    description: 'Reconciles by outcome (success, requeue, error, terminal_error).',
  });
  const duration = meter.createHistogram('kubellama_operator_reconcile_duration_seconds', {
    description: 'Time one reconcile took.',
    unit: 's',
    advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
  });
  const queued = meter.createHistogram('kubellama_operator_workqueue_wait_seconds', {
    description: 'Time a key waited in the work queue before a worker took it.',
    unit: 's',
    advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
  });
  const requests = meter.createCounter('kubellama_operator_kube_requests_total', {
    description: 'API server requests by verb, resource and HTTP status code.',
  });
  const throttled = meter.createCounter('kubellama_operator_kube_throttled_seconds', {
    description: 'Time requests waited for the client-side rate limit (--kube-api-qps, --kube-api-burst).',
    unit: 's',
  });
  const requestDuration = meter.createHistogram('kubellama_operator_kube_request_duration_seconds', {
    description: 'Time from sending an API request to its whole answer (rate limit wait excluded).',
    unit: 's',
    advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
  });
  const leader = meter.createObservableGauge('kubellama_operator_leader', {
    description: '1 while this instance holds the leader Lease.',
  });
  const depth = meter.createObservableGauge('kubellama_operator_workqueue_depth', {
    description: 'Keys waiting in the work queue.',
  });
  let leading = false;
  let readDepth = () => 0;
  leader.addCallback((result) => result.observe(leading ? 1 : 0));
  depth.addCallback((result) => result.observe(readDepth()));

  return {
    observeReconcile: ({ outcome, durationMs, queuedMs }) => {
      reconciles.add(1, { outcome });
      duration.record(durationMs / 1000, { outcome });
      queued.record(queuedMs / 1000);
    },
    observeRequest: (method, path, status, durationMs, throttledMs) => {
      const resource = resourceOf(path);
      requests.add(1, { verb: method, resource, code: String(status) });
      requestDuration.record(durationMs / 1000, { verb: method, resource });
      if (throttledMs > 0) throttled.add(throttledMs / 1000);
    },
    setLeader: (value) => {
      leading = value;
    },
    setQueueDepth: (read) => {
      readDepth = read;
    },
    handleMetrics: (request, response) => prometheus.getMetricsRequestHandler(request, response),
    shutdown: async () => {
      await Promise.allSettled([tracerProvider?.shutdown(), meterProvider.shutdown()]);
    },
  };
}
