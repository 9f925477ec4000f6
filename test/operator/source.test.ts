// The informer against real API servers: cache and events, reconnect after the server closes a
// watch, re-list after 410 Gone (a private server compacting etcd every second, watch cache off),
// and restart with backoff while the resource does not exist yet (the CRD installed later).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, type KubeObject } from '../../operator/kube/kube-client.js';
import { Informer } from '../../operator/kube/source.js';
import { modelPath } from '../../operator/llamamodel/paths.js';
import { type KubeApiServer, startKubeApiServer, waitFor } from '../harness/index.js';
import { createTestNamespace, printKubeLogsOnFailure, sharedKubeConfig } from '../harness/vitest.js';
import { installCrd } from './support/kube.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const configMap = (namespace: string, name: string, value = '1') => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, labels: { app: 'informer-test' } },
  data: { value },
});

describe('Informer (shared API server)', () => {
  printKubeLogsOnFailure();
  const kc = sharedKubeConfig();
  let client: KubeClient;
  let ns: string;
  const informers: Informer<KubeObject>[] = [];
  afterAll(() => {
    for (const i of informers) i.stop();
  });

  beforeAll(async () => {
    client = await KubeClient.fromKubeConfig(kc);
    ns = await createTestNamespace(kc, 'informer');
  });

  it('lists into its cache, then follows adds, updates and deletes; reconnects when the server closes the watch', async () => {
    await client.create(`/api/v1/namespaces/${ns}/configmaps`, configMap(ns, 'before'));
    await client.create(`/api/v1/namespaces/${ns}/configmaps`, {
      ...configMap(ns, 'unlabelled'),
      metadata: { name: 'unlabelled' },
    });
    const informer = new Informer<KubeObject>(client, {
      path: `/api/v1/namespaces/${ns}/configmaps`,
      labelSelector: 'app=informer-test',
      watchTimeoutSeconds: 1,
    });
    informers.push(informer);
    const seen: string[] = [];
    informer.on({
      add: (o) => seen.push(`add ${o.metadata?.name}`),
      update: (_old, o) =>
        seen.push(`update ${o.metadata?.name} ${(o as { data?: { value?: string } }).data?.value}`),
      delete: (o) => seen.push(`delete ${o.metadata?.name}`),
    });
    await informer.start();
    expect(informer.list().map((o) => o.metadata?.name)).toEqual(['before']);
    // Longer than the 1 s watch timeout: the events below arrive on a re-opened watch.
    await sleep(1_500);
    await client.create(`/api/v1/namespaces/${ns}/configmaps`, configMap(ns, 'after'));
    await client.patch(`/api/v1/namespaces/${ns}/configmaps/after`, { data: { value: '2' } }, 'merge');
    await client.delete(`/api/v1/namespaces/${ns}/configmaps/before`);
    await waitFor(async () => seen.length >= 4, { description: 'four informer events' });
    expect(seen).toEqual(['add before', 'add after', 'update after 2', 'delete before']);
    expect(informer.get(`${ns}/after`)).toMatchObject({ data: { value: '2' } });
    expect(informer.get(`${ns}/before`)).toBeUndefined();
    expect(informer.lists).toBe(1);
  });

  it('caches and hands out trimmed objects, and finds them by index as they come, change and go', async () => {
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    const labelled = (name: string, owner: string) => ({
      ...configMap(ns, name),
      metadata: { name, namespace: ns, labels: { app: 'informer-index', owner } },
    });
    await client.create(path, labelled('a1', 'a'));
    const informer = new Informer<KubeObject>(client, {
      path,
      labelSelector: 'app=informer-index',
      // Drop managedFields and data (as the operator drops what it never reads).
      transform: ({ metadata, data: _data, ...rest }) => {
        const { managedFields: _m, ...kept } = metadata ?? {};
        return { ...rest, metadata: kept };
      },
      indexBy: (o) => o.metadata?.labels?.owner,
    });
    informers.push(informer);
    const handed: KubeObject[] = [];
    informer.on({ add: (o) => handed.push(o), update: (_old, o) => handed.push(o) });
    await informer.start();
    await client.create(path, labelled('a2', 'a'));
    await client.create(path, labelled('b1', 'b'));
    await waitFor(async () => informer.byIndex('b').length === 1, { description: 'b1 in the index' });
    const names = (value: string) =>
      informer
        .byIndex(value)
        .map((o) => o.metadata?.name)
        .sort();
    expect(names('a')).toEqual(['a1', 'a2']);
    for (const o of [...informer.list(), ...handed]) {
      expect(o.metadata?.managedFields).toBeUndefined();
      expect(o).not.toHaveProperty('data');
    }
    // A label change moves b1 from one index value to the other; a deletion removes it.
    await client.patch(`${path}/b1`, { metadata: { labels: { owner: 'a' } } }, 'merge');
    await waitFor(async () => informer.byIndex('b').length === 0, { description: 'b1 re-indexed' });
    expect(names('a')).toEqual(['a1', 'a2', 'b1']);
    await client.delete(`${path}/a1`);
    await waitFor(async () => informer.byIndex('a').length === 2, { description: 'a1 gone from the index' });
    expect(names('a')).toEqual(['a2', 'b1']);
    expect(informer.size).toBe(2);
  });
});

