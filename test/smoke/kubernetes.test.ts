// The real kube-apiserver + etcd from the harness accepts a CustomResourceDefinition and an object of
// it; the real controller-manager and scheduler run Deployments (without a kubelet).
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type KubeApiServer,
  type KubeControllers,
  startKubeApiServer,
  startKubeControllers,
  waitFor,
} from '../harness/index.js';
import {
  createTestNamespace,
  printKubeLogsOnFailure,
  printLogsOnFailure,
  sharedKubeConfig,
} from '../harness/vitest.js';

const GROUP = 'smoke.kubellama.dev';

function widgetCrd(): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['size'],
                  properties: { size: { type: 'integer', minimum: 1 }, color: { type: 'string' } },
                },
              },
            },
          },
        },
      ],
    },
  };
}

describe('kube-apiserver (real, shared by the run)', () => {
  printKubeLogsOnFailure();
  const kc = sharedKubeConfig();

  it('accepts a CRD, then validates and stores an object of it', async () => {
    const extensions = kc.makeApiClient(ApiextensionsV1Api);
    await extensions.createCustomResourceDefinition({ body: widgetCrd() });
    await waitFor(
      async () => {
        const crd = await extensions.readCustomResourceDefinition({ name: `widgets.${GROUP}` });
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      },
      { description: 'the Widget CRD to be Established' },
    );

    const namespace = await createTestNamespace(kc, 'smoke');
    const objects = kc.makeApiClient(CustomObjectsApi);
    const target = { group: GROUP, version: 'v1', namespace, plural: 'widgets' };
    // The CRD may be Established a moment before its REST endpoint serves: retry the first create.
    await waitFor(
      async () =>
        objects.createNamespacedCustomObject({
          ...target,
          body: {
            apiVersion: `${GROUP}/v1`,
            kind: 'Widget',
            metadata: { name: 'w1' },
            spec: { color: 'blue', size: 3 },
          },
        }),
      { description: 'the first Widget to be created' },
    );
    const stored = (await objects.getNamespacedCustomObject({ ...target, name: 'w1' })) as {
      spec: { size: number; color: string };
      metadata: { uid: string };
    };
    expect(stored.spec).toEqual({ color: 'blue', size: 3 });
    expect(stored.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);

    // The schema is enforced by the server itself, with the field named in the message.
    await expect(
      objects.createNamespacedCustomObject({
        ...target,
        body: { apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name: 'w2' }, spec: { size: 0 } },
      }),
    ).rejects.toThrow(/spec\.size/);
  });
});

describe('startKubeApiServer', () => {
  let stopped: Promise<void> | undefined;
  afterAll(async () => stopped);

  it('starts a private server and stops every process it started', async () => {
    const server = await startKubeApiServer();
    const pids = server.processes.map((p) => p.pid);
    const namespaces = await server.kubeConfig().makeApiClient(CoreV1Api).listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toContain('default');
    stopped = server.stop();
    await stopped;
    for (const pid of pids) expect(() => process.kill(-pid, 0)).toThrow(/ESRCH/);
  });
});

describe('kube-controller-manager and kube-scheduler (real, private API server; no kubelet)', () => {
  let server: KubeApiServer | undefined;
  let controllers: KubeControllers | undefined;
  afterAll(async () => {
    await controllers?.stop();
    await server?.stop();
  });
  printLogsOnFailure(() =>
    [...(server?.processes ?? []), ...(controllers?.processes ?? [])].map((p) => p.logFile),
  );

  it('turns a Deployment into a ReplicaSet and Pods, and garbage-collects them with their owner', async () => {
    server = await startKubeApiServer({ serviceAccountAdmission: true });
    controllers = await startKubeControllers(server);
    const kc = server.kubeConfig();
    const namespace = await createTestNamespace(kc, 'controllers');
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);

    // The serviceaccount controller creates `default`, which ServiceAccount admission requires.
    await waitFor(async () => core.readNamespacedServiceAccount({ name: 'default', namespace }), {
      description: 'the default ServiceAccount',
    });
    const labels = { app: 'smoke' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'smoke' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'c', image: 'example.invalid/none:1' }] },
          },
        },
      },
    });
    const pods = await waitFor(
      async () => {
        const list = await core.listNamespacedPod({ namespace });
        return list.items.length === 2 ? list.items : undefined;
      },
      { description: 'two Pods from the Deployment' },
    );
    expect(pods.every((p) => p.metadata?.ownerReferences?.[0]?.kind === 'ReplicaSet')).toBe(true);
    expect(pods.every((p) => p.status?.phase === 'Pending')).toBe(true);

    await apps.deleteNamespacedDeployment({ name: 'smoke', namespace });
    await waitFor(async () => (await apps.listNamespacedReplicaSet({ namespace })).items.length === 0, {
      description: 'the garbage collector to delete the ReplicaSet',
    });
  });
});
