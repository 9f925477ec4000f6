// What a runtime's /metrics says about spans that never reached the collector: the trace SDK's
// batch span processor counts them with an error.type (charts/metrics-contract.ts,
// SDK_SPAN_PROCESSOR_METRICS), queue_full apart from failed exports.
import {
  SDK_ERROR_TYPE_LABEL,
  SDK_QUEUE_FULL,
  SDK_SPAN_PROCESSOR_METRICS,
} from '../../../charts/sdk-metrics-contract.js';
import { parseSamples } from '../../charts/helpers/open-metrics.js';

export interface SpanExportCounts {
  readonly exported: number;
  readonly droppedQueueFull: number;
  readonly failedExport: number;
  readonly queued: number;
  readonly capacity: number;
}

export function spanExportCounts(metricsText: string): SpanExportCounts {
  const samples = parseSamples(metricsText);
  const processed = samples.filter(
    (s) => s.name === SDK_SPAN_PROCESSOR_METRICS.spansProcessed.prometheusName,
  );
  const sum = (keep: (error: string | undefined) => boolean) =>
    processed.filter((s) => keep(s.labels[SDK_ERROR_TYPE_LABEL])).reduce((total, s) => total + s.value, 0);
  const gauge = (name: string) => samples.find((s) => s.name === name)?.value ?? Number.NaN;
  return {
    exported: sum((error) => error === undefined),
    droppedQueueFull: sum((error) => error === SDK_QUEUE_FULL),
    failedExport: sum((error) => error !== undefined && error !== SDK_QUEUE_FULL),
    queued: gauge(SDK_SPAN_PROCESSOR_METRICS.queueSize.prometheusName),
    capacity: gauge(SDK_SPAN_PROCESSOR_METRICS.queueCapacity.prometheusName),
  };
}
