// The Grafana dashboard for kubellama-runtime, generated so that every query names a metric from
// RUNTIME_METRICS (a rename there is a type error here, not an empty panel).
import { RUNTIME_METRICS, type RuntimeMetricKey } from '../metrics-contract.js';
import { SPAN_METRICS, SPAN_METRICS_LABELS } from '../span-metrics.js';

export const RUNTIME_DASHBOARD_UID = 'kubellama-runtime';
export const RUNTIME_DASHBOARD_FILE = 'kubellama-runtime.json';

/** Grafana resolves `${datasource}` to the data source the user picks when importing. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

/** Filters every query by the `job` and `instance` template variables. */
const SELECTOR = '{job=~"$job", instance=~"$instance"}';

/**
 * The operation spans in the collector's spanmetrics (the only spans with an operation name), so
 * the phase spans under them do not count as requests.
 */
const OPERATION_SPANS = `{job=~"$job", instance=~"$instance", ${SPAN_METRICS_LABELS.operation}!=""}`;
const BY_MODEL = `${SPAN_METRICS_LABELS.model}, ${SPAN_METRICS_LABELS.operation}`;

function name(key: RuntimeMetricKey, suffix = ''): string {
  return `${RUNTIME_METRICS[key].prometheusName}${suffix}`;
}

function quantile(key: RuntimeMetricKey, q: number): string {
  return `histogram_quantile(${q}, sum by (le) (rate(${name(key, '_bucket')}${SELECTOR}[$__rate_interval])))`;
}

interface Target {
  readonly expr: string;
  readonly legendFormat: string;
  /** Ask Grafana for exemplars: points that link a latency to the trace that had it. */
  readonly exemplar?: boolean;
}

interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly targets: readonly Target[];
  readonly description: string;
}

function latencyPanel(title: string, key: RuntimeMetricKey): Panel {
  return {
    title,
    unit: 's',
    description: RUNTIME_METRICS[key].description,
    targets: [
      { expr: quantile(key, 0.5), legendFormat: 'p50' },
      { expr: quantile(key, 0.95), legendFormat: 'p95' },
      { expr: quantile(key, 0.99), legendFormat: 'p99' },
    ],
  };
}

