// Every synthesized object, in file order (what `kubectl apply -f dist/manifests/<file>` sends), is
// accepted by a real API server through a server-side dry-run create. A private API server: the
// install is cluster-scoped (CRD, ClusterRoles) and must not meet another suite's objects.
// Namespaces and the CRD are really created once accepted, as kubectl apply would have by then.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiObject } from 'cdk8s';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { installApp } from '../../charts/install.js';
import { monitoringApp } from '../../charts/monitoring.js';
import { type KubeApiServer, startKubeApiServer, waitFor } from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import { collectionPath, kubeRequest, type ManifestObject } from './helpers/raw-kube.js';

const FIELD_MANAGER = 'kubellama-chart-test';
const NAMESPACE = 'kubellama-system';

type Manifest = ManifestObject & {
  spec?: { template?: { metadata?: { labels?: Record<string, string> }; spec?: unknown } };
};

/** Each chart's objects in the order its file lists them, charts in file (alphabetical) order. */
function manifestsInApplyOrder(app: ReturnType<typeof installApp>): Manifest[] {
  return [...app.charts]
    .sort((a, b) => a.node.id.localeCompare(b.node.id))
    .flatMap((chart) => chart.toJson() as ReturnType<ApiObject['toJson']>[]) as Manifest[];
}

const DRY_RUN = `?dryRun=All&fieldManager=${FIELD_MANAGER}`;

describe('synthesized manifests against a real API server', () => {
  let server: KubeApiServer | undefined;
  const create = (object: unknown, query = DRY_RUN) =>
    kubeRequest(server!, 'POST', `${collectionPath(object as ManifestObject)}${query}`, object);
  printLogsOnFailure(() => server?.processes.map((p) => p.logFile) ?? []);

  beforeAll(async () => {
    server = await startKubeApiServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('accepts every object of every chart (agent, badger and CRD included) by dry-run create', async () => {
    const objects = manifestsInApplyOrder(
      installApp({ collector: { agent: {} }, jaeger: { storage: { type: 'badger', size: '5Gi' } } }),
    );
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of [
      'Namespace',
      'CustomResourceDefinition',
      'ClusterRole',
      'Role',
      'ConfigMap',
      'Service',
      'PersistentVolumeClaim',
      'Deployment',
      'DaemonSet',
    ]) {
      expect(kinds, kind).toContain(kind);
    }
    const accepted: string[] = [];
    for (const object of objects) {
      const what = `${object.kind}/${object.metadata.name}`;
      const response = await create(object);
      if (response.status === 409 && object.kind === 'Namespace') {
        // Each file carries the shared Namespace; applying it again is a (dry-run) server-side apply.
        const path = `${collectionPath(object)}/${object.metadata.name}${DRY_RUN}&force=true`;
        const applied = await kubeRequest(server!, 'PATCH', path, object, 'application/apply-patch+yaml');
        expect(applied.status, `${what} re-applied: ${applied.body}`).toBe(200);
        continue;
      }
      expect(response.status, `${what}: ${response.body}`).toBe(201);
      if (object.kind === 'Namespace' || object.kind === 'CustomResourceDefinition') {
        expect((await create(object, `?fieldManager=${FIELD_MANAGER}`)).status).toBe(201);
      }
      accepted.push(what);
    }
    expect(accepted.length).toBeGreaterThan(20);
  });

  it('runs every workload under the namespace\'s "restricted" Pod Security enforcement', async () => {
    const objects = manifestsInApplyOrder(
      installApp({ collector: { agent: {} }, jaeger: { storage: { type: 'badger' } } }),
    );
    const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet');
    expect(workloads.map((w) => w.metadata.name).sort()).toEqual([
      'jaeger',
      'kubellama-operator',
      'otel-agent',
      'otel-collector',
    ]);
    for (const workload of workloads) {
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${workload.metadata.name}-pss`,
          namespace: NAMESPACE,
          labels: workload.spec?.template?.metadata?.labels,
        },
        spec: workload.spec?.template?.spec,
      };
      const response = await create(pod);
      expect(response.status, `${workload.metadata.name}: ${response.body}`).toBe(201);
    }
    // The enforcement is real: a pod that may escalate privileges is refused in the same namespace.
    const loose = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'loose', namespace: NAMESPACE },
      spec: { containers: [{ name: 'c', image: 'busybox:1.37' }] },
    };
    const refused = await create(loose);
    expect(refused.status).toBe(403);
    expect((JSON.parse(refused.body) as { message: string }).message).toMatch(
      /violates PodSecurity "restricted/,
    );
  });

  it('accepts the optional Prometheus Operator monitors once its CRDs are installed, and not before', async () => {
    const monitors = monitoringApp({ namespace: NAMESPACE }).charts.flatMap(
      (chart) => chart.toJson() as Manifest[],
    );
    expect(monitors.map((o) => o.kind).sort()).toEqual(['PodMonitor', 'ServiceMonitor']);
    await create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }, '');
    // Without the CRDs there is no such kind: why they are not part of the install.
    expect((await create(monitors[0])).status).toBe(404);
    const crds = parseAllDocuments(
      readFileSync(join(import.meta.dirname, 'fixtures', 'monitoring-crds.yaml'), 'utf8'),
    ).map((d) => d.toJS() as ManifestObject);
    for (const crd of crds) expect((await create(crd, '')).status).toBe(201);
    await waitFor(
      async () =>
        (await kubeRequest(server!, 'GET', '/apis/monitoring.coreos.com/v1', undefined)).status === 200,
      { description: 'monitoring.coreos.com/v1 served' },
    );
    for (const monitor of monitors) {
      // Strict: a field the kind does not declare is an error, not silently dropped.
      const response = await waitFor(
        async () => {
          const r = await create(monitor, `${DRY_RUN}&fieldValidation=Strict`);
          return r.status === 404 ? undefined : r;
        },
        { description: `${monitor.kind} served` },
      );
      expect(response.status, `${monitor.kind}: ${response.body}`).toBe(201);
    }
  });
});
