// The operator install on a private real API server with OwnerReferencesPermissionEnforcement on (as
// hardened clusters run it): the chart's objects created for real, then the operator's own calls
// made *as its ServiceAccount* (impersonation), so RBAC and admission both judge them. No kubelet:
// nothing runs, the calls are what the reconciler and leader election send.
import { randomUUID } from 'node:crypto';
import { Testing } from 'cdk8s';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperatorChart } from '../../charts/operator.js';
import { OPERATOR_CLUSTER_RULES } from '../../charts/operator-rbac.js';
import { type KubeApiServer, startKubeApiServer, waitFor } from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import type { Manifest } from './helpers/manifest.js';
import { collectionPath, type KubeResponse, kubeRequest } from './helpers/raw-kube.js';

const SYSTEM_NS = 'kubellama-system';
const MODELS_NS = 'models';
const OPERATOR = 'kubellama-operator';
const APPLY = 'application/apply-patch+yaml';
const MANAGER = '?fieldManager=kubellama-operator&force=true';

describe('operator calls as its ServiceAccount (RBAC + owner-reference admission)', () => {
  let server: KubeApiServer | undefined;
  let modelUid = '';
  printLogsOnFailure(() => server?.processes.map((p) => p.logFile) ?? []);

  const admin = (method: 'POST' | 'GET' | 'PATCH', path: string, body?: unknown, type?: string) =>
    kubeRequest(server!, method, path, body, type);
  const as =
    (sa: string) =>
    (method: 'POST' | 'GET' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown, type?: string) =>
      kubeRequest(server!, method, path, body, type, {
        'Impersonate-User': `system:serviceaccount:${SYSTEM_NS}:${sa}`,
        'Impersonate-Group': [
          'system:serviceaccounts',
          `system:serviceaccounts:${SYSTEM_NS}`,
          'system:authenticated',
        ],
      });
  const expectStatus = (response: KubeResponse, status: number, what: string) =>
    expect(response.status, `${what}: ${response.body.slice(0, 400)}`).toBe(status);

  function child(kind: 'Deployment' | 'Service' | 'PersistentVolumeClaim', spec: unknown): Manifest {
    const apiVersion = kind === 'Deployment' ? 'apps/v1' : 'v1';
    return {
      apiVersion,
      kind,
      metadata: {
        name: 'gemma',
        namespace: MODELS_NS,
        ownerReferences: [
          {
            apiVersion: 'inference.kubellama.dev/v1alpha1',
            kind: 'LlamaModel',
            name: 'gemma',
            uid: modelUid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec,
    } as Manifest;
  }

  const deployment = () =>
    child('Deployment', {
      selector: { matchLabels: { app: 'gemma' } },
      template: {
        metadata: { labels: { app: 'gemma' } },
        spec: { containers: [{ name: 'runtime', image: 'runtime:1' }] },
      },
    });

  beforeAll(async () => {
    server = await startKubeApiServer({
      extraArgs: ['--enable-admission-plugins=OwnerReferencesPermissionEnforcement'],
    });
    const objects = Testing.synth(new OperatorChart(Testing.app(), 'operator')) as Manifest[];
    // A second identity: the same ClusterRole minus the finalizers rule, to show that rule is needed.
    const trimmed = OPERATOR_CLUSTER_RULES.filter((r) => !r.resources?.includes('llamamodels/finalizers'));
    objects.push(
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'no-finalizers', namespace: SYSTEM_NS } },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'no-finalizers' },
        rules: trimmed,
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'no-finalizers' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'no-finalizers' },
        subjects: [{ kind: 'ServiceAccount', name: 'no-finalizers', namespace: SYSTEM_NS }],
      },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: MODELS_NS } },
    );
    for (const object of objects) {
      expectStatus(
        await admin('POST', collectionPath(object), object),
        201,
        `${object.kind}/${object.metadata.name}`,
      );
    }
    const crdPath =
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/llamamodels.inference.kubellama.dev';
    await waitFor(
      async () => {
        const crd = JSON.parse((await admin('GET', crdPath)).body);
        return crd.status?.conditions?.some(
          (c: { type: string; status: string }) => c.type === 'Established' && c.status === 'True',
        );
      },
      { description: 'the LlamaModel CRD to be established' },
    );
    const model = {
      apiVersion: 'inference.kubellama.dev/v1alpha1',
      kind: 'LlamaModel',
      metadata: { name: 'gemma', namespace: MODELS_NS },
      spec: { model: { source: 'hf:unsloth/gemma-3-270m-it-GGUF:Q8_0' } },
    };
    // The API server needs a moment after Established before it serves the new resource.
    const created = await waitFor(
      async () => {
        const response = await admin('POST', collectionPath(model as Manifest), model);
        return response.status === 201 ? response : undefined;
      },
      { description: 'a LlamaModel to be created' },
    );
    modelUid = JSON.parse(created.body).metadata.uid;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('lists and watches LlamaModels and children cluster-wide', async () => {
    const operator = as(OPERATOR);
    for (const path of [
      '/apis/inference.kubellama.dev/v1alpha1/llamamodels',
      '/apis/apps/v1/deployments',
      '/api/v1/services',
      '/api/v1/persistentvolumeclaims',
      '/api/v1/pods',
    ]) {
      expectStatus(await operator('GET', path), 200, `list ${path}`);
      expectStatus(await operator('GET', `${path}?watch=true&timeoutSeconds=1`), 200, `watch ${path}`);
    }
  });

  it('server-side applies owned children with blockOwnerDeletion, writes status and events', async () => {
    const operator = as(OPERATOR);
    const children = [
      deployment(),
      child('Service', { selector: { app: 'gemma' }, ports: [{ port: 8080 }] }),
      child('PersistentVolumeClaim', {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
      }),
    ];
    for (const object of children) {
      const path = `${collectionPath(object)}/${object.metadata.name}${MANAGER}`;
      expectStatus(await operator('PATCH', path, object, APPLY), 201, `apply ${object.kind}`);
    }
    const statusPath = `${collectionPath({ kind: 'LlamaModel', metadata: { name: 'gemma', namespace: MODELS_NS } })}/gemma/status`;
    const status = { status: { phase: 'Pending', observedGeneration: 1 } };
    expectStatus(
      await operator('PATCH', statusPath, status, 'application/merge-patch+json'),
      200,
      'status patch',
    );
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `gemma.${randomUUID()}`, namespace: MODELS_NS },
      involvedObject: {
        apiVersion: 'inference.kubellama.dev/v1alpha1',
        kind: 'LlamaModel',
        name: 'gemma',
        namespace: MODELS_NS,
        uid: modelUid,
      },
      reason: 'Progressing',
      message: 'rollout started',
      type: 'Normal',
      source: { component: OPERATOR },
    };
    expectStatus(await operator('POST', collectionPath(event as unknown as Manifest), event), 201, 'event');
  });

  it('applies, lists and deletes an owned HPA, and hands Deployment replicas over under a second field manager', async () => {
    const operator = as(OPERATOR);
    const path = '/apis/autoscaling/v2/horizontalpodautoscalers';
    expectStatus(await operator('GET', path), 200, 'list HPAs');
    expectStatus(await operator('GET', `${path}?watch=true&timeoutSeconds=1`), 200, 'watch HPAs');
    const base = child('Deployment', {});
    const hpa = {
      ...base,
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gemma' },
        minReplicas: 1,
        maxReplicas: 3,
        metrics: [
          {
            type: 'Pods',
            pods: {
              metric: { name: 'kubellama_requests_load' },
              target: { type: 'AverageValue', averageValue: '4' },
            },
          },
        ],
      },
    };
    const hpaPath = `/apis/autoscaling/v2/namespaces/${MODELS_NS}/horizontalpodautoscalers/gemma`;
    expectStatus(await operator('PATCH', `${hpaPath}${MANAGER}`, hpa, APPLY), 201, 'apply the HPA');
    const handoff = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'gemma', namespace: MODELS_NS },
      spec: { replicas: 1 },
    };
    expectStatus(
      await operator(
        'PATCH',
        `/apis/apps/v1/namespaces/${MODELS_NS}/deployments/gemma?fieldManager=kubellama-autoscaler-handoff&force=true`,
        handoff,
        APPLY,
      ),
      200,
      'replicas hand-off',
    );
    expectStatus(await operator('DELETE', hpaPath), 200, 'delete the HPA');
  });

  it('needs the finalizers rule: without it, admission refuses blockOwnerDeletion', async () => {
    // A new object: the plugin judges owner references as they are added.
    const base = deployment();
    const object = { ...base, metadata: { ...base.metadata, name: 'gemma-canary' } };
    const path = `${collectionPath(object)}/${object.metadata.name}${MANAGER}&dryRun=All`;
    expectStatus(await as(OPERATOR)('PATCH', path, object, APPLY), 201, 'with the finalizers rule');
    const refused = await as('no-finalizers')('PATCH', path, object, APPLY);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatch(/blockOwnerDeletion|finalizers/);
  });

  it('holds its Lease in its own namespace only, and reads no Secrets', async () => {
    const operator = as(OPERATOR);
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: OPERATOR, namespace: SYSTEM_NS },
      spec: { holderIdentity: 'op-1', leaseDurationSeconds: 15 },
    };
    const leases = collectionPath(lease as Manifest);
    const created = await operator('POST', leases, lease);
    expectStatus(created, 201, 'create lease');
    expectStatus(await operator('GET', `${leases}/${OPERATOR}`), 200, 'get lease');
    const renewed = {
      ...JSON.parse(created.body),
      spec: {
        holderIdentity: 'op-1',
        leaseDurationSeconds: 15,
        renewTime: new Date().toISOString().replace(/\.\d+Z$/, '.000000Z'),
      },
    };
    expectStatus(await operator('PUT', `${leases}/${OPERATOR}`, renewed), 200, 'renew lease');
    const elsewhere = { ...lease, metadata: { name: OPERATOR, namespace: MODELS_NS } };
    expectStatus(
      await operator('POST', collectionPath(elsewhere as Manifest), elsewhere),
      403,
      'lease in a user namespace',
    );
    expectStatus(await operator('GET', '/api/v1/secrets'), 403, 'list secrets');
    expectStatus(await operator('GET', `/api/v1/namespaces/${SYSTEM_NS}/secrets`), 403, 'list own secrets');
  });
});
