// A real `helm install` of the chart `npm run synth` writes into a private API server (the install
// is cluster-scoped: the CRD and ClusterRoles must not meet another suite's), in a namespace of its
// own, with non-default values; then uninstall. Helm prints NOTES.txt on install, rendered here
// for the real server's version. `helm test` is not run: its Pod needs a kubelet, which this API
// server has none of; test/charts/helm-test-hook.test.ts runs the hook's script as a process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { writeHelmChart } from '../../charts/helm-chart.js';
import { type KubeApiServer, startKubeApiServer } from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import { binaryPath } from '../tools/catalog.js';
import { kubeRequest } from './helpers/raw-kube.js';

const HELM = binaryPath('helm');
const NAMESPACE = 'team-llm';
const RELEASE = 'my-llama';

describe('helm install into a real API server', () => {
  let server: KubeApiServer | undefined;
  const outDir = mkdtempSync(join(tmpdir(), 'kubellama-helm-install-'));
  const chartDir = writeHelmChart(outDir);
  printLogsOnFailure(() => server?.processes.map((p) => p.logFile) ?? []);

  function helm(...args: string[]) {
    return spawnSync(HELM, [...args, '--kubeconfig', server!.kubeconfigPath], {
      encoding: 'utf8',
      // Helm's cache and config stay in the test's folder.
      env: { ...process.env, HELM_CACHE_HOME: outDir, HELM_CONFIG_HOME: outDir, HELM_DATA_HOME: outDir },
    });
  }
  const get = async (path: string) => {
    const response = await kubeRequest(server!, 'GET', path);
    return { status: response.status, body: response.status === 200 ? JSON.parse(response.body) : undefined };
  };

  beforeAll(async () => {
    server = await startKubeApiServer();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('installs with daemonset collector and badger Jaeger in its own namespace, prints NOTES, uninstalls', async () => {
    const install = helm(
      'install',
      RELEASE,
      chartDir,
      '-n',
      NAMESPACE,
      '--create-namespace',
      '--set',
      'otelCollector.mode=daemonset',
      '--set',
      'jaeger.storage.type=badger',
      '--set',
      'jaeger.storage.badger.size=5Gi',
      '--set',
      'operator.replicaCount=2',
    );
    expect(install.stderr).toBe('');
    expect(install.status).toBe(0);
    expect(install.stdout).toContain('STATUS: deployed');

    // NOTES.txt, rendered by Helm for this release.
    const notes = install.stdout.slice(install.stdout.indexOf('NOTES:'));
    expect(notes).toContain(`kubellama 0.1.0 is installed in namespace ${NAMESPACE}.`);
    expect(notes).toContain(`kubectl -n ${NAMESPACE} rollout status deployment/kubellama-operator`);
    expect(notes).toContain(`kubectl -n ${NAMESPACE} port-forward svc/jaeger 16686:16686`);
    expect(notes).toContain('kubectl get lm -n demo -o wide');
    expect(notes).toContain(`helm test ${RELEASE} -n ${NAMESPACE}`);
    // The first model between the heredoc markers is the demo's sample, as kubectl would read it.
    const sample = notes.slice(notes.indexOf("<<'YAML'\n") + 8, notes.indexOf('\nYAML\n'));
    expect(parseYaml(sample)).toEqual(parseYaml(readFileSync('kind/samples/gemma.yaml', 'utf8')));

    // The objects are there, in the release namespace, with the values.
    const apps = `/apis/apps/v1/namespaces/${NAMESPACE}`;
    expect((await get(`${apps}/daemonsets/otel-collector`)).status).toBe(200);
    expect((await get(`${apps}/deployments/otel-collector`)).status).toBe(404);
    expect((await get(`${apps}/deployments/kubellama-operator`)).body.spec.replicas).toBe(2);
    const claim = await get(`/api/v1/namespaces/${NAMESPACE}/persistentvolumeclaims/jaeger-data`);
    expect(claim.body.spec.resources.requests.storage).toBe('5Gi');
    const binding = await get('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/kubellama-operator');
    expect(binding.body.subjects[0].namespace).toBe(NAMESPACE);
    const crd = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/llamamodels.inference.kubellama.dev';
    expect((await get(crd)).status).toBe(200);

    // A second release elsewhere meets the first one's cluster-scoped operator RBAC: Helm refuses it by name.
    const second = helm('install', 'other', chartDir, '-n', 'team-b', '--create-namespace');
    expect(second.status).not.toBe(0);
    expect(second.stderr).toMatch(/ClusterRole "kubellama-operator".*exists and cannot be imported/);

    const uninstall = helm('uninstall', RELEASE, '-n', NAMESPACE);
    expect(uninstall.status, uninstall.stderr).toBe(0);
    expect((await get(`${apps}/deployments/kubellama-operator`)).status).toBe(404);
    expect(
      (await get('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/kubellama-operator')).status,
    ).toBe(404);
    // Helm never deletes what it installed from crds/ (the models would go with it).
    expect((await get(crd)).status).toBe(200);
  }, 120_000);
});
