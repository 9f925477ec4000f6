// npm run bench:operator — the operator (a real kubellama-operator process) against a private
// harness kube-apiserver: time from creating N LlamaModels to all N Deployments existing and all N
// statuses written; the writes a resync makes when nothing changed (goal: 0, counted by the API
// server's own apiserver_request_total); and the operator's resident memory.
// Usage: npm run bench:operator [-- --models 500 --concurrency 4]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { LlamaModel } from '../../../operator/api/llama-model.js';
import { KubeClient } from '../../../operator/controller/kube-client.js';
import { deploymentPath, modelPath } from '../../../operator/llamamodel/paths.js';
import { httpGet, startKubeApiServer, waitFor } from '../../harness/index.js';
import { installCrd, userModel } from '../../operator/support/kube.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '4' },
    'resync-seconds': { type: 'string', default: '20' },
  },
});
const N = Number(values.models);
const RESYNC_S = Number(values['resync-seconds']);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const NS = 'bench';

let lastProgress = 0;
function progress(line: string): void {
  if (Date.now() - lastProgress < 5_000) return;
  lastProgress = Date.now();
  process.stderr.write(`${line}\n`);
}

function rssMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

async function main(): Promise<void> {
  // The harness's /24 Service range holds ~250 ClusterIPs; 500 models need 500 Services.
  const server = await startKubeApiServer({ extraArgs: ['--service-cluster-ip-range=10.0.0.0/16'] });
  const client = await KubeClient.fromKubeConfig(server.kubeConfig());
  const writes = async () => {
    const metrics = await httpGet(`${server.url}/metrics`, {
      ca: server.caCert,
      headers: { Authorization: `Bearer ${server.adminToken}` },
    });
    const byResource = new Map<string, number>();
    for (const line of metrics.body.split('\n')) {
      if (!line.startsWith('apiserver_request_total{')) continue;
      const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? '';
      if (!['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE'].includes(verb)) continue;
      const resource = /resource="([^"]*)"/.exec(line)?.[1] ?? '';
      const sub = /subresource="([^"]*)"/.exec(line)?.[1];
      const key = sub ? `${resource}/${sub}` : resource;
      byResource.set(key, (byResource.get(key) ?? 0) + Number(line.split(' ').pop()));
    }
    return byResource;
  };
  await installCrd(client);
  await client.create('/api/v1/namespaces', { metadata: { name: NS } });
  const operator = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'operator/main.ts',
      '--kubeconfig',
      server.kubeconfigPath,
      '--namespaces',
      NS,
      '--leader-election-namespace',
      NS,
      '--health-port',
      '0',
      '--trace-endpoint',
      'none',
      '--concurrency',
      values.concurrency!,
      '--resync-seconds',
      String(RESYNC_S),
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  try {
    await waitFor(
      async () =>
        (await client.getOrUndefined(
          `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/kubellama-operator`,
        )) !== undefined,
      { description: 'the operator to lead', timeoutMs: 60_000 },
    );
    const idle = rssMiB(operator.pid!);

    const started = performance.now();
    const names = Array.from({ length: N }, (_, i) => `model-${i}`);
    for (let i = 0; i < N; i += 25) {
      await Promise.all(
        names
          .slice(i, i + 25)
          .map((name) => client.create(modelPath(NS), userModel(NS, name, { gpu: { count: 0 } }))),
      );
    }
    const created = performance.now();
    await waitFor(
      async () =>
        (await client.get<{ items: unknown[] }>(`${deploymentPath(NS)}?limit=1000`)).items.length === N,
      { description: `${N} Deployments`, timeoutMs: 600_000, intervalMs: 250 },
    );
    const deployments = performance.now();
    await waitFor(
      async () => {
        const models = await client.get<{ items: LlamaModel[] }>(`${modelPath(NS)}?limit=1000`);
        const count = models.items.filter((m) => m.status?.observedGeneration === 1).length;
        progress(`statuses ${count}/${N}`);
        return count === N;
      },
      { description: `${N} statuses`, timeoutMs: 600_000, intervalMs: 250 },
    );
    const statuses = performance.now();
    const converged = rssMiB(operator.pid!);

    // Let it settle, then count the writes of one full resync (and the periodic requeue of models
    // that stay Progressing: no kubelet runs here) with nothing changed.
    await new Promise((r) => setTimeout(r, 3_000));
    const before = await writes();
    await new Promise((r) => setTimeout(r, (RESYNC_S + 12) * 1000));
    const after = await writes();
    const resyncWrites: Record<string, number> = {};
    for (const [key, count] of after) {
      const delta = count - (before.get(key) ?? 0);
      if (delta > 0) resyncWrites[key] = delta;
    }
    const nonLease = Object.entries(resyncWrites)
      .filter(([k]) => k !== 'leases')
      .reduce((sum, [, n]) => sum + n, 0);
    const final = rssMiB(operator.pid!);

    const result = {
      models: N,
      concurrency: Number(values.concurrency),
      createSeconds: (created - started) / 1000,
      allDeploymentsSeconds: (deployments - started) / 1000,
      allStatusesSeconds: (statuses - started) / 1000,
      resyncWindowSeconds: RESYNC_S + 12,
      resyncWritesExcludingLeases: nonLease,
      resyncWritesByResource: resyncWrites,
      operatorRssMiB: { idle: idle.rss, converged: converged.rss, afterResync: final.rss, peak: final.peak },
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    operator.kill('SIGTERM');
    const killer = setTimeout(() => operator.kill('SIGKILL'), 15_000);
    await new Promise((r) => operator.once('exit', r));
    clearTimeout(killer);
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
