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
