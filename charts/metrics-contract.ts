// The contract between kubellama-runtime (which records these metrics: runtime/telemetry/metrics.ts
// creates every instrument from this table, name, unit and description) and what reads them (the
// Grafana dashboard, alerts, the collector's prometheus exporter). The OTel name maps to the
// Prometheus one as the OpenTelemetry JS Prometheus exporter does it: "." becomes "_", no unit
// suffix, and monotonic counters gain `_total` (ours already end in it — against OTel's naming
// advice — so the collector's prometheus exporter, which adds no suffixes, gives the very same names).
// gen_ai.server.* are the GenAI conventions'; llamacpp.* match llama.cpp server's own metrics.

export type RuntimeMetricType = 'histogram' | 'counter' | 'gauge';

export interface RuntimeMetric {
  /** The instrument name in the OTel SDK. */
  readonly otelName: string;
  /** The series base name on /metrics (histograms add `_bucket`, `_sum`, `_count`). */
  readonly prometheusName: string;
  readonly type: RuntimeMetricType;
  /** UCUM unit, as the instrument declares it. */
  readonly unit: string;
  readonly description: string;
}

function metric(otelName: string, type: RuntimeMetricType, unit: string, description: string): RuntimeMetric {
  const base = otelName.replace(/[^a-zA-Z0-9_]/g, '_');
  const prometheusName = type === 'counter' && !base.endsWith('_total') ? `${base}_total` : base;
  return { otelName, prometheusName, type, unit, description };
}

export const RUNTIME_METRICS = {
  requestDuration: metric(
    'gen_ai.server.request.duration',
    'histogram',
    's',
    'Time to serve a GenAI request',
  ),
  timeToFirstToken: metric(
    'gen_ai.server.time_to_first_token',
    'histogram',
    's',
    'Time from the request to the first generated token, queueing included',
  ),
  timePerOutputToken: metric(
    'gen_ai.server.time_per_output_token',
    'histogram',
    's',
    'Decode time per output token after the first',
  ),
  tokenUsage: metric(
    'gen_ai.server.token.usage',
    'histogram',
    '{token}',
    'Tokens per request, by gen_ai.token.type',
  ),
  promptTokens: metric(
    'llamacpp.prompt_tokens_total',
    'counter',
    '{token}',
    'Prompt tokens evaluated (cached prefix tokens excluded)',
  ),
  promptSeconds: metric('llamacpp.prompt_seconds_total', 'counter', 's', 'Seconds spent evaluating prompts'),
  tokensPredicted: metric('llamacpp.tokens_predicted_total', 'counter', '{token}', 'Tokens generated'),
  tokensPredictedSeconds: metric(
    'llamacpp.tokens_predicted_seconds_total',
    'counter',
    's',
    'Seconds spent generating tokens',
  ),
  requestsProcessing: metric(
    'llamacpp.requests_processing',
    'gauge',
    '{request}',
    'Requests holding a sequence',
  ),
  requestsDeferred: metric(
    'llamacpp.requests_deferred',
    'gauge',
    '{request}',
    'Requests waiting for a sequence',
  ),
  // Not llama.cpp's: the load autoscaling scales on (operator/README.md, "Autoscaling"), one
  // series so the HPA's Pods metric and KEDA's query need no sum of two.
  requestsLoad: metric(
    'kubellama.requests_load',
    'gauge',
    '{request}',
    'Requests holding or waiting for a sequence (requests_processing + requests_deferred): the load autoscaling scales on',
  ),
  kvCacheUsage: metric('llamacpp.kv_cache_usage_ratio', 'gauge', '1', 'Share of KV cache cells in use'),
  batchSize: metric(
    'llamacpp.batch_size',
    'histogram',
    '{sequence}',
    'Sequences in each llama_decode (llama-server: n_busy_slots_per_decode = sum / count)',
  ),
  ramUsage: metric(
    'llama.memory.ram.used',
    'gauge',
    'By',
    'Resident memory of the runtime process (what counts against the pod limit)',
  ),
  vramUsage: metric('llama.memory.vram.used', 'gauge', 'By', 'VRAM in use, from node-llama-cpp'),
  modelLoadDuration: metric('llama.model.load.duration', 'gauge', 's', 'Time the model took to load'),
  gpuDevices: metric(
    'llama.gpu.devices',
    'gauge',
    '{device}',
    'GPU devices llama.cpp runs on (0 on the CPU), by backend and whether it fell back to the CPU',
  ),
} as const satisfies Record<string, RuntimeMetric>;

export type RuntimeMetricKey = keyof typeof RUNTIME_METRICS;

/** Every series name a metric can show up under on /metrics. */
export function prometheusSeriesNames(m: RuntimeMetric, base = m.prometheusName): string[] {
  if (m.type === 'histogram') return ['_bucket', '_sum', '_count'].map((suffix) => `${base}${suffix}`);
  return [base];
}

/**
 * The OpenTelemetry trace SDK's own metrics (the semantic conventions' "SDK metrics") that the
 * runtime's batch span processor records on /metrics (runtime/telemetry/sdk.ts hands it the meter
 * provider; the SDK creates these instruments, not metrics.ts). A span that never reached the
 * collector is counted in `spansProcessed` with an `error.type`: `queue_full` (the bounded queue
 * was full, dropped at once) or the export error's name (the exporter gave up after its retries).
 */
export const SDK_SPAN_PROCESSOR_METRICS = {
  spansProcessed: metric(
    'otel.sdk.processor.span.processed',
    'counter',
    '{span}',
    'Spans the batch span processor finished with, exported or (error.type set) lost',
  ),
  queueSize: metric('otel.sdk.processor.span.queue.size', 'gauge', '{span}', 'Spans waiting for export'),
  queueCapacity: metric(
    'otel.sdk.processor.span.queue.capacity',
    'gauge',
    '{span}',
    'Spans the queue holds at most (OTEL_BSP_MAX_QUEUE_SIZE)',
  ),
} as const satisfies Record<string, RuntimeMetric>;

/** The label of `spansProcessed` that names why spans were lost; absent on exported ones. */
export const SDK_ERROR_TYPE_LABEL = 'error_type';
/** Its value for spans dropped because the queue was full. */
export const SDK_QUEUE_FULL = 'queue_full';
