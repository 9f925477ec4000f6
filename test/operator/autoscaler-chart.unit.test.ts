// spec.autoscaling, pure parts: what the workload construct renders (HPA or ScaledObject, the
// Deployment without replicas), the KEDA query's pod match, the desired replicas status counts, and
// the operator's hand-off and stale-object decisions.
import { readFileSync } from 'node:fs';
import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LOAD_METRIC, loadQuery, REPLICAS_OWNER_ANNOTATION } from '../../charts/llama-model-autoscaler.js';
import { renderLlamaModelWorkload } from '../../charts/llama-model-workload.js';
import { RUNTIME_METRICS } from '../../charts/metrics-contract.js';
import type { LlamaModel, LlamaModelSpec } from '../../operator/api/llama-model.js';
import { needsReplicasHandoff, staleAutoscalers } from '../../operator/llamamodel/autoscaler.js';
import { computeStatus, desiredReplicas } from '../../operator/llamamodel/status.js';

const base: LlamaModelSpec = {
  model: { source: 'hf:a/b' },
  gpu: { count: 0, resourceName: 'nvidia.com/gpu' },
  runtime: { contextSize: 4096, parallel: 4, gpuLayers: 'auto', threads: 'auto', args: [], env: [] },
  telemetry: { detail: 'request', captureContent: false },
};
const autoscaling = (engine: 'hpa' | 'keda') => ({
  minReplicas: 2,
  maxReplicas: 6,
  targetRequestsPerReplica: 4,
  scaleDownDelaySeconds: 60,
  engine,
});

const render = (spec: LlamaModelSpec) =>
  renderLlamaModelWorkload({
    name: 'chat',
    namespace: 'team',
    spec,
    defaultImages: { cpu: 'runtime:1', cuda: 'runtime:1-cuda' },
    telemetry: { endpoint: 'http://c:4317', samplingRatio: 1 },
    kedaPrometheusAddress: 'http://prom:9090',
  }) as unknown as Array<V1Deployment & { kind: string; spec: Record<string, unknown> }>;

const model = (spec: LlamaModelSpec): LlamaModel => ({
  apiVersion: 'inference.kubellama.dev/v1alpha1',
  kind: 'LlamaModel',
  metadata: { name: 'chat', namespace: 'team', generation: 1 },
  spec,
});

describe('spec.autoscaling rendering', () => {
  it('without autoscaling: no autoscaler, replicas from the spec or 1', () => {
    const objects = render(base);
    expect(objects.map((o) => o.kind)).toEqual(['Deployment', 'Service']);
    expect((objects[0] as V1Deployment).spec?.replicas).toBe(1);
    expect((render({ ...base, replicas: 3 })[0] as V1Deployment).spec?.replicas).toBe(3);
  });

  it('engine hpa: an HPA on the Deployment; the Deployment leaves replicas to it', () => {
    const objects = render({ ...base, autoscaling: autoscaling('hpa') });
    expect(objects.map((o) => o.kind)).toEqual(['Deployment', 'Service', 'HorizontalPodAutoscaler']);
    const d = objects[0] as V1Deployment;
    expect(d.spec).not.toHaveProperty('replicas');
    expect(d.metadata?.annotations?.[REPLICAS_OWNER_ANNOTATION]).toBe('HorizontalPodAutoscaler');
    expect(objects[2]).toMatchObject({
      apiVersion: 'autoscaling/v2',
      metadata: { name: 'chat', namespace: 'team', labels: d.metadata?.labels },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'chat' },
        minReplicas: 2,
        maxReplicas: 6,
        metrics: [{ type: 'Pods', pods: { metric: { name: LOAD_METRIC } } }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
      },
    });
    expect(LOAD_METRIC).toBe(RUNTIME_METRICS.requestsLoad.prometheusName);
  });

  it('engine keda: a ScaledObject whose Prometheus query sums the load of this model’s pods only', () => {
    const objects = render({ ...base, autoscaling: autoscaling('keda') });
    expect(objects.map((o) => o.kind)).toEqual(['Deployment', 'Service', 'ScaledObject']);
    expect((objects[0] as V1Deployment).metadata?.annotations?.[REPLICAS_OWNER_ANNOTATION]).toBe(
      'ScaledObject',
    );
    expect(objects[2]?.spec).toMatchObject({
      minReplicaCount: 2,
      maxReplicaCount: 6,
      triggers: [
        {
          type: 'prometheus',
          metadata: { serverAddress: 'http://prom:9090', query: loadQuery('team', 'chat'), threshold: '4' },
        },
      ],
    });
    // Prometheus anchors =~ matches: the selector as a JavaScript regular expression, whole-string.
    const pods = new RegExp(`^${/pod=~"([^"]+)"/.exec(loadQuery('team', 'chat'))?.[1]}$`);
    expect(pods.test('chat-7d9f8b6c5d-x2x9k')).toBe(true);
    expect(pods.test('chat-canary-7d9f8b6c5d-x2x9k')).toBe(false);
    expect(pods.test('chatbot-7d9f8b6c5d-x2x9k')).toBe(false);
  });
});

