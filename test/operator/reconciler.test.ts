// The LlamaModel reconciler against the real kube-apiserver. No kubelet and no kube-controller-
// manager run here: where a test needs what they would do (Deployment status, a Pod of the
// ReplicaSet and its container states), it writes that through the status subresource itself and
// says so.
import type { V1Deployment, V1EnvVar, V1PersistentVolumeClaim, V1Service } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LlamaModel } from '../../operator/api/llama-model.js';
import { TerminalError } from '../../operator/kube/errors.js';
import type { KubeClient } from '../../operator/kube/kube-client.js';
import { deploymentPath, modelPath, podPath, pvcPath, servicePath } from '../../operator/llamamodel/paths.js';
import { waitFor } from '../harness/index.js';
import { createTestNamespace, printKubeLogsOnFailure, sharedKubeConfig } from '../harness/vitest.js';
import { clientFor, createModel, installCrd, userModel } from './support/kube.js';
import {
  type RunningOperator,
  runOperator,
  TEST_CUDA_IMAGE,
  TEST_ENDPOINT,
  TEST_IMAGE,
} from './support/operator.js';
import { GPU_SPEC } from './support/specs.js';

const envOf = (d: V1Deployment, container = 'runtime') =>
  new Map(
    (d.spec?.template.spec?.containers.find((c) => c.name === container)?.env ?? []).map(
      (e) => [e.name, e] as [string, V1EnvVar],
    ),
  );

