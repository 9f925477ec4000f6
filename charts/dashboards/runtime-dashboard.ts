// The Grafana dashboard for kubellama-runtime, generated so that every query names a metric from
// RUNTIME_METRICS (a rename there is a type error here, not an empty panel).
import { RUNTIME_METRICS, type RuntimeMetricKey } from '../runtime-metrics.js';

export const RUNTIME_DASHBOARD_UID = 'kubellama-runtime';
export const RUNTIME_DASHBOARD_FILE = 'kubellama-runtime.json';

/** Grafana resolves `${datasource}` to the data source the user picks when importing. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

/** Filters every query by the `job` and `instance` template variables. */
const SELECTOR = '{job=~"$job", instance=~"$instance"}';

function name(key: RuntimeMetricKey, suffix = ''): string {
  return `${RUNTIME_METRICS[key].prometheusName}${suffix}`;
}

function quantile(key: RuntimeMetricKey, q: number): string {
  return `histogram_quantile(${q}, sum by (le) (rate(${name(key, '_bucket')}${SELECTOR}[$__rate_interval])))`;
}

interface Target {
  readonly expr: string;
  readonly legendFormat: string;
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
    description: 'Requests holding a sequence, and requests waiting for one',
    targets: [
      { expr: `sum(${name('requestsProcessing')}${SELECTOR})`, legendFormat: 'processing' },
      { expr: `sum(${name('requestsDeferred')}${SELECTOR})`, legendFormat: 'deferred' },
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
    title: 'Memory',
    unit: 'bytes',
    description: 'RAM and VRAM in use by the model and its context',
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
      })),
    })),
  };
}
