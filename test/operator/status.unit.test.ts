// Pure parts of the reconciler: setStatusCondition semantics, the apply containment check, and
// status derivation from Deployment and pod states (objects shaped as the API server returns them).
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { LlamaModel } from '../../operator/api/llama-model.js';
import { contains, upToDate, withAppliedHash } from '../../operator/kube/apply.js';
import { setStatusCondition } from '../../operator/kube/conditions.js';
import { computeStatus, inspectPods } from '../../operator/llamamodel/status.js';

const model = (replicas = 1): LlamaModel => ({
  apiVersion: 'inference.kubellama.dev/v1alpha1',
  kind: 'LlamaModel',
  metadata: { name: 'm', namespace: 'ns', generation: 2, uid: 'u' },
  spec: {
    model: { source: 'hf:a/b' },
    replicas,
    gpu: { count: 0, resourceName: 'nvidia.com/gpu' },
    runtime: { contextSize: 4096, parallel: 4, gpuLayers: 'auto', threads: 'auto', args: [], env: [] },
    telemetry: { detail: 'request', captureContent: false },
  },
});

const deployment = (status: V1Deployment['status']): V1Deployment => ({
  metadata: { generation: 5 },
  spec: { selector: {}, template: {} },
  status,
});

describe('setStatusCondition', () => {
  const t0 = () => new Date('2026-01-01T00:00:00Z');
  const t1 = () => new Date('2026-01-01T01:00:00Z');

  it('adds, keeps lastTransitionTime when only the reason changes, moves it when the status changes', () => {
    let { conditions, changed } = setStatusCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'A', message: '' },
      t0,
    );
    expect(changed).toBe(true);
    ({ conditions, changed } = setStatusCondition(
      conditions,
      { type: 'Ready', status: 'False', reason: 'B', message: 'x' },
      t1,
    ));
    expect(changed).toBe(true);
    expect(conditions[0]).toMatchObject({ reason: 'B', lastTransitionTime: '2026-01-01T00:00:00Z' });
    ({ conditions, changed } = setStatusCondition(
      conditions,
      { type: 'Ready', status: 'False', reason: 'B', message: 'x' },
      t1,
    ));
    expect(changed).toBe(false);
    ({ conditions } = setStatusCondition(
      conditions,
      { type: 'Ready', status: 'True', reason: 'C', message: '', observedGeneration: 3 },
      t1,
    ));
    expect(conditions).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'C',
        message: '',
        observedGeneration: 3,
        lastTransitionTime: '2026-01-01T01:00:00Z',
      },
    ]);
  });
});

describe('apply containment', () => {
  it('is up to date only when the hash matches and every applied value is still there', () => {
    const desired = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', namespace: 'n' },
      spec: { ports: [{ port: 80 }] },
    };
    const live = {
      ...withAppliedHash(desired),
      spec: { ports: [{ port: 80, protocol: 'TCP' }], clusterIP: '10.0.0.1' },
    };
    delete (live as { apiVersion?: string }).apiVersion;
    expect(upToDate(desired, live)).toBe(true);
    expect(upToDate(desired, { ...live, spec: { ports: [{ port: 81 }] } })).toBe(false);
    expect(upToDate({ ...desired, spec: { ports: [{ port: 80 }], type: 'ClusterIP' } }, live)).toBe(false);
    expect(contains({ a: [1, 2, 3] }, { a: [1, 2] })).toBe(true);
    expect(contains({ a: [1] }, { a: [1, 2] })).toBe(false);
    expect(contains({ q: 2 }, { q: '2' })).toBe(true);
    // Quantities as the API server stores them (canonical form) match what was applied.
    const applied = { resources: { limits: { cpu: '0.5', memory: '1024Mi' }, requests: { cpu: 1 } } };
    const stored = { resources: { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '1' } } };
    expect(contains(stored, applied)).toBe(true);
    expect(
      contains({ resources: { limits: { cpu: '600m' } } }, { resources: { limits: { cpu: '0.5' } } }),
    ).toBe(false);
    // Outside a quantity map, strings are compared as strings: an env value '500m' is not '0.5'.
    expect(contains({ env: [{ value: '500m' }] }, { env: [{ value: '0.5' }] })).toBe(false);
  });
});

