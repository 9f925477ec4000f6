import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ChartPropsError } from '../../charts/chart-props-error.js';
import { CollectorChart, type CollectorChartProps } from '../../charts/collector.js';
import { COLLECTOR_PORTS, collectorConfig } from '../../charts/collector-config.js';
import { COLLECTOR_CLUSTER_RULES } from '../../charts/collector-rbac.js';
import type { Json, Manifest } from './helpers/manifest.js';

function synth(props: CollectorChartProps = {}): Manifest[] {
  return Testing.synth(new CollectorChart(Testing.app(), 'collector', props)) as Manifest[];
}

describe('collectorConfig', () => {
  it('runs otlp → memory_limiter → k8sattributes → resource, then spanmetrics and tail sampling → batch → Jaeger, metrics to prometheus', () => {
    const config = collectorConfig({
      exportEndpoint: 'http://jaeger.obs.svc:4317',
      resourceAttributes: { 'k8s.cluster.name': 'c1' },
      tailSampling: { ratio: 0.1 },
    }) as Json;
    const front = ['memory_limiter', 'k8s_attributes', 'resource'];
    expect(config.service.pipelines).toEqual({
      // RED metrics see every span; only Jaeger's copy is sampled.
      traces: { receivers: ['otlp'], processors: front, exporters: ['spanmetrics', 'forward/sampling'] },
      'traces/sampled': {
        receivers: ['forward/sampling'],
        processors: ['tail_sampling', 'batch'],
        exporters: ['otlp_grpc/jaeger'],
      },
      metrics: { receivers: ['otlp'], processors: [...front, 'batch'], exporters: ['prometheus'] },
      'metrics/spans': { receivers: ['spanmetrics'], processors: ['batch'], exporters: ['prometheus'] },
    });
    expect(Object.keys(config.connectors)).toEqual(['spanmetrics', 'forward/sampling']);
    expect(config.exporters.prometheus.enable_open_metrics).toBe(true);
    expect(config.exporters['otlp_grpc/jaeger'].endpoint).toBe('jaeger.obs.svc:4317');
    expect(config.receivers.otlp.protocols.grpc.endpoint).toBe(`0.0.0.0:${COLLECTOR_PORTS.otlpGrpc}`);
    expect(config.processors.resource.attributes).toEqual([
      { key: 'k8s.cluster.name', value: 'c1', action: 'upsert' },
    ]);
    expect(config.processors.k8s_attributes.auth_type).toBe('serviceAccount');
    expect(config.processors.k8s_attributes.extract.metadata).toContain('k8s.deployment.name');
    expect(config.extensions.health_check.endpoint).toBe(`0.0.0.0:${COLLECTOR_PORTS.health}`);
  });

  it('in agent mode watches only its node and forwards everything to the gateway', () => {
    const config = collectorConfig({
      mode: 'agent',
      exportEndpoint: 'otel-collector.x.svc:4317',
      k8sAttributes: { nodeFromEnvVar: 'K8S_NODE_NAME' },
    }) as Json;
    expect(config.processors.k8s_attributes.filter).toEqual({ node_from_env_var: 'K8S_NODE_NAME' });
    expect(config.exporters).toEqual({
      'otlp_grpc/gateway': { endpoint: 'otel-collector.x.svc:4317', tls: { insecure: true } },
    });
    expect(config.service.pipelines.metrics.exporters).toEqual(['otlp_grpc/gateway']);
    // Sampling and RED metrics happen once, in the gateway, where all of a trace's spans meet.
    expect(config.processors).not.toHaveProperty('tail_sampling');
    expect(config).not.toHaveProperty('connectors');
    expect(config.service.pipelines.traces).toEqual({
      receivers: ['otlp'],
      processors: ['memory_limiter', 'k8s_attributes', 'batch'],
      exporters: ['otlp_grpc/gateway'],
    });
  });

  it('without tail sampling and spanmetrics is one traces pipeline straight to Jaeger', () => {
    const config = collectorConfig({
      exportEndpoint: 'j:4317',
      k8sAttributes: false,
      tailSampling: false,
      spanMetrics: false,
    }) as Json;
    expect(config.service.pipelines).toEqual({
      traces: {
        receivers: ['otlp'],
        processors: ['memory_limiter', 'batch'],
        exporters: ['otlp_grpc/jaeger'],
      },
      metrics: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['prometheus'] },
    });
    expect(config).not.toHaveProperty('connectors');
  });

  it('keeps errors, slow traces, slow first tokens and marked traces, and a share of the rest', () => {
    const config = collectorConfig({
      exportEndpoint: 'j:4317',
      tailSampling: { ratio: 0.05, slowTraceMs: 5000, slowFirstTokenMs: 1500, decisionWaitSeconds: 60 },
    }) as Json;
    const sampling = config.processors.tail_sampling;
    expect(sampling.decision_wait).toBe('60s');
    expect(sampling.decision_wait_after_root_received).toBe('1s');
    expect(sampling.policies).toEqual([
      { name: 'keep-errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
      { name: 'keep-slow', type: 'latency', latency: { threshold_ms: 5000 } },
      {
        name: 'keep-slow-first-token',
        type: 'ottl_condition',
        ottl_condition: {
          error_mode: 'ignore',
          span: ['attributes["llama.request.time_to_first_token"] > 1.5'],
        },
      },
      {
        name: 'keep-marked',
        type: 'string_attribute',
        string_attribute: { key: 'kubellama.sample', values: ['always'] },
      },
      { name: 'keep-share', type: 'probabilistic', probabilistic: { sampling_percentage: 5 } },
    ]);
    expect(
      (collectorConfig({ exportEndpoint: 'j:4317', tailSampling: { ratio: 0 } }) as Json).processors
        .tail_sampling.decision_wait,
    ).toBe('120s');
  });

  it('by default keeps every trace with no sampling stage, so traces reach Jaeger without a decision wait', () => {
    const config = collectorConfig({ exportEndpoint: 'j:4317', k8sAttributes: false }) as Json;
    expect(config.processors).not.toHaveProperty('tail_sampling');
    expect(config.service.pipelines.traces).toEqual({
      receivers: ['otlp'],
      processors: ['memory_limiter', 'batch'],
      exporters: ['spanmetrics', 'otlp_grpc/jaeger'],
    });
    expect(config.service.pipelines).not.toHaveProperty('traces/sampled');
  });

  it('refuses tail-sampling settings out of range, naming the field', () => {
    const bad = (tailSampling: Record<string, number>) => () =>
      collectorConfig({ exportEndpoint: 'j:4317', tailSampling });
    expect(bad({ ratio: 1.5 })).toThrow('tailSampling.ratio: 1.5 is out of range [0, 1]');
    expect(bad({ ratio: Number.NaN })).toThrow(ChartPropsError);
    expect(bad({ slowTraceMs: 0 })).toThrow(/^tailSampling.slowTraceMs/);
    expect(bad({ slowFirstTokenMs: -1 })).toThrow(/^tailSampling.slowFirstTokenMs/);
    expect(bad({ decisionWaitSeconds: 0 })).toThrow(/^tailSampling.decisionWaitSeconds/);
  });

  it('computes RED metrics per model and operation with exemplars, in seconds', () => {
    const config = collectorConfig({
      exportEndpoint: 'j:4317',
      spanMetrics: { flushIntervalSeconds: 2 },
    }) as Json;
    const spanmetrics = config.connectors.spanmetrics;
    expect(spanmetrics.namespace).toBe('traces.span.metrics');
    expect(spanmetrics.dimensions).toEqual([
      { name: 'gen_ai.request.model' },
      { name: 'gen_ai.operation.name' },
    ]);
    expect(spanmetrics.exemplars.enabled).toBe(true);
    expect(spanmetrics.histogram.unit).toBe('s');
    expect(spanmetrics.histogram.explicit.buckets[0]).toBe('0.005s');
    expect(spanmetrics.metrics_flush_interval).toBe('2s');
  });

  it('leaves k8sattributes out only when asked, and refuses a bad endpoint or memory limit', () => {
    const config = collectorConfig({ exportEndpoint: 'j:4317', k8sAttributes: false }) as Json;
    expect(config.processors).not.toHaveProperty('k8s_attributes');
    expect(() => collectorConfig({ exportEndpoint: 'http://jaeger/v1' })).toThrow(/exportEndpoint/);
    expect(() =>
      collectorConfig({ exportEndpoint: 'j:4317', memoryLimitPercentage: { limit: 50, spike: 60 } }),
    ).toThrow(/memoryLimitPercentage/);
  });
});