const PANELS: readonly Panel[] = [
  {
    title: 'Requests per second',
    unit: 'reqps',
    description: 'Completed requests, by operation (chat, text_completion)',
    targets: [
      {
        expr: `sum by (gen_ai_operation_name) (rate(${name('requestDuration', '_count')}${SELECTOR}[$__rate_interval]))`,
        legendFormat: '{{gen_ai_operation_name}}',
      },
    ],
  },
  latencyPanel('Request duration', 'requestDuration'),
  latencyPanel('Time to first token', 'timeToFirstToken'),
  latencyPanel('Time per output token', 'timePerOutputToken'),
  {
    title: 'Tokens per second',
    unit: 'short',
    description: 'Generated and prompt tokens per second, summed over pods',
    targets: [
      {
        expr: `sum(rate(${name('tokensPredicted')}${SELECTOR}[$__rate_interval]))`,
        legendFormat: 'generated',
      },
      { expr: `sum(rate(${name('promptTokens')}${SELECTOR}[$__rate_interval]))`, legendFormat: 'prompt' },
    ],
  },
  {
    title: 'Decode speed per sequence',
    unit: 'short',
    description: "Tokens per second of generation time (llama.cpp server's predicted_per_second)",
    targets: [
      {
        expr: `sum(rate(${name('tokensPredicted')}${SELECTOR}[$__rate_interval])) / sum(rate(${name('tokensPredictedSeconds')}${SELECTOR}[$__rate_interval]))`,
        legendFormat: 'decode',
      },
      {
        expr: `sum(rate(${name('promptTokens')}${SELECTOR}[$__rate_interval])) / sum(rate(${name('promptSeconds')}${SELECTOR}[$__rate_interval]))`,
        legendFormat: 'prefill',
      },
    ],
  },
  {
    title: 'Tokens per request',
    unit: 'short',
    description: RUNTIME_METRICS.tokenUsage.description,
    targets: [
      {
        expr: `sum by (gen_ai_token_type) (rate(${name('tokenUsage', '_sum')}${SELECTOR}[$__rate_interval])) / sum by (gen_ai_token_type) (rate(${name('tokenUsage', '_count')}${SELECTOR}[$__rate_interval]))`,
        legendFormat: '{{gen_ai_token_type}}',
      },
    ],
  },
  {
    title: 'Queue depth',
    unit: 'short',
    description:
      'Requests holding a sequence, and requests waiting for one; load per pod is what spec.autoscaling compares with targetRequestsPerReplica',
    targets: [
      { expr: `sum(${name('requestsProcessing')}${SELECTOR})`, legendFormat: 'processing' },
      { expr: `sum(${name('requestsDeferred')}${SELECTOR})`, legendFormat: 'deferred' },
      { expr: `max by (instance) (${name('requestsLoad')}${SELECTOR})`, legendFormat: 'load {{instance}}' },
    ],
  },
  {
    title: 'KV cache usage',
    unit: 'percentunit',
    description: RUNTIME_METRICS.kvCacheUsage.description,
    targets: [
      { expr: `max by (instance) (${name('kvCacheUsage')}${SELECTOR})`, legendFormat: '{{instance}}' },
    ],
  },
  {
    title: 'Sequences per decode',
    unit: 'short',
    description: `${RUNTIME_METRICS.batchSize.description}: below the busy sequences means steps run apart`,
    targets: [
      {
        expr: `sum by (instance) (rate(${name('batchSize', '_sum')}${SELECTOR}[$__rate_interval])) / sum by (instance) (rate(${name('batchSize', '_count')}${SELECTOR}[$__rate_interval]))`,
        legendFormat: 'mean {{instance}}',
      },
    ],
  },
  {
    title: 'Request latency by model (from traces; exemplars open the trace)',
    unit: 's',
    description:
      "The collector's spanmetrics of each operation span, sampled or not; with the Prometheus data source's exemplar link set to Jaeger, a point opens its trace",
    targets: [0.5, 0.95].map((q) => ({
      expr: `histogram_quantile(${q}, sum by (le, ${BY_MODEL}) (rate(${SPAN_METRICS.duration}_bucket${OPERATION_SPANS}[$__rate_interval])))`,
      legendFormat: `p${q * 100} {{${SPAN_METRICS_LABELS.model}}} {{${SPAN_METRICS_LABELS.operation}}}`,
      exemplar: true,
    })),
  },
  {
    title: 'Requests and errors by model (from traces)',
    unit: 'reqps',
    description:
      "Operation spans per second from the collector's spanmetrics, and those with an error status",
    targets: [
      {
        expr: `sum by (${BY_MODEL}) (rate(${SPAN_METRICS.duration}_count${OPERATION_SPANS}[$__rate_interval]))`,
        legendFormat: '{{gen_ai_request_model}} {{gen_ai_operation_name}}',
      },
      {
        expr: `sum by (${BY_MODEL}) (rate(${SPAN_METRICS.duration}_count{job=~"$job", instance=~"$instance", ${SPAN_METRICS_LABELS.operation}!="", ${SPAN_METRICS_LABELS.status}="STATUS_CODE_ERROR"}[$__rate_interval]))`,
        legendFormat: 'errors {{gen_ai_request_model}} {{gen_ai_operation_name}}',
      },
    ],
  },
  {
    title: 'Memory',
    unit: 'bytes',
    description: `RAM: ${RUNTIME_METRICS.ramUsage.description}. VRAM: ${RUNTIME_METRICS.vramUsage.description}.`,
    targets: [
      { expr: `sum by (instance) (${name('ramUsage')}${SELECTOR})`, legendFormat: 'RAM {{instance}}' },
      { expr: `sum by (instance) (${name('vramUsage')}${SELECTOR})`, legendFormat: 'VRAM {{instance}}' },
    ],
  },
  {
    title: 'Model load time',
    unit: 's',
    description: RUNTIME_METRICS.modelLoadDuration.description,
    targets: [
      { expr: `max by (instance) (${name('modelLoadDuration')}${SELECTOR})`, legendFormat: '{{instance}}' },
    ],
  },
  {
    title: 'GPU backend',
    unit: 'short',
    description: `${RUNTIME_METRICS.gpuDevices.description}: fallback=true is a GPU image running on the CPU`,
    targets: [
      {
        expr: `max by (instance, llama_gpu, llama_gpu_fallback) (${name('gpuDevices')}${SELECTOR})`,
        legendFormat: '{{instance}} {{llama_gpu}} fallback={{llama_gpu_fallback}}',
      },
    ],
  },
];

function variable(label: string): Record<string, unknown> {
  return {
    name: label,
    type: 'query',
    datasource: DATASOURCE,
    query: { query: `label_values(${name('requestDuration', '_count')}, ${label})`, refId: label },
    definition: `label_values(${name('requestDuration', '_count')}, ${label})`,
    includeAll: true,
    multi: true,
    allValue: '.*',
    refresh: 2,
  };
}

/** The dashboard model (Grafana JSON, schemaVersion 39), two panels per row. */
export function runtimeDashboard(): Record<string, unknown> {
  return {
    uid: RUNTIME_DASHBOARD_UID,
    title: 'kubellama runtime',
    tags: ['kubellama', 'llama.cpp', 'gen-ai'],
    timezone: 'browser',
    schemaVersion: 39,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        variable('job'),
        variable('instance'),
      ],
    },
    panels: PANELS.map((panel, index) => ({
      id: index + 1,
      type: 'timeseries',
      title: panel.title,
      description: panel.description,
      datasource: DATASOURCE,
      gridPos: { h: 8, w: 12, x: (index % 2) * 12, y: Math.floor(index / 2) * 8 },
      fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
      targets: panel.targets.map((target, i) => ({
        refId: String.fromCharCode(65 + i),
        expr: target.expr,
        legendFormat: target.legendFormat,
        datasource: DATASOURCE,
        ...(target.exemplar ? { exemplar: true } : {}),
      })),
    })),
  };
}
