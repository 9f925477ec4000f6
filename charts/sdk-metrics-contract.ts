// The OpenTelemetry trace SDK's own metrics (the semantic conventions' "SDK metrics") that the
// runtime's batch span processor records on /metrics: runtime/telemetry/sdk.ts hands it the meter
// provider and the SDK creates the instruments (not runtime/telemetry/metrics.ts, so these are not in
// metrics-contract.ts, whose entries metrics.ts creates). A span that never reached the collector is
// counted in `spansProcessed` with an `error.type`: `queue_full` (the bounded queue was full, dropped
// at once) or the export error's name (the exporter gave up after its retries).
import type { RuntimeMetric } from './metrics-contract.js';

export const SDK_SPAN_PROCESSOR_METRICS = {
  spansProcessed: {
    otelName: 'otel.sdk.processor.span.processed',
    prometheusName: 'otel_sdk_processor_span_processed_total',
    type: 'counter',
    unit: '{span}',
    description: 'Spans the batch span processor finished with, exported or (error.type set) lost',
  },
  queueSize: {
    otelName: 'otel.sdk.processor.span.queue.size',
    prometheusName: 'otel_sdk_processor_span_queue_size',
    type: 'gauge',
    unit: '{span}',
    description: 'Spans waiting for export',
  },
  queueCapacity: {
    otelName: 'otel.sdk.processor.span.queue.capacity',
    prometheusName: 'otel_sdk_processor_span_queue_capacity',
    type: 'gauge',
    unit: '{span}',
    description: 'Spans the queue holds at most (OTEL_BSP_MAX_QUEUE_SIZE)',
  },
} as const satisfies Record<string, RuntimeMetric>;

/** The label of `spansProcessed` that names why spans were lost; absent on exported ones. */
export const SDK_ERROR_TYPE_LABEL = 'error_type';
/** Its value for spans dropped because the queue was full. */
export const SDK_QUEUE_FULL = 'queue_full';