describe('CollectorChart', () => {
  it('mounts the generated config, wires health_check to both probes, and rolls on config change', () => {
    const objects = synth();
    const configMap = objects.find((o) => o.kind === 'ConfigMap');
    const deployment = objects.find((o) => o.kind === 'Deployment');
    const config = parse(configMap?.data['config.yaml']);
    expect(config.exporters['otlp_grpc/jaeger'].endpoint).toBe('jaeger.kubellama-system.svc:4317');
    const container = deployment?.spec.template.spec.containers[0];
    const healthPort = container.ports.find((p: { name: string }) => p.name === 'health').containerPort;
    expect(config.extensions.health_check.endpoint).toBe(`0.0.0.0:${healthPort}`);
    expect(container.livenessProbe.httpGet.port).toBe('health');
    expect(container.readinessProbe.httpGet.port).toBe('health');
    expect(container.resources.limits).toEqual({ cpu: '1', memory: '512Mi' });
    const otherCluster = synth({ clusterName: 'other' }).find((o) => o.kind === 'Deployment');
    expect(otherCluster?.spec.template.metadata.annotations['kubellama.dev/config-sha256']).not.toBe(
      deployment?.spec.template.metadata.annotations['kubellama.dev/config-sha256'],
    );
  });

  it('exposes OTLP 4317/4318 on the otel-collector Service and gives k8sattributes its read-only RBAC', () => {
    const objects = synth();
    const service = objects.find((o) => o.kind === 'Service');
    expect(service?.metadata.name).toBe('otel-collector');
    expect(service?.spec.ports.map((p: { port: number }) => p.port)).toEqual([4317, 4318, 8889]);
    expect(objects.find((o) => o.kind === 'ClusterRole')?.rules).toEqual(COLLECTOR_CLUSTER_RULES);
    for (const rule of COLLECTOR_CLUSTER_RULES) expect(rule.verbs).toEqual(['get', 'list', 'watch']);
    expect(objects.some((o) => o.kind === 'DaemonSet')).toBe(false);
  });

  it('adds a node-local DaemonSet agent on request', () => {
    const objects = synth({ agent: {} });
    const daemonSet = objects.find((o) => o.kind === 'DaemonSet');
    expect(daemonSet?.metadata.name).toBe('otel-agent');
    const agentService = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'otel-agent');
    expect(agentService?.spec.internalTrafficPolicy).toBe('Local');
    const agentConfig = parse(
      objects.find((o) => o.metadata.name === 'otel-agent-config')?.data['config.yaml'],
    );
    expect(agentConfig.exporters['otlp_grpc/gateway'].endpoint).toBe(
      'otel-collector.kubellama-system.svc:4317',
    );
    expect(
      daemonSet?.spec.template.spec.containers[0].ports.some((p: { hostPort?: number }) => p.hostPort),
    ).toBe(false);
  });

  it('in daemonset mode runs the whole pipeline on every node behind the same node-local Service', () => {
    const objects = synth({ mode: 'daemonset' });
    expect(objects.some((o) => o.kind === 'Deployment')).toBe(false);
    const daemonSet = objects.find((o) => o.kind === 'DaemonSet');
    expect(daemonSet?.metadata.name).toBe('otel-collector');
    expect(daemonSet?.spec).not.toHaveProperty('replicas');
    const service = objects.find((o) => o.kind === 'Service');
    expect(service?.metadata.name).toBe('otel-collector');
    // Model pods keep exporting to the same name; each reaches its own node's collector.
    expect(service?.spec.internalTrafficPolicy).toBe('Local');
    expect(service?.spec.ports.map((p: { port: number }) => p.port)).toEqual([4317, 4318, 8889]);
    const config = parse(objects.find((o) => o.kind === 'ConfigMap')?.data['config.yaml']);
    expect(config.processors.k8s_attributes.filter).toEqual({ node_from_env_var: 'K8S_NODE_NAME' });
    expect(config.exporters['otlp_grpc/jaeger'].endpoint).toBe('jaeger.kubellama-system.svc:4317');
    expect(Object.keys(config.connectors)).toContain('spanmetrics');
    const env = daemonSet?.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({
      name: 'K8S_NODE_NAME',
      valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } },
    });
  });

  it.each([
    [{ mode: 'sidecar' as 'gateway' }, 'mode'],
    [{ mode: 'daemonset', replicas: 2 }, 'replicas'],
    [{ mode: 'daemonset', agent: {} }, 'agent'],
    [{ clusterName: 'Prod Cluster' }, 'clusterName'],
    [{ replicas: -1 }, 'replicas'],
    [{ agent: { resources: { requests: { cpu: 'lots' } } } }, 'agent.resources.requests.cpu'],
    [{ image: 'otelcol' }, 'image'],
    [{ jaegerEndpoint: 'http://jaeger/api/traces' }, 'jaegerEndpoint'],
  ] as [CollectorChartProps, string][])('refuses %j naming the field', (props, field) => {
    expect(() => synth(props)).toThrow(ChartPropsError);
    expect(() => synth(props)).toThrow(new RegExp(`^${field.replace(/\./g, '\\.')}: `));
  });
});