describe('Informer (private API server: etcd compacted every second, no watch cache)', () => {
  let server: KubeApiServer;
  let client: KubeClient;
  const informers: Informer<KubeObject>[] = [];

  beforeAll(async () => {
    server = await startKubeApiServer({
      extraArgs: ['--watch-cache=false', '--etcd-compaction-interval=1s'],
    });
    client = await KubeClient.fromKubeConfig(server.kubeConfig());
  });
  afterAll(async () => {
    for (const i of informers) i.stop();
    await server?.stop();
  });

  it('re-lists after 410 Gone and reports the deletions it missed', async () => {
    const path = '/api/v1/namespaces/default/configmaps';
    await client.create(path, configMap('default', 'keep'));
    await client.create(path, configMap('default', 'gone'));
    const errors: unknown[] = [];
    const deleted: string[] = [];
    const informer = new Informer<KubeObject>(client, {
      path,
      labelSelector: 'app=informer-test',
      onError: (e) => errors.push(e),
    });
    informers.push(informer);
    informer.on({ delete: (o) => deleted.push(o.metadata?.name ?? '') });
    await informer.start();
    expect(informer.list()).toHaveLength(2);
    // While it is not watching, history moves on and etcd compacts it away.
    informer.stop();
    await client.delete(`${path}/gone`);
    for (let i = 0; i < 5; i++) await client.create(path, configMap('default', `new-${i}`));
    await sleep(3_500);
    void informer.start();
    await waitFor(async () => informer.lists === 2, {
      description: 'a second list after 410',
      timeoutMs: 20_000,
    });
    expect(errors.some((e) => (e as { statusCode?: number }).statusCode === 410)).toBe(true);
    expect(deleted).toEqual(['gone']);
    expect(
      informer
        .list()
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['keep', 'new-0', 'new-1', 'new-2', 'new-3', 'new-4']);
  });

  it('keeps retrying with backoff while the resource is missing, and syncs once its CRD is installed', async () => {
    const errors: unknown[] = [];
    const informer = new Informer<KubeObject>(client, {
      path: modelPath('default'),
      baseBackoffMs: 50,
      maxBackoffMs: 400,
      onError: (e) => errors.push(e),
    });
    informers.push(informer);
    const synced = informer.start();
    await waitFor(async () => errors.length >= 3, { description: 'three failed lists' });
    expect(informer.hasSynced).toBe(false);
    expect((errors[0] as { statusCode?: number }).statusCode).toBe(404);
    await installCrd(client);
    await synced;
    expect(informer.hasSynced).toBe(true);
  });
});
