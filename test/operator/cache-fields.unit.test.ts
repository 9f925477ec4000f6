// The informer trims (operator/llamamodel/cache-fields.ts): what they drop, and that nothing the
// reconciler reads is lost — the status and the no-write check come out the same on a trimmed copy.
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { type LlamaModel, LlamaModelSpecSchema } from '../../operator/api/llama-model.js';
import { upToDate, withAppliedHash } from '../../operator/kube/apply.js';
import type { KubeObject } from '../../operator/kube/kube-client.js';
import { trimDeployment, trimModel, trimPod, trimSpecOnly } from '../../operator/llamamodel/cache-fields.js';
import { desiredState } from '../../operator/llamamodel/desired-state.js';
import { computeStatus } from '../../operator/llamamodel/status.js';

const managedFields = [{ manager: 'kubellama-operator', operation: 'Apply', fieldsV1: { 'f:spec': {} } }];
const lastApplied = { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":"json"}' };
const model: LlamaModel = {
  apiVersion: 'inference.kubellama.dev/v1alpha1',
  kind: 'LlamaModel',
  metadata: { name: 'm', namespace: 'ns', uid: 'u', generation: 1 },
  spec: Value.Default(LlamaModelSpecSchema, {
    model: { source: 'hf:a/b', cache: { size: '1Gi' } },
    gpu: { count: 0 },
  }) as LlamaModel['spec'],
};
const defaults = {
  runtimeImages: { cpu: 'runtime:1', cuda: 'runtime:1-cuda' },
  telemetry: { endpoint: 'http://collector:4317', samplingRatio: 1 },
};
// As the API server answers: the applied object plus what the server and controllers add.
const served = <T extends KubeObject>(object: T, status?: unknown): T =>
  JSON.parse(
    JSON.stringify({
      ...withAppliedHash(object),
      metadata: {
        ...withAppliedHash(object).metadata,
        resourceVersion: '42',
        managedFields,
        annotations: { ...withAppliedHash(object).metadata?.annotations, ...lastApplied },
      },
      ...(status ? { status } : {}),
    }),
  );

describe('informer cache trims', () => {
  const desired = desiredState(model, defaults);

  it('drop managedFields and last-applied-configuration everywhere, and keep the LlamaModel whole otherwise', () => {
    const trimmed = trimModel({
      ...model,
      metadata: { ...model.metadata, managedFields, annotations: { ...lastApplied, keep: 'me' } },
      status: { phase: 'Pending' },
    } as unknown as KubeObject);
    expect(trimmed.metadata).toEqual({ ...model.metadata, annotations: { keep: 'me' } });
    expect(trimmed.spec).toEqual(model.spec);
    expect(trimmed.status).toEqual({ phase: 'Pending' });
    for (const child of [desired.deployment, desired.service, desired.cache!]) {
      expect(trimSpecOnly(served(child)).metadata?.managedFields).toBeUndefined();
    }
  });

  it('keep what the no-write check compares: a served child is still up to date once trimmed', () => {
    const deployment = served(desired.deployment, {
      observedGeneration: 1,
      replicas: 1,
      conditions: [
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', lastUpdateTime: 'x' },
      ],
      collisionCount: 0,
    });
    expect(upToDate(desired.deployment, trimDeployment(deployment))).toBe(true);
    expect(upToDate(desired.service, trimSpecOnly(served(desired.service, { loadBalancer: {} })))).toBe(true);
    expect(upToDate(desired.cache!, trimSpecOnly(served(desired.cache!, { phase: 'Pending' })))).toBe(true);
    expect(trimSpecOnly(served(desired.service, { loadBalancer: {} })).status).toBeUndefined();
  });

  it('keep what status.ts reads: the same status from trimmed Deployments and pods', () => {
    const deployment = served(desired.deployment, {
      observedGeneration: 1,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 0,
      availableReplicas: 0,
      unavailableReplicas: 1,
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'stuck',
          lastUpdateTime: 'x',
        },
      ],
    }) as V1Deployment & KubeObject;
    const pod = (status: V1Pod['status']): V1Pod & KubeObject => ({
      metadata: {
        name: 'p',
        namespace: 'ns',
        labels: { 'app.kubernetes.io/instance': 'm' },
        managedFields,
      } as never,
      spec: { containers: [{ name: 'runtime', image: 'runtime:1' }], nodeName: 'n' },
      status,
    });
    const pods = [
      pod({
        phase: 'Pending',
        conditions: [
          { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'no node' },
          { type: 'Ready', status: 'False' },
        ],
      }),
      pod({
        initContainerStatuses: [
          {
            name: 'pull',
            ready: false,
            restartCount: 2,
            image: 'runtime:1',
            imageID: 'sha',
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 3, message: 'cannot download' } },
          },
        ],
      }),
    ];
    const now = () => new Date('2026-01-01T00:00:00Z');
    const full = computeStatus(model, deployment, pods, undefined, now);
    const trimmed = computeStatus(
      model,
      trimDeployment(deployment) as V1Deployment,
      pods.map((p) => trimPod(p) as V1Pod),
      undefined,
      now,
    );
    expect(trimmed).toEqual(full);
    expect(full.phase).toBe('Failed');
    expect(trimPod(pods[0]!)).not.toHaveProperty('spec');
    expect(trimPod(pods[0]!).metadata).not.toHaveProperty('managedFields');
  });
});
