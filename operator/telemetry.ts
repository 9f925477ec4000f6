// The operator's own telemetry: traces of its reconciles over OTLP/gRPC, and Prometheus metrics
// (reconcile outcomes and durations, queue depth, leadership) served on the health port.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { KUBELLAMA_VERSION } from '../charts/images.js';
import type { ReconcileObserver } from './controller/reconcile.js';

export const SERVICE_NAME = 'kubellama-operator';

export interface OperatorTelemetry {
  readonly observeReconcile: ReconcileObserver;
  setLeader(leading: boolean): void;
  setQueueDepth(read: () => number): void;
  handleMetrics(request: IncomingMessage, response: ServerResponse): void;
  shutdown(): Promise<void>;
}

export function startTelemetry(traceEndpoint: string): OperatorTelemetry {
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: SERVICE_NAME,
    [ATTR_SERVICE_VERSION]: KUBELLAMA_VERSION,
  });
  const tracerProvider =
    traceEndpoint === 'none'
      ? undefined
      : new NodeTracerProvider({
          resource,
          spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: traceEndpoint }))],
        });
  tracerProvider?.register();

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
    advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] },
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
    observeReconcile: ({ outcome, durationMs }) => {
      reconciles.add(1, { outcome });
      duration.record(durationMs / 1000, { outcome });
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