describe('LlamaModel reconciler (real API server)', () => {
  printKubeLogsOnFailure();
  const kc = sharedKubeConfig();
  let client: KubeClient;
  let ns: string;
  let operator: RunningOperator;

  const getModel = (name: string) => client.get<LlamaModel>(modelPath(ns, name));
  const waitForDeployment = (
    name: string,
    check: (d: V1Deployment) => boolean = () => true,
    description = '',
  ) =>
    waitFor(
      async () => {
        const d = await client.getOrUndefined<V1Deployment>(deploymentPath(ns, name));
        return d && check(d) ? d : undefined;
      },
      { description: `Deployment ${name} ${description}`, timeoutMs: 20_000 },
    );
  const waitForStatus = (name: string, check: (m: LlamaModel) => boolean, description: string) =>
    waitFor(
      async () => {
        const m = await getModel(name);
        return check(m) ? m : undefined;
      },
      { description: `LlamaModel ${name}: ${description}`, timeoutMs: 20_000 },
    );
  const condition = (m: LlamaModel, type: string) => m.status?.conditions?.find((c) => c.type === type);

  beforeAll(async () => {
    client = await clientFor(kc);
    await installCrd(client);
    ns = await createTestNamespace(kc, 'lm-rec');
    operator = await runOperator(kc, ns);
  });
  afterAll(async () => operator?.stop());

  it('renders a GPU model into a Deployment, Service and cache PVC', async () => {
    const model = await createModel(client, userModel(ns, 'gemma', GPU_SPEC));
    const d = await waitForDeployment('gemma');
    expect(d.metadata?.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'LlamaModel',
        name: 'gemma',
        uid: model.metadata.uid,
        controller: true,
      }),
    ]);
    expect(d.spec?.replicas).toBe(1);
    const pod = d.spec!.template.spec!;
    const [runtime] = pod.containers;
    // A GPU model gets the operator's CUDA image by default.
    expect(runtime?.image).toBe(TEST_CUDA_IMAGE);
    expect([...(runtime?.command ?? []), ...(runtime?.args ?? [])]).toEqual(['kubellama-runtime', 'serve']);
    expect(runtime?.resources?.limits).toEqual({ cpu: '4', memory: '8Gi', 'nvidia.com/gpu': '2' });
    expect(pod.nodeSelector).toEqual({ pool: 'gpu', 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' });
    expect(pod.tolerations).toEqual([
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' },
    ]);
    expect(pod.runtimeClassName).toBe('kubellama-test-nvidia');
    expect(pod.priorityClassName).toBe('kubellama-test-inference');
    expect(runtime?.startupProbe?.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
    expect(runtime?.readinessProbe?.httpGet).toMatchObject({ path: '/readyz', port: 'http' });
    expect(runtime?.livenessProbe?.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
    expect(runtime?.lifecycle?.preStop?.sleep?.seconds).toBeGreaterThan(0);
    expect(runtime?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(runtime?.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes).toContainEqual({
      name: 'model-cache',
      persistentVolumeClaim: { claimName: 'gemma-model-cache' },
    });
    expect(runtime?.terminationMessagePolicy).toBe('FallbackToLogsOnError');
    const [pull] = pod.initContainers ?? [];
    expect(pull?.terminationMessagePolicy).toBe('FallbackToLogsOnError');
    expect([...(pull?.command ?? []), ...(pull?.args ?? [])]).toEqual([
      'kubellama-runtime',
      'pull',
      'hf:unsloth/gemma-3-270m-it-GGUF:Q8_0',
      '--dir',
      '/models',
    ]);

    const env = envOf(d);
    expect(env.get('OTEL_SERVICE_NAME')?.value).toBe('custom');
    expect([...env.keys()].filter((n) => n === 'OTEL_SERVICE_NAME')).toHaveLength(1);
    expect(env.get('OTEL_EXPORTER_OTLP_ENDPOINT')?.value).toBe(TEST_ENDPOINT);
    expect(env.get('OTEL_EXPORTER_OTLP_PROTOCOL')?.value).toBe('grpc');
    expect(env.get('OTEL_TRACES_SAMPLER')?.value).toBe('parentbased_traceidratio');
    expect(env.get('OTEL_TRACES_SAMPLER_ARG')?.value).toBe('0.5');
    expect(env.get('OTEL_PROPAGATORS')?.value).toBe('tracecontext,baggage');
    for (const [name, fieldPath] of [
      ['K8S_POD_NAME', 'metadata.name'],
      ['K8S_POD_NAMESPACE', 'metadata.namespace'],
      ['K8S_POD_UID', 'metadata.uid'],
      ['K8S_NODE_NAME', 'spec.nodeName'],
    ]) {
      expect(env.get(name!)?.valueFrom?.fieldRef?.fieldPath).toBe(fieldPath);
    }
    const attributes = Object.fromEntries(
      env
        .get('OTEL_RESOURCE_ATTRIBUTES')!
        .value!.split(',')
        .map((kv) => kv.split('=') as [string, string]),
    );
    expect(attributes).toEqual({
      'k8s.namespace.name': '$(K8S_POD_NAMESPACE)',
      'k8s.pod.name': '$(K8S_POD_NAME)',
      'k8s.pod.uid': '$(K8S_POD_UID)',
      'k8s.node.name': '$(K8S_NODE_NAME)',
      'k8s.deployment.name': 'gemma',
      // The runtime image's tag: this GPU model runs the CUDA image.
      'service.version': 'test-cuda',
      'service.instance.id': '$(K8S_POD_NAMESPACE).$(K8S_POD_NAME).runtime',
    });
    // The $(VAR)s refer to variables declared before them (Kubernetes expands only those).
    const names = [...env.keys()];
    expect(names.indexOf('K8S_POD_UID')).toBeLessThan(names.indexOf('OTEL_RESOURCE_ATTRIBUTES'));
    expect(env.get('KUBELLAMA_THREADS')?.valueFrom?.resourceFieldRef).toMatchObject({
      resource: 'limits.cpu',
    });
    expect(env.get('KUBELLAMA_GPU_LAYERS')?.value).toBe('auto');

    // The Service is applied after the Deployment: wait for it rather than race the reconcile.
    const service = await waitFor(() => client.getOrUndefined<V1Service>(servicePath(ns, 'gemma')), {
      description: 'Service gemma',
      timeoutMs: 20_000,
    });
    expect(service.spec?.type).toBe('ClusterIP');
    expect(service.spec?.ports).toEqual([
      expect.objectContaining({ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }),
    ]);
    expect(service.spec?.selector).toEqual({
      'app.kubernetes.io/name': 'llama-model',
      'app.kubernetes.io/instance': 'gemma',
    });
    const claim = await waitFor(
      () => client.getOrUndefined<V1PersistentVolumeClaim>(pvcPath(ns, 'gemma-model-cache')),
      { description: 'PVC gemma-model-cache', timeoutMs: 20_000 },
    );
    expect(claim.spec?.resources?.requests?.storage).toBe('2Gi');
    expect(claim.spec?.storageClassName).toBe('fast');
    expect(claim.metadata?.ownerReferences?.[0]?.uid).toBe(model.metadata.uid);

    const status = await waitForStatus('gemma', (m) => m.status?.phase !== undefined, 'a status');
    expect(status.status).toMatchObject({
      phase: 'Pending',
      observedGeneration: 1,
      replicas: 0,
      readyReplicas: 0,
      endpoint: `http://gemma.${ns}.svc:8080/v1`,
      selector: 'app.kubernetes.io/name=llama-model,app.kubernetes.io/instance=gemma',
    });
    expect(condition(status, 'Progressing')?.status).toBe('True');
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'ReplicasNotReady' });
  });

  it('renders a CPU-only model: no GPU limit, toleration or product selector, 0 GPU layers, no PVC', async () => {
    await createModel(client, userModel(ns, 'cpu', { gpu: { count: 0 }, runtime: { threads: 3 } }));
    const d = await waitForDeployment('cpu');
    const pod = d.spec!.template.spec!;
    expect(pod.containers[0]?.resources?.limits).toBeUndefined();
    expect(pod.tolerations).toBeUndefined();
    expect(pod.nodeSelector).toBeUndefined();
    expect(pod.volumes).toContainEqual({ name: 'model-cache', emptyDir: {} });
    expect(envOf(d).get('KUBELLAMA_GPU_LAYERS')?.value).toBe('0');
    expect(envOf(d).get('KUBELLAMA_THREADS')?.value).toBe('3');
    expect(await client.getOrUndefined(pvcPath(ns, 'cpu-model-cache'))).toBeUndefined();
  });

  it('follows changes of the LlamaModel, including removed fields', async () => {
    await createModel(
      client,
      userModel(ns, 'follow', { gpu: { count: 0 }, scheduling: { nodeSelector: { pool: 'a' } } }),
    );
    await waitForDeployment('follow');
    await client.patch(
      modelPath(ns, 'follow'),
      { spec: { replicas: 2, runtime: { contextSize: 8192 }, scheduling: null } },
      'merge',
    );
    const d = await waitForDeployment('follow', (x) => x.spec?.replicas === 2, 'with 2 replicas');
    expect(envOf(d).get('KUBELLAMA_CONTEXT_SIZE')?.value).toBe('8192');
    expect(d.spec?.template.spec?.nodeSelector).toBeUndefined();
  });

  it('restores a deleted Deployment and a field someone else changed', async () => {
    await createModel(client, userModel(ns, 'restore', { gpu: { count: 0 } }));
    const first = await waitForDeployment('restore');
    await client.delete(deploymentPath(ns, 'restore'));
    await waitForDeployment('restore', (d) => d.metadata?.uid !== first.metadata?.uid, 'recreated');
    // As `kubectl set image` would: a strategic merge patch from another field manager.
    await client.patch(
      deploymentPath(ns, 'restore'),
      { spec: { template: { spec: { containers: [{ name: 'runtime', image: 'evil:1' }] } } } },
      'strategic',
      { fieldManager: 'kubectl-set' },
    );
    await waitForDeployment(
      'restore',
      (d) => d.spec?.template.spec?.containers[0]?.image === TEST_IMAGE,
      'image restored',
    );
  });

  it('writes nothing to its children when only status changes, and nothing at all on a resync', async () => {
    await createModel(
      client,
      // Quantities the API server rewrites on the children (0.5 → 500m, 1024Mi → 1Gi) must still
      // count as unchanged.
      userModel(ns, 'quiet', {
        gpu: { count: 0 },
        model: { source: 'hf:a/b', cache: { size: '1024Mi' } },
        resources: { limits: { cpu: '0.5', memory: '1536Mi' } },
      }),
    );
    await waitForStatus('quiet', (m) => m.status?.phase === 'Pending', 'Pending');
    const versions = async () =>
      Promise.all([
        client.get<V1Deployment>(deploymentPath(ns, 'quiet')),
        client.get<V1Service>(servicePath(ns, 'quiet')),
        client.get<V1PersistentVolumeClaim>(pvcPath(ns, 'quiet-model-cache')),
      ]).then((objects) => objects.map((o) => o.metadata?.resourceVersion));
    const before = await versions();
    // Someone writes the status (it triggers a reconcile); the operator puts its own status back.
    await client.patch(
      modelPath(ns, 'quiet', 'status'),
      { status: { phase: 'Ready', readyReplicas: 7 } },
      'merge',
    );
    await waitForStatus(
      'quiet',
      (m) => m.status?.phase === 'Pending' && m.status.readyReplicas === 0,
      'status restored',
    );
    expect(await versions()).toEqual(before);
    const mark = operator.writes.length;
    operator.manager.resyncAll();
    await waitFor(
      async () =>
        operator.manager.controller.queue.length === 0 && operator.manager.controller.queue.inFlight === 0,
      {
        description: 'the resync to finish',
      },
    );
    expect(operator.writes.slice(mark)).toEqual([]);
    expect(await versions()).toEqual(before);
  });

  it("moves status and phase with the Deployment's status (written here as the controller-manager would)", async () => {
    await createModel(client, userModel(ns, 'rollout', { gpu: { count: 0 } }));
    const d = await waitForDeployment('rollout');
    const setStatus = (status: V1Deployment['status']) =>
      client.patch(deploymentPath(ns, 'rollout', 'status'), { status }, 'merge');
    const generation = d.metadata?.generation;
    await setStatus({
      observedGeneration: generation,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 0,
      availableReplicas: 0,
    });
    let m = await waitForStatus('rollout', (x) => x.status?.replicas === 1, 'replicas 1');
    expect(condition(m, 'Ready')?.status).toBe('False');
    expect(condition(m, 'Progressing')?.status).toBe('True');
    await setStatus({
      observedGeneration: generation,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
    });
    m = await waitForStatus('rollout', (x) => x.status?.phase === 'Ready', 'Ready');
    expect(condition(m, 'Ready')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(condition(m, 'Progressing')).toMatchObject({ status: 'False', reason: 'RolloutComplete' });
    expect(condition(m, 'Degraded')).toMatchObject({ status: 'False' });
    await setStatus({
      observedGeneration: generation,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 0,
      availableReplicas: 0,
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet "rollout-1" has timed out progressing.',
        },
      ],
    });
    m = await waitForStatus('rollout', (x) => x.status?.phase === 'Failed', 'Failed');
    expect(condition(m, 'Degraded')).toMatchObject({ status: 'True', reason: 'ProgressDeadlineExceeded' });
    expect(condition(m, 'Ready')?.status).toBe('False');
  });

  it('a child the API server refuses as invalid is Degraded/ApplyFailed with its message, and not retried', async () => {
    // The CRD cannot see that requests exceed limits; the Deployment's validation can.
    await createModel(
      client,
      userModel(ns, 'refused', { resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }),
    );
    const m = await waitForStatus('refused', (x) => condition(x, 'Degraded')?.status === 'True', 'Degraded');
    expect(condition(m, 'Degraded')).toMatchObject({ reason: 'ApplyFailed' });
    expect(condition(m, 'Degraded')?.message).toMatch(/must be less than or equal to cpu limit/);
    // An ordinary error is retried with backoff from 5 ms: many attempts a second. A terminal one is
    // not (the status write's own update event may bring one more reconcile, and then it is quiet).
    const refusals = () => operator.errors.filter((e) => /"refused" is invalid/.test(String(e)));
    await new Promise((r) => setTimeout(r, 500));
    const settled = refusals().length;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(refusals()).toHaveLength(settled);
    expect(settled).toBeLessThanOrEqual(2);
    for (const refusal of refusals()) expect(refusal).toBeInstanceOf(TerminalError);
  });

  // Found by fuzzing (test/reliability/fuzz-llamamodel.test.ts): server-side apply answers a field the
  // Deployment's type does not declare with a 500, which was retried forever as a transient error.
  it('a field the child type does not declare (inside opaque affinity) is Degraded/ApplyFailed, and not retried', async () => {
    await createModel(
      client,
      userModel(ns, 'undeclared', { scheduling: { affinity: { fieldRef: { fieldPath: 'metadata.name' } } } }),
    );
    const m = await waitForStatus(
      'undeclared',
      (x) => condition(x, 'Degraded')?.status === 'True',
      'Degraded',
    );
    expect(condition(m, 'Degraded')).toMatchObject({ reason: 'ApplyFailed' });
    expect(condition(m, 'Degraded')?.message).toMatch(/affinity\.fieldRef: field not declared in schema/);
    const refusals = () => operator.errors.filter((e) => /deployments\/undeclared/.test(String(e)));
    await new Promise((r) => setTimeout(r, 500));
    const settled = refusals().length;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(refusals()).toHaveLength(settled);
    expect(settled).toBeLessThanOrEqual(2);
    for (const refusal of refusals()) expect(refusal).toBeInstanceOf(TerminalError);
  });

  it('reports a failing model download as Degraded/ModelDownloadFailed with the message, and an Event', async () => {
    await createModel(client, userModel(ns, 'broken', { gpu: { count: 0 } }));
    const d = await waitForDeployment('broken');
    // The Pod the ReplicaSet controller would create, and the init container state a kubelet would report.
    const template = d.spec!.template;
    await client.create(podPath(ns), {
      metadata: { name: 'broken-abc', labels: template.metadata?.labels },
      spec: template.spec,
    });
    await client.patch(
      podPath(ns, 'broken-abc', 'status'),
      {
        status: {
          initContainerStatuses: [
            {
              name: 'pull',
              image: TEST_IMAGE,
              imageID: '',
              ready: false,
              restartCount: 3,
              state: {
                waiting: { reason: 'CrashLoopBackOff', message: 'back-off restarting failed container' },
              },
              lastState: {
                terminated: { exitCode: 1, reason: 'Error', message: 'sha256 mismatch: got 00ff, want aa11' },
              },
            },
          ],
        },
      },
      'merge',
    );
    const m = await waitForStatus('broken', (x) => x.status?.phase === 'Failed', 'Failed');
    expect(condition(m, 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'ModelDownloadFailed',
      message: 'sha256 mismatch: got 00ff, want aa11',
    });
    const events = await waitFor(
      async () => {
        const list = await client.get<{
          items: Array<{ reason: string; type: string; message: string; involvedObject: { name: string } }>;
        }>(`/api/v1/namespaces/${ns}/events`);
        const found = list.items.filter(
          (e) => e.involvedObject.name === 'broken' && e.reason === 'ModelDownloadFailed',
        );
        return found.length > 0 ? found : undefined;
      },
      { description: 'a ModelDownloadFailed event' },
    );
    expect(events[0]).toMatchObject({ type: 'Warning', message: 'sha256 mismatch: got 00ff, want aa11' });
  });

  it('records each time serving stops and starts again: Ready → ReplicasNotReady (Warning) → Ready, not deduplicated', async () => {
    await createModel(client, userModel(ns, 'flap', { gpu: { count: 0 } }));
    const d = await waitForDeployment('flap');
    const generation = d.metadata?.generation;
    const ready = async (n: number) => {
      await client.patch(
        deploymentPath(ns, 'flap', 'status'),
        {
          status: {
            observedGeneration: generation,
            replicas: 1,
            updatedReplicas: 1,
            readyReplicas: n,
            availableReplicas: n,
          },
        },
        'merge',
      );
      await waitForStatus('flap', (m) => (m.status?.readyReplicas ?? -1) === n, `readyReplicas ${n}`);
    };
    await ready(1);
    await ready(0);
    await ready(1);
    const events = await waitFor(
      async () => {
        const list = await client.get<{
          items: Array<{ reason: string; type: string; message: string; involvedObject: { name: string } }>;
        }>(`/api/v1/namespaces/${ns}/events`);
        const found = list.items.filter((e) => e.involvedObject.name === 'flap');
        return found.length >= 3 ? found : undefined;
      },
      { description: 'three events on flap' },
    );
    expect(events.map((e) => `${e.type} ${e.reason} ${e.message}`).sort()).toEqual([
      'Normal MinimumReplicasAvailable 1/1 replicas serving',
      'Normal MinimumReplicasAvailable 1/1 replicas serving',
      'Warning ReplicasNotReady 0/1 replicas serving',
    ]);
  });

  it('scales through the scale subresource (as kubectl scale does)', async () => {
    await createModel(client, userModel(ns, 'scaled', { gpu: { count: 0 } }));
    await waitForStatus('scaled', (m) => m.status?.selector !== undefined, 'a selector');
    await client.patch(modelPath(ns, 'scaled', 'scale'), { spec: { replicas: 3 } }, 'merge');
    await waitForDeployment('scaled', (d) => d.spec?.replicas === 3, 'with 3 replicas');
    const scale = await client.get<{ spec: { replicas: number }; status: { selector: string } }>(
      modelPath(ns, 'scaled', 'scale'),
    );
    expect(scale.spec.replicas).toBe(3);
    expect(scale.status.selector).toBe(
      'app.kubernetes.io/name=llama-model,app.kubernetes.io/instance=scaled',
    );
  });
});
