// The operator's own connection loading (no client-node KubeConfig) against the real API server: a
// kubeconfig file with a token and a CA file, the in-cluster service account layout (token re-read
// when it rotates), and the fall-back to client-node for auth it does not read itself.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { KubeApiError } from '../../operator/kube/errors.js';
import { KubeClient } from '../../operator/kube/kube-client.js';
import { inClusterConnection, kubeconfigConnection } from '../../operator/kube/kube-connection.js';
import { printKubeLogsOnFailure } from '../harness/vitest.js';

describe('kube-connection (shared API server)', () => {
  printKubeLogsOnFailure();
  const dir = mkdtempSync(join(tmpdir(), 'kube-connection-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = () => parse(readFileSync(inject('kubeconfigPath'), 'utf8'));

  it('reads a kubeconfig with a token and a CA file, and the API server accepts it', async () => {
    const connection = await kubeconfigConnection(inject('kubeconfigPath'));
    expect(connection).toBeDefined();
    const client = await KubeClient.fromConnection(connection!);
    const namespaces = await client.get<{ items: unknown[] }>('/api/v1/namespaces');
    expect(namespaces.items.length).toBeGreaterThan(0);
  });

  it('reads the in-cluster service account files, and a rotated token on the next refresh', async () => {
    const config = kubeconfig();
    const cluster = config.clusters[0].cluster;
    const token = config.users[0].user.token as string;
    const sa = join(dir, 'serviceaccount');
    mkdirSync(sa);
    writeFileSync(join(sa, 'ca.crt'), readFileSync(cluster['certificate-authority']));
    writeFileSync(join(sa, 'token'), `${token}\n`);
    const url = new URL(cluster.server);
    const connection = inClusterConnection(
      { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port },
      sa,
    );
    expect(connection.server).toBe(cluster.server);
    const client = await KubeClient.fromConnection(connection);
    await client.get('/api/v1/namespaces/default');
    writeFileSync(join(sa, 'token'), 'rotated-and-wrong');
    expect(await connection.headers()).toEqual({ Authorization: 'Bearer rotated-and-wrong' });
    const rejected = await KubeClient.fromConnection(connection);
    await expect(rejected.get('/api/v1/namespaces/default')).rejects.toSatisfy(
      (e) => e instanceof KubeApiError && e.statusCode === 401,
    );
  });

  it('leaves exec plugins and auth providers to client-node', async () => {
    const config = kubeconfig();
    config.users[0].user = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'true' } };
    const path = join(dir, 'exec-kubeconfig');
    writeFileSync(path, stringify(config));
    expect(await kubeconfigConnection(path)).toBeUndefined();
  });
});
