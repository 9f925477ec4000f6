// The metrics kubellama-runtime exposes (OTLP and its Prometheus /metrics), by the names on its
// /metrics page: what the Grafana dashboard queries. The OTel name maps to the Prometheus one as the
// OpenTelemetry JS Prometheus exporter does it: "." becomes "_", no unit suffix, and monotonic
// counters gain `_total` (ours already end in it, so the collector's prometheus exporter, which adds
// no suffixes, gives the very same names). charts/ may not import runtime/ (the operator imports charts/), so the
// names are repeated here; tests check them against runtime/telemetry and a live runtime's /metrics.

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
    'Time from request to last byte',
  ),
  timeToFirstToken: metric(
    'gen_ai.server.time_to_first_token',
    'histogram',
    's',
    'Time to the first generated token',
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
    'Tokens per request by gen_ai.token.type',
  ),
  promptTokens: metric('llamacpp.prompt_tokens_total', 'counter', '{token}', 'Prompt tokens evaluated'),
  promptSeconds: metric('llamacpp.prompt_seconds_total', 'counter', 's', 'Time spent evaluating prompts'),
  tokensPredicted: metric('llamacpp.tokens_predicted_total', 'counter', '{token}', 'Tokens generated'),
  tokensPredictedSeconds: metric(
    'llamacpp.tokens_predicted_seconds_total',
    'counter',
    's',
    'Time spent generating',
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
    'Requests waiting in the queue',
  ),
  kvCacheUsage: metric('llamacpp.kv_cache_usage_ratio', 'gauge', '1', 'Share of the KV cache in use'),
  batchSize: metric(
    'llamacpp.batch_size',
    'histogram',
    '{sequence}',
    'Sequences in each llama_decode (llama-server: n_busy_slots_per_decode)',
  ),
  ramUsage: metric('llama.memory.ram.used', 'gauge', 'By', 'RAM the model and context use'),
  vramUsage: metric('llama.memory.vram.used', 'gauge', 'By', 'VRAM the model and context use'),
  modelLoadDuration: metric('llama.model.load.duration', 'gauge', 's', 'Time the model took to load'),
  gpuDevices: metric(
    'llama.gpu.devices',
    'gauge',
    '{device}',
    'GPU devices llama.cpp runs on (0 on the CPU), by llama_gpu and llama_gpu_fallback',
  ),
} as const satisfies Record<string, RuntimeMetric>;

export type RuntimeMetricKey = keyof typeof RUNTIME_METRICS;

/** Every series name a metric can show up under on /metrics. */
export function prometheusSeriesNames(m: RuntimeMetric, base = m.prometheusName): string[] {
  if (m.type === 'histogram') return ['_bucket', '_sum', '_count'].map((suffix) => `${base}${suffix}`);
  return [base];
}
