import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { DashboardChart } from '../../charts/dashboard.js';
import { RUNTIME_DASHBOARD_FILE, runtimeDashboard } from '../../charts/dashboards/runtime-dashboard.js';
import { prometheusSeriesNames, RUNTIME_METRICS } from '../../charts/metrics-contract.js';
import { SPAN_METRICS } from '../../charts/span-metrics.js';
import { recordRuntimeMetrics, sampleNames } from './helpers/record-runtime-metrics.js';

const PROMQL_FUNCTIONS = new Set([
  'label_values',
  'histogram_quantile',
  'sum',
  'by',
  'rate',
  'max',
  'le',
  'instance',
  'job',
]);

/** Identifiers in a PromQL expression that name metrics: not functions, labels, variables or strings. */
function metricNamesIn(expr: string): string[] {
  const withoutStrings = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '');
  const withoutGrouping = withoutStrings.replace(/by \([^)]*\)/g, '');
  return (withoutGrouping.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []).filter(
    (word) => !PROMQL_FUNCTIONS.has(word),
  );
}

const dashboard = runtimeDashboard() as {
  panels: { title: string; targets: { expr: string }[] }[];
  templating: { list: { definition?: string }[] };
};
const exprs = [
  ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
  ...dashboard.templating.list.flatMap((v) => (v.definition ? [v.definition.replace(/, \w+\)$/, ')')] : [])),
];
const runtimeSeries = Object.values(RUNTIME_METRICS).flatMap((m) => prometheusSeriesNames(m));
// The collector's spanmetrics (charts/span-metrics.ts); span-metrics-live.test.ts scrapes them.
const spanSeries = ['_bucket', '_sum', '_count'].map((suffix) => `${SPAN_METRICS.duration}${suffix}`);
const declared = new Set([...runtimeSeries, ...spanSeries]);

describe('runtime Grafana dashboard', () => {
  it('queries only metric names from the declared runtime list', () => {
    const used = exprs.flatMap(metricNamesIn);
    expect(used.length).toBeGreaterThan(20);
    expect(used.filter((name) => !declared.has(name))).toEqual([]);
  });

  it('shows latency from the spanmetrics with exemplars, per model and operation', () => {
    const panel = dashboard.panels.find((p) => p.title.startsWith('Request latency by model'));
    const targets = (panel?.targets ?? []) as { expr: string; exemplar?: boolean }[];
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) {
      expect(target.exemplar).toBe(true);
      expect(target.expr).toContain(`${SPAN_METRICS.duration}_bucket`);
      expect(target.expr).toContain('gen_ai_request_model');
    }
  });

  it('covers requests, TTFT, time per token, tokens/s, queue depth, KV cache and memory', () => {
    const used = new Set(exprs.flatMap(metricNamesIn));
    for (const metric of Object.values(RUNTIME_METRICS)) {
      expect(
        prometheusSeriesNames(metric).some((name) => used.has(name)),
        metric.prometheusName,
      ).toBe(true);
    }
    expect(dashboard.panels.map((p) => p.title)).toEqual(
      expect.arrayContaining([
        'Time to first token',
        'Time per output token',
        'Tokens per second',
        'Queue depth',
        'KV cache usage',
        'Memory',
      ]),
    );
  });

  it("uses the names the OpenTelemetry JS Prometheus exporter (the runtime's /metrics) produces", async () => {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ readers: [exporter] });
    recordRuntimeMetrics(provider.getMeter('kubellama-runtime'));
    const { resourceMetrics } = await exporter.collect();
    const exposed = sampleNames(new PrometheusSerializer().serialize(resourceMetrics));
    await provider.shutdown();
    expect(runtimeSeries.filter((name) => !exposed.has(name))).toEqual([]);
  });

  it('ships as a Grafana sidecar ConfigMap holding the same JSON', () => {
    const [, configMap] = Testing.synth(new DashboardChart(Testing.app(), 'dashboards')) as {
      metadata: { labels: Record<string, string> };
      data: Record<string, string>;
    }[];
    expect(configMap?.metadata.labels.grafana_dashboard).toBe('1');
    expect(JSON.parse(configMap?.data[RUNTIME_DASHBOARD_FILE] ?? '')).toEqual(runtimeDashboard());
  });
});
