// spec.autoscaling against a real API server and the real kube-controller-manager, whose HPA
// controller acts on the operator's HorizontalPodAutoscalers (no kubelet: pods never start). A
// private API server: the suite installs a (minimal) KEDA CRD, cluster-wide, and checks what a model
// says without it, which must not meet other suites. No metrics API is installed, so the HPA
// controller reports that it cannot read the load metric — what a user without prometheus-adapter
// sees — and still holds the Deployment within minReplicas..maxReplicas.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, type V1Deployment, type V1ManagedFieldsEntry } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { LOAD_METRIC, loadQuery } from '../../charts/llama-model-autoscaler.js';
import type { LlamaModel } from '../../operator/api/llama-model.js';
import { isNotFound } from '../../operator/kube/errors.js';
import type { KubeClient, KubeObject } from '../../operator/kube/kube-client.js';
import { deploymentPath, hpaPath, modelPath, scaledObjectPath } from '../../operator/llamamodel/paths.js';
import { FIELD_MANAGER } from '../../operator/llamamodel/reconciler.js';
import {
  type KubeApiServer,
  type KubeControllers,
  startKubeApiServer,
  startKubeControllers,
  waitFor,
} from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import { clientFor, createModel, installCrd, userModel } from './support/kube.js';
import { type RunningOperator, runOperator } from './support/operator.js';

const NS = 'autoscaling';
const PROMETHEUS = 'http://prometheus.observability.svc:9090';
const CPU = { gpu: { count: 0 } };

interface Hpa extends KubeObject {
  spec: {
    scaleTargetRef: { apiVersion: string; kind: string; name: string };
    minReplicas: number;
    maxReplicas: number;
    metrics: unknown[];
    behavior?: { scaleDown?: { stabilizationWindowSeconds?: number } };
  };
  status?: { conditions?: Array<{ type: string; status: string; reason: string; message: string }> };
}

/** Whether `manager`'s Apply entry owns the Deployment's spec.replicas. */
function ownsReplicas(d: V1Deployment, manager: string): boolean {
  return (d.metadata?.managedFields ?? []).some(
    (f: V1ManagedFieldsEntry) =>
      f.manager === manager &&
      (f.fieldsV1 as { 'f:spec'?: Record<string, unknown> } | undefined)?.['f:spec']?.['f:replicas'] !==
        undefined,
  );
}

