// The chart's collector config against the real collector binary (our builder distribution).
import { Testing } from 'cdk8s';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { CollectorChart } from '../../charts/collector.js';
import { collectorConfig } from '../../charts/collector-config.js';
import { type Collector, httpGet, startCollector, validateCollectorConfig } from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import type { Json } from './helpers/manifest.js';

function chartConfigs(): Record<string, unknown>[] {
  const objects = Testing.synth(new CollectorChart(Testing.app(), 'collector', { agent: {} })) as {
    kind: string;
    data?: Record<string, string>;
  }[];
  return objects.filter((o) => o.kind === 'ConfigMap').map((o) => parse(o.data?.['config.yaml'] ?? ''));
}

describe('collector config on the real collector', () => {
  let collector: Collector | undefined;
  printLogsOnFailure(() => (collector ? [collector.process.logFile] : []));
  afterAll(async () => {
    await collector?.stop();
  });

  it('passes `validate` as the chart ships it: the gateway and the agent', () => {
    const configs = chartConfigs();
    expect(configs).toHaveLength(2);
    // The agent's node filter reads K8S_NODE_NAME, which its DaemonSet sets from spec.nodeName.
    process.env.K8S_NODE_NAME = 'node-a';
    for (const config of configs) {
      const result = validateCollectorConfig(config);
      expect(result.output).not.toMatch(/error/i);
      expect(result.ok).toBe(true);
    }
  });

  it('fails `validate` when the pipeline names a processor that does not exist', () => {
    const config = collectorConfig({ exportEndpoint: 'jaeger:4317' }) as Json;
    config.service.pipelines.traces.processors.push('groupbytrace');
    const result = validateCollectorConfig(config);
    expect(result.ok).toBe(false);
    expect(result.output).toContain('groupbytrace');
  });

  it('starts with k8s_attributes connected to the real API server (kubeConfig auth) and answers health', async () => {
    // The collector inherits this process's environment: k8s_attributes reads KUBECONFIG.
    process.env.KUBECONFIG = inject('kubeconfigPath');
    collector = await startCollector({
      makeConfig: (ports) =>
        collectorConfig({
          listenHost: '127.0.0.1',
          ports,
          exportEndpoint: 'http://127.0.0.1:1', // nothing is sent in this test
          k8sAttributes: { authType: 'kubeConfig', waitForMetadata: true },
          resourceAttributes: { 'k8s.cluster.name': 'binary-test' },
        }),
    });
    expect((await httpGet(`http://127.0.0.1:${collector.ports.health}/`)).status).toBe(200);
    expect((await httpGet(`${collector.prometheusUrl}/metrics`)).status).toBe(200);
    // wait_for_metadata: it only got this far because the pod informer synced against the API server.
    expect(collector.process.logTail(200)).not.toMatch(/Could not initialize kube client|failed to start/i);
  });
});
