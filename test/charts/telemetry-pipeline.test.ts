// The whole telemetry path with real parts: a span and metrics over OTLP/gRPC into the real collector
// running the chart's pipeline, k8s_attributes reading a Pod from the real API server, on to the real
// Jaeger running the chart's Jaeger config. Only the kubelet is simulated: the Pod is created
// directly (owned by a ReplicaSet name, as a Deployment's pods are) and never runs.
import { randomUUID } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { collectorConfig } from '../../charts/collector-config.js';
import { prometheusSeriesNames, RUNTIME_METRICS } from '../../charts/metrics-contract.js';
import {
  type Collector,
  httpGet,
  type Jaeger,
  startCollector,
  startJaeger,
  waitFor,
} from '../harness/index.js';
import {
  createTestNamespace,
  printKubeLogsOnFailure,
  printLogsOnFailure,
  sharedKubeConfig,
} from '../harness/vitest.js';
import { sampleNames } from './helpers/record-runtime-metrics.js';
import { sendRuntimeMetrics, sendSpan } from './helpers/send-telemetry.js';

const CLUSTER = 'pipeline-test';
const POD_TEMPLATE_HASH = '5d8f7c9b4';

describe('telemetry pipeline: collector (chart config) → Jaeger (chart config) and Prometheus', () => {
  let jaeger: Jaeger | undefined;
  let collector: Collector | undefined;
  let namespace = '';
  let podUid = '';
  printKubeLogsOnFailure();
  printLogsOnFailure(() =>
    [jaeger?.process.logFile, collector?.process.logFile].filter((f): f is string => !!f),
  );

  beforeAll(async () => {
    const kc = sharedKubeConfig();
    namespace = await createTestNamespace(kc, 'pipeline');
    const pod = await kc.makeApiClient(CoreV1Api).createNamespacedPod({
      namespace,
      body: {
        metadata: {
          name: `gemma-${POD_TEMPLATE_HASH}-x7k2p`,
          labels: {
            'app.kubernetes.io/name': 'llama-model',
            'app.kubernetes.io/instance': 'gemma',
            'pod-template-hash': POD_TEMPLATE_HASH,
          },
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: `gemma-${POD_TEMPLATE_HASH}`,
              uid: randomUUID(),
              controller: true,
            },
          ],
        },
        spec: {
          nodeName: 'gpu-node-1',
          containers: [{ name: 'runtime', image: 'ghcr.io/kubellama/runtime:0.1.0' }],
        },
      },
    });
    podUid = pod.metadata?.uid ?? '';
    jaeger = await startJaeger();
    const tracesEndpoint = jaeger.otlpGrpcEndpoint;
    process.env.KUBECONFIG = inject('kubeconfigPath');
    collector = await startCollector({
      makeConfig: (ports) =>
        collectorConfig({
          listenHost: '127.0.0.1',
          ports,
          exportEndpoint: tracesEndpoint,
          // The pod above exists before start, so the synced cache already holds it.
          k8sAttributes: { authType: 'kubeConfig', waitForMetadata: true },
          resourceAttributes: { 'k8s.cluster.name': CLUSTER },
        }),
    });
  });

  afterAll(async () => {
    await collector?.stop();
    await jaeger?.stop();
  });

  it('delivers a span to Jaeger with the Kubernetes metadata and cluster name the pipeline adds', async () => {
    if (!collector || !jaeger) throw new Error('not started');
    // Only what the operator injects: the service and the pod's uid.
    const traceId = await sendSpan(collector.otlpGrpcEndpoint, {
      'service.name': 'gemma',
      'k8s.pod.uid': podUid,
    });
    const trace = await jaeger.waitForTrace(traceId);
    const span = trace.spans[0];
    expect(span?.operationName).toBe('chat tiny');
    const processTags = Object.fromEntries(
      (trace.processes[span?.processID ?? '']?.tags ?? []).map((tag) => [tag.key, tag.value]),
    );
    expect(processTags).toMatchObject({
      'k8s.cluster.name': CLUSTER,
      'k8s.namespace.name': namespace,
      'k8s.pod.name': `gemma-${POD_TEMPLATE_HASH}-x7k2p`,
      'k8s.pod.uid': podUid,
      'k8s.node.name': 'gpu-node-1',
      'k8s.replicaset.name': `gemma-${POD_TEMPLATE_HASH}`,
      'k8s.deployment.name': 'gemma',
      'k8s.pod.label.app.kubernetes.io/instance': 'gemma',
    });
  });

  it('carries spans through a node agent (agent-mode config) to the gateway and on to Jaeger', async () => {
    if (!collector || !jaeger) throw new Error('not started');
    // The agent's k8s_attributes watches only its node, named by K8S_NODE_NAME as its DaemonSet sets it.
    process.env.K8S_NODE_NAME = 'gpu-node-1';
    const gateway = collector.otlpGrpcEndpoint;
    const agent = await startCollector({
      makeConfig: (ports) =>
        collectorConfig({
          mode: 'agent',
          listenHost: '127.0.0.1',
          ports,
          exportEndpoint: gateway,
          k8sAttributes: { authType: 'kubeConfig', nodeFromEnvVar: 'K8S_NODE_NAME', waitForMetadata: true },
        }),
    });
    try {
      const traceId = await sendSpan(agent.otlpGrpcEndpoint, {
        'service.name': 'gemma-agent',
        'k8s.pod.uid': podUid,
      });
      const trace = await jaeger.waitForTrace(traceId);
      const tags = Object.fromEntries(
        (trace.processes[trace.spans[0]?.processID ?? '']?.tags ?? []).map((tag) => [tag.key, tag.value]),
      );
      expect(tags).toMatchObject({
        'k8s.cluster.name': CLUSTER,
        'k8s.deployment.name': 'gemma',
        'k8s.node.name': 'gpu-node-1',
      });
    } finally {
      await agent.stop();
    }
  });

  it("exposes the runtime metrics on the collector's Prometheus endpoint, labelled with Kubernetes metadata", async () => {
    if (!collector) throw new Error('not started');
    await sendRuntimeMetrics(collector.otlpGrpcEndpoint, { 'service.name': 'gemma', 'k8s.pod.uid': podUid });
    // Exactly the names of the runtime's own /metrics, so one dashboard serves both.
    const expected = Object.values(RUNTIME_METRICS).flatMap((m) => prometheusSeriesNames(m));
    const page = await waitFor(
      async () => {
        const response = await httpGet(`${collector?.prometheusUrl}/metrics`);
        const names = sampleNames(response.body);
        return expected.every((name) => names.has(name)) ? response.body : undefined;
      },
      { description: 'runtime metrics on the collector /metrics', timeoutMs: 20_000, intervalMs: 250 },
    );
    const ttft = page
      .split('\n')
      .find((line) => line.startsWith(`${RUNTIME_METRICS.timeToFirstToken.prometheusName}_count{`));
    expect(ttft).toContain(`k8s_namespace_name="${namespace}"`);
    expect(ttft).toContain('k8s_deployment_name="gemma"');
    expect(ttft).toContain(`k8s_cluster_name="${CLUSTER}"`);
    expect(ttft).toContain('job="gemma"');
  });
});