describe('status from the Deployment and pods', () => {
  it('is Pending with Progressing/Creating before the Deployment exists', () => {
    const s = computeStatus(model(), undefined, [], undefined);
    expect(s.phase).toBe('Pending');
    // Each of the 4 sequences gets its own 4096 cells (node-llama-cpp), not a share of 4096.
    expect(s.kvCacheTokens).toBe(16_384);
    expect(s.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'Creating',
    });
  });

  it('is Ready while a replica serves, through a rollout; Progressing carries the rollout', () => {
    const rolled = {
      observedGeneration: 5,
      replicas: 1,
      updatedReplicas: 1,
      availableReplicas: 1,
      readyReplicas: 1,
    };
    const condition = (s: ReturnType<typeof computeStatus>, type: string) =>
      s.conditions?.find((c) => c.type === type);
    const done = computeStatus(model(), deployment(rolled), [], undefined);
    expect(done.phase).toBe('Ready');
    expect(condition(done, 'Progressing')).toMatchObject({ status: 'False', reason: 'RolloutComplete' });
    // A new spec rolling out while the old pod still serves.
    const rolling = computeStatus(
      model(),
      deployment({ ...rolled, observedGeneration: 5, replicas: 2, updatedReplicas: 1, readyReplicas: 1 }),
      [],
      undefined,
    );
    expect(condition(rolling, 'Ready')).toMatchObject({ status: 'True', message: '1/1 replicas serving' });
    expect(condition(rolling, 'Progressing')?.status).toBe('True');
    const half = computeStatus(model(2), deployment(rolled), [], undefined);
    expect(condition(half, 'Ready')).toMatchObject({ status: 'True', message: '1/2 replicas serving' });
    expect(condition(half, 'Progressing')?.status).toBe('True');
    const none = computeStatus(model(), deployment({ ...rolled, readyReplicas: 0 }), [], undefined);
    expect(condition(none, 'Ready')).toMatchObject({ status: 'False', reason: 'ReplicasNotReady' });
    expect(none.phase).not.toBe('Ready');
    const zero = computeStatus(model(0), deployment({ observedGeneration: 5 }), [], undefined);
    expect(zero.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ScaledToZero',
    });
  });

  it('reads Downloading, Loading, a crashing runtime and an unschedulable pod from pod states', () => {
    const pod = (status: V1Pod['status']): V1Pod => ({ metadata: { name: 'p' }, status });
    const downloading = pod({
      initContainerStatuses: [
        { name: 'pull', ready: false, restartCount: 0, image: '', imageID: '', state: { running: {} } },
      ],
    });
    const loading = pod({
      initContainerStatuses: [
        {
          name: 'pull',
          ready: true,
          restartCount: 0,
          image: '',
          imageID: '',
          state: { terminated: { exitCode: 0 } },
        },
      ],
      containerStatuses: [
        { name: 'runtime', ready: false, restartCount: 0, image: '', imageID: '', state: { running: {} } },
      ],
    });
    const crashing = pod({
      containerStatuses: [
        {
          name: 'runtime',
          ready: false,
          restartCount: 4,
          image: '',
          imageID: '',
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, message: 'out of memory loading the model' } },
        },
      ],
    });
    const unschedulable = pod({
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/3 nodes have nvidia.com/gpu',
        },
      ],
    });
    expect(inspectPods([downloading, loading])).toMatchObject({ downloading: 1, loading: 1 });
    const d = deployment({ observedGeneration: 5, replicas: 1 });
    expect(computeStatus(model(), d, [downloading], undefined).phase).toBe('Downloading');
    expect(computeStatus(model(), d, [loading], undefined).phase).toBe('Loading');
    const crash = computeStatus(model(), d, [crashing], undefined);
    expect(crash.phase).toBe('Failed');
    expect(crash.conditions?.find((c) => c.type === 'Degraded')).toMatchObject({
      reason: 'RuntimeCrashing',
      message: 'out of memory loading the model',
    });
    const pending = computeStatus(model(), d, [unschedulable], undefined);
    expect(pending.phase).toBe('Pending');
    expect(pending.conditions?.find((c) => c.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'Unschedulable',
    });
  });
});
