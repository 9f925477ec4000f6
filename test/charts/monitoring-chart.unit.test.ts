// The Prometheus Operator monitors select what the other charts really render: the PodMonitor the
// model pods (labels and port of a rendered LlamaModel workload), the ServiceMonitor the collector
// gateway's Service and its prometheus port. A rename on either side fails here.
import { App, type Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { CollectorChart } from '../../charts/collector.js';
import { renderLlamaModelWorkload } from '../../charts/llama-model-workload.js';
import { MonitoringChart, monitoringApp } from '../../charts/monitoring.js';
import type { LlamaModelSpec } from '../../operator/api/llama-model.js';

interface Json {
  kind: string;
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests, read field by field
  [key: string]: any;
}

const monitors = (props = {}) => {
  const app = new App();
  new MonitoringChart(app, 'monitoring', props);
  return app.charts.flatMap((c) => c.toJson() as Json[]);
};
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('Prometheus Operator monitors', () => {
  it("select every model's runtime pods by their labels and scrape the runtime port's /metrics", () => {
    const podMonitor = monitors().find((o) => o.kind === 'PodMonitor')!;
    const spec: LlamaModelSpec = {
      model: { source: 'file:///m.gguf' },
      replicas: 1,
      gpu: { count: 0, resourceName: 'nvidia.com/gpu' },
      runtime: { contextSize: 1024, parallel: 1, gpuLayers: 'auto', threads: 'auto', args: [], env: [] },
      telemetry: { detail: 'request', captureContent: false },
    };
    const [deployment] = renderLlamaModelWorkload({
      name: 'any-model',
      namespace: 'someones-namespace',
      spec,
      defaultImages: { cpu: 'runtime:1', cuda: 'runtime:1-cuda' },
      telemetry: { endpoint: 'http://c:4317', samplingRatio: 1 },
    }) as Json[];
    const template = deployment!.spec.template;
    expect(podMonitor.spec.namespaceSelector).toEqual({ any: true });
    expect(matches(podMonitor.spec.selector.matchLabels, template.metadata.labels)).toBe(true);
    const [endpoint] = podMonitor.spec.podMetricsEndpoints;
    const ports = template.spec.containers[0].ports.map((p: { name: string }) => p.name);
    expect(ports).toContain(endpoint.port);
    expect(endpoint.path).toBe(template.metadata.annotations['prometheus.io/path']);
  });

  it("select the collector gateway's Service and its prometheus exporter port", () => {
    const serviceMonitor = monitors({ namespace: 'observability' }).find((o) => o.kind === 'ServiceMonitor')!;
    const app = new App();
    new CollectorChart(app, 'otel-collector', { namespace: 'observability' });
    const services = (app.charts[0] as Chart).toJson().filter((o: Json) => o.kind === 'Service') as Json[];
    const selected = services.filter((s) =>
      matches(serviceMonitor.spec.selector.matchLabels, s.metadata.labels),
    );
    expect(selected.map((s) => s.metadata.name)).toEqual(['otel-collector']);
    expect(serviceMonitor.metadata.namespace).toBe('observability');
    expect(serviceMonitor.spec.namespaceSelector).toEqual({ matchNames: ['observability'] });
    const ports = selected[0]!.spec.ports.map((p: { name: string }) => p.name);
    expect(ports).toContain(serviceMonitor.spec.endpoints[0].port);
  });

  it("carry the label kube-prometheus-stack's Prometheus selects by, or the ones given", () => {
    for (const monitor of monitoringApp().charts.flatMap((c) => c.toJson() as Json[]))
      expect(monitor.metadata.labels.release).toBe('kube-prometheus-stack');
    for (const monitor of monitors({ selectorLabels: { prometheus: 'main' } })) {
      expect(monitor.metadata.labels.prometheus).toBe('main');
      expect(monitor.metadata.labels.release).toBeUndefined();
    }
  });
});