describe('operator/README.md, "Autoscaling"', () => {
  const readme = readFileSync(new URL('../../operator/README.md', import.meta.url), 'utf8');

  it('the prometheus-adapter rule serves the metric the HPA asks for, and the KEDA query is the one rendered', () => {
    const block = /```yaml\n(\s*rules:\n[\s\S]*?)\s*```/.exec(readme)?.[1] ?? '';
    const indent = /^\s*/.exec(block)?.[0].length ?? 0;
    const rules = parse(
      block
        .split('\n')
        .map((line) => line.slice(indent))
        .join('\n'),
    ) as {
      rules: { custom: Array<{ seriesQuery: string; name: { as: string }; metricsQuery: string }> };
    };
    const [rule] = rules.rules.custom;
    expect(rule?.seriesQuery).toBe(`${LOAD_METRIC}{namespace!="",pod!=""}`);
    expect(rule?.name.as).toBe(LOAD_METRIC);
    expect(readme).toContain(`\`${loadQuery('NS', 'MODEL')}\``);
  });
});

describe('replicas while autoscaling', () => {
  const withStatus = (replicas: number | undefined, ready: number): V1Deployment => ({
    metadata: { generation: 1 },
    spec: { ...(replicas === undefined ? {} : { replicas }), selector: {}, template: {} },
    status: {
      observedGeneration: 1,
      replicas: ready,
      updatedReplicas: ready,
      readyReplicas: ready,
      availableReplicas: ready,
    },
  });

  it("desired: the spec's (1 when unset), or what the autoscaler set on the Deployment (its minimum before)", () => {
    expect(desiredReplicas(model(base), undefined)).toBe(1);
    expect(desiredReplicas(model({ ...base, replicas: 0 }), undefined)).toBe(0);
    const scaled = model({ ...base, autoscaling: autoscaling('hpa') });
    expect(desiredReplicas(scaled, undefined)).toBe(2);
    expect(desiredReplicas(scaled, withStatus(5, 5))).toBe(5);
    const status = computeStatus(scaled, withStatus(5, 5), [], undefined);
    expect(status.conditions?.find((c) => c.type === 'Ready')?.message).toBe('5/5 replicas serving');
    expect(status.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('RolloutComplete');
  });

  it('hands replicas over only when the live Deployment was applied with them', () => {
    const desired = render({ ...base, autoscaling: autoscaling('hpa') })[0] as V1Deployment;
    const live = (annotated: boolean): V1Deployment => ({
      metadata: annotated ? { annotations: { [REPLICAS_OWNER_ANNOTATION]: 'HorizontalPodAutoscaler' } } : {},
      spec: { replicas: 3, selector: {}, template: {} },
    });
    expect(needsReplicasHandoff(desired, live(false))).toBe(true);
    expect(needsReplicasHandoff(desired, live(true))).toBe(false);
    expect(needsReplicasHandoff(desired, undefined)).toBe(false);
    expect(needsReplicasHandoff(render(base)[0] as V1Deployment, live(true))).toBe(false);
  });

  it('the other engine’s object, or any when autoscaling is off, is stale; one being deleted is left alone', () => {
    const hpa = { metadata: { name: 'chat', namespace: 'team' } };
    const so = { metadata: { name: 'chat', namespace: 'team' } };
    const kinds = (objects: { kind?: string }[]) => objects.map((o) => o.kind);
    expect(kinds(staleAutoscalers(undefined, { hpa, scaledObject: so }))).toEqual([
      'HorizontalPodAutoscaler',
      'ScaledObject',
    ]);
    expect(kinds(staleAutoscalers({ kind: 'ScaledObject' }, { hpa, scaledObject: so }))).toEqual([
      'HorizontalPodAutoscaler',
    ]);
    const deleting = { metadata: { ...hpa.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
    expect(staleAutoscalers(undefined, { hpa: deleting, scaledObject: undefined })).toEqual([]);
  });
});