describe('spec.autoscaling (real API server and controller-manager)', () => {
  let server: KubeApiServer | undefined;
  let controllers: KubeControllers | undefined;
  let client: KubeClient;
  let operator: RunningOperator | undefined;
  printLogsOnFailure(() => [
    ...(server?.processes.map((p) => p.logFile) ?? []),
    ...(controllers?.processes.map((p) => p.logFile) ?? []),
  ]);

  const get = <T>(path: string) => client.get<T>(path);
  const until = <T>(description: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000) =>
    waitFor(async () => (await check()) || undefined, {
      description,
      timeoutMs,
      intervalMs: 100,
    }) as Promise<T>;
  const deployment = (name: string) => get<V1Deployment>(deploymentPath(NS, name));
  const hpa = (name: string) => client.getOrUndefined<Hpa>(hpaPath(NS, name));
  const condition = (m: LlamaModel, type: string) => m.status?.conditions?.find((c) => c.type === type);
  /** Waits until the operator has nothing queued or in flight and wrote nothing for a second. */
  const quiet = async () => {
    let last = -1;
    let since = Date.now();
    await until('the operator to go quiet', async () => {
      const { queue } = operator!.manager.controller;
      if (operator!.writes.length !== last) [last, since] = [operator!.writes.length, Date.now()];
      return queue.length === 0 && queue.inFlight === 0 && Date.now() - since > 1_000;
    });
  };
  const drained = () =>
    until('the operator to go idle', async () => {
      const { queue } = operator!.manager.controller;
      return queue.length === 0 && queue.inFlight === 0;
    });

  beforeAll(async () => {
    server = await startKubeApiServer();
    controllers = await startKubeControllers(server);
    const kc = new KubeConfig();
    kc.loadFromFile(server.kubeconfigPath);
    client = await clientFor(kc);
    await installCrd(client);
    await client.create('/api/v1/namespaces', { metadata: { name: NS } });
    operator = await runOperator(kc, NS, { kedaRecheckMs: 300, kedaPrometheusAddress: PROMETHEUS });
  }, 120_000);

  afterAll(async () => {
    await operator?.stop();
    await controllers?.stop();
    await server?.stop();
  });

  it('creates an owned HPA on the Deployment with the load metric, and follows the spec', async () => {
    const model = await createModel(
      client,
      userModel(NS, 'chat', {
        ...CPU,
        autoscaling: {
          minReplicas: 2,
          maxReplicas: 5,
          targetRequestsPerReplica: 3,
          scaleDownDelaySeconds: 120,
        },
      }),
    );
    const created = await until('the HPA', () => hpa('chat'));
    expect(created.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'chat' },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [
        {
          type: 'Pods',
          pods: {
            metric: { name: 'kubellama_requests_load' },
            target: { type: 'AverageValue', averageValue: '3' },
          },
        },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 120 } },
    });
    expect(LOAD_METRIC).toBe('kubellama_requests_load');
    expect(created.metadata?.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'LlamaModel',
        name: 'chat',
        uid: model.metadata.uid,
        controller: true,
      }),
    ]);

    // The operator never applied replicas; the real HPA controller raises the Deployment to minReplicas.
    const d = await until('the HPA controller to scale to minReplicas', async () => {
      const live = await deployment('chat');
      return live.spec?.replicas === 2 && live;
    });
    expect(ownsReplicas(d, FIELD_MANAGER)).toBe(false);
    expect(d.metadata?.annotations?.['kubellama.dev/replicas-owner']).toBe('HorizontalPodAutoscaler');
    // Without a metrics adapter the HPA says it cannot read the metric (kubectl describe hpa shows this).
    const failing = await until('the HPA to report the missing metric', async () => {
      const live = await hpa('chat');
      const active = live?.status?.conditions?.find((c) => c.type === 'ScalingActive');
      return active?.status === 'False' && active;
    });
    expect(failing.message).toContain(LOAD_METRIC);
    // The model's status counts the replicas the autoscaler chose.
    await until('status.replicas 2', async () => {
      const m = await get<LlamaModel>(modelPath(NS, 'chat'));
      return m.status?.replicas === 2 && /\/2 replicas/.test(condition(m, 'Ready')?.message ?? '');
    });

    await client.patch(
      modelPath(NS, 'chat'),
      { spec: { autoscaling: { maxReplicas: 7, targetRequestsPerReplica: 6 } } },
      'merge',
    );
    const updated = await until('the HPA updated', async () => {
      const live = await hpa('chat');
      return live?.spec.maxReplicas === 7 && live;
    });
    expect(updated.metadata?.uid).toBe(created.metadata?.uid);
    expect(updated.spec.metrics).toMatchObject([{ pods: { target: { averageValue: '6' } } }]);
  });

  it('leaves the replicas to the autoscaler and to kubectl scale on the Deployment, even when it re-applies', async () => {
    // kubectl scale deployment/chat --replicas=4 (within the HPA's bounds: it keeps the count).
    await client.patch(deploymentPath(NS, 'chat', 'scale'), { spec: { replicas: 4 } }, 'merge', {
      fieldManager: 'kubectl',
    });
    // A spec change that really changes the Deployment: the operator applies it, without replicas.
    const before = await deployment('chat');
    await client.patch(modelPath(NS, 'chat'), { spec: { runtime: { contextSize: 8192 } } }, 'merge');
    const after = await until('the new pod template', async () => {
      const live = await deployment('chat');
      const env = live.spec?.template.spec?.containers[0]?.env ?? [];
      return env.some((e) => e.name === 'KUBELLAMA_CONTEXT_SIZE' && e.value === '8192') && live;
    });
    expect(after.metadata?.generation).toBeGreaterThan(before.metadata?.generation ?? 0);
    expect(after.spec?.replicas).toBe(4);
    expect(ownsReplicas(after, FIELD_MANAGER)).toBe(false);
    // kubectl scale on the LlamaModel would set spec.replicas: the CRD refuses it while autoscaling is on
    // (anything but the default 1, which spec.replicas keeps while the autoscaler decides).
    await expect(
      client.patch(modelPath(NS, 'chat', 'scale'), { spec: { replicas: 2 } }, 'merge'),
    ).rejects.toThrow(/spec\.replicas.*must not be set together with autoscaling/);

    // A resync with nothing changed writes nothing (HPA status updates do not make it re-apply).
    await quiet();
    const mark = operator!.writes.length;
    operator!.manager.resyncAll();
    await drained();
    expect(operator!.writes.slice(mark)).toEqual([]);
    expect((await deployment('chat')).spec?.replicas).toBe(4);
  });

  it('turning autoscaling on keeps the running replicas; turning it off removes the HPA and takes replicas back', async () => {
    await createModel(client, userModel(NS, 'plain', { ...CPU, replicas: 3 }));
    await until('3 replicas', async () => (await deployment('plain')).spec?.replicas === 3);
    // The replicas field is the operator's until the autoscaler takes over.
    expect(ownsReplicas(await deployment('plain'), FIELD_MANAGER)).toBe(true);
    await client.patch(
      modelPath(NS, 'plain'),
      { spec: { replicas: null, autoscaling: { minReplicas: 1, maxReplicas: 6 } } },
      'merge',
    );
    await until('the HPA', () => hpa('plain'));
    const handedOver = await until('the Deployment applied without replicas', async () => {
      const live = await deployment('plain');
      return live.metadata?.annotations?.['kubellama.dev/replicas-owner'] !== undefined && live;
    });
    // Not cut to the Deployment default (1) by server-side apply dropping the field: still 3.
    expect(handedOver.spec?.replicas).toBe(3);
    expect(ownsReplicas(handedOver, FIELD_MANAGER)).toBe(false);

    await client.patch(modelPath(NS, 'chat'), { spec: { autoscaling: null, replicas: 2 } }, 'merge');
    await until('the HPA removed', async () => (await hpa('chat')) === undefined);
    const d = await until("2 replicas, the operator's again", async () => {
      const live = await deployment('chat');
      return live.spec?.replicas === 2 && ownsReplicas(live, FIELD_MANAGER) && live;
    });
    expect(d.metadata?.annotations?.['kubellama.dev/replicas-owner']).toBeUndefined();
  });

  it('engine keda without KEDA: Degraded naming what to install; a ScaledObject once the CRD exists', async () => {
    await createModel(
      client,
      userModel(NS, 'queue', {
        ...CPU,
        autoscaling: { engine: 'keda', minReplicas: 1, maxReplicas: 3, targetRequestsPerReplica: 2 },
      }),
    );
    const degraded = await until('Degraded/KedaNotInstalled', async () => {
      const m = await get<LlamaModel>(modelPath(NS, 'queue'));
      const c = condition(m, 'Degraded');
      return c?.reason === 'KedaNotInstalled' && c;
    });
    expect(degraded).toMatchObject({ status: 'True' });
    expect(degraded.message).toMatch(/keda\.sh\/v1alpha1 ScaledObjects: install KEDA \(https:\/\/keda\.sh/);
    // The rest is applied; no HPA stands in for the missing ScaledObject; not an error retried with backoff.
    await until('the Deployment', () => deployment('queue'));
    expect(await hpa('queue')).toBeUndefined();
    expect(operator!.errors.filter((e) => /queue/.test(String(e)))).toEqual([]);
    const events = await get<{
      items: Array<{ reason: string; type: string; involvedObject: { name: string } }>;
    }>(`/api/v1/namespaces/${NS}/events`);
    expect(
      events.items.filter((e) => e.involvedObject.name === 'queue' && e.reason === 'KedaNotInstalled'),
    ).toEqual([expect.objectContaining({ type: 'Warning' })]);

    const crds = parseAllDocuments(
      readFileSync(join(import.meta.dirname, 'fixtures', 'keda-crds.yaml'), 'utf8'),
    ).map((doc) => doc.toJS() as KubeObject);
    for (const crd of crds)
      await client.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    interface ScaledObject extends KubeObject {
      spec: Record<string, unknown> & { triggers: Array<{ type: string; metadata: Record<string, string> }> };
    }
    const scaledObject = await until(
      'the ScaledObject',
      async () => {
        try {
          return await get<ScaledObject>(scaledObjectPath(NS, 'queue'));
        } catch (error) {
          if (isNotFound(error)) return undefined;
          throw error;
        }
      },
      60_000,
    );
    expect(scaledObject.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'queue' },
      minReplicaCount: 1,
      maxReplicaCount: 3,
      advanced: {
        horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 300 } } },
      },
    });
    expect(scaledObject.spec.triggers).toEqual([
      {
        type: 'prometheus',
        metricType: 'AverageValue',
        metadata: { serverAddress: PROMETHEUS, query: loadQuery(NS, 'queue'), threshold: '2' },
      },
    ]);
    expect(loadQuery(NS, 'queue')).toBe(
      `sum(kubellama_requests_load{namespace="${NS}",pod=~"queue-[a-z0-9]+-[a-z0-9]+"})`,
    );
    // (Still Degraded, now for the pods no node takes: this cluster has no node.)
    await until('KedaNotInstalled cleared', async () => {
      const m = await get<LlamaModel>(modelPath(NS, 'queue'));
      return condition(m, 'Degraded')?.reason !== 'KedaNotInstalled';
    });

    // Switching engines replaces the one autoscaler with the other.
    await client.patch(modelPath(NS, 'queue'), { spec: { autoscaling: { engine: 'hpa' } } }, 'merge');
    await until('the HPA', () => hpa('queue'));
    await until('the ScaledObject removed', async () => {
      try {
        await get(scaledObjectPath(NS, 'queue'));
        return false;
      } catch (error) {
        return isNotFound(error);
      }
    });
  });
});
