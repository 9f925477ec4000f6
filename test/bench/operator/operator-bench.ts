// npm run bench:operator — a real kubellama-operator process (the bundle the image ships, unless
// --runtime tsx) against a private harness kube-apiserver+etcd, under its own ServiceAccount and
// ClusterRole (so its requests pass RBAC and API priority and fairness as in a cluster). No
// controller-manager or kubelet runs: Deployments get no status, so every model stays Progressing
// and is polled every 30 s — the busiest steady state an operator has.
//
// Phases: create N LlamaModels (25 at a time) and time all N Deployments and all N statuses; a
// window of one full resync with nothing changed (its writes: goal 0); a fresh operator process
// started over the N models (cache sync, a full pass, its writes: goal 0, its memory). Each phase
// records the operator's API calls and latency (its own /metrics), time queued, the API server's
// priority-and-fairness wait, and CPU seconds of operator, kube-apiserver and etcd.
// Usage: npm run bench:operator [-- --models 500|2000|5000 --concurrency N --runtime compiled|tsx]
//        npm run bench:operator -- --table   (the README's table from dist/bench/operator-*.json)
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { LlamaModel } from '../../../operator/api/llama-model.js';
import { KubeClient, type KubeObject } from '../../../operator/kube/kube-client.js';
import { Informer } from '../../../operator/kube/source.js';
import { deploymentPath, modelPath } from '../../../operator/llamamodel/paths.js';
import { httpGet, startKubeApiServer, waitFor } from '../../harness/index.js';
import { installCrd, userModel } from '../../operator/support/kube.js';
import { measureFloor } from './floor.js';
import { operatorKubeconfig } from './identity.js';
import { bundleOperator, OperatorProcess, type Runtime } from './operator-process.js';
import { cpuSeconds, groupCpuSeconds, rssMiB } from './proc.js';
import { delta, groupBy, parseMetrics, type Sample, sum } from './prometheus.js';
import { printTable } from './table.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '500' },
    concurrency: { type: 'string' },
    'kube-api-qps': { type: 'string' },
    'kube-api-burst': { type: 'string' },
    'resync-seconds': { type: 'string', default: '20' },
    /** Node flags before the operator's entry point (default: the image's, from images/kubellama-operator). */
    'node-flags': { type: 'string' },
    runtime: { type: 'string', default: 'compiled' },
    /** Another checkout's operator/ (e.g. the commit before) measured by this same benchmark. */
    source: { type: 'string' },
    label: { type: 'string', default: '' },
    /** The whole run stops after this long (a 5,000-model run takes a few minutes). */
    'timeout-seconds': { type: 'string', default: '900' },
    table: { type: 'boolean', default: false },
    /** No operator: the benchmark makes the operator's writes itself (floor.ts), with --concurrency workers. */
    floor: { type: 'boolean', default: false },
    /** Only phase 1 (for a sweep of --concurrency): no resync window, no restart. */
    'converge-only': { type: 'boolean', default: false },
  },
});
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const OUT_DIR = join(ROOT, 'dist/bench');
const NS = 'bench';
const N = Number(values.models);
const RESYNC_S = Number(values['resync-seconds']);
const DEADLINE = Date.now() + Number(values['timeout-seconds']) * 1000;
const left = () => Math.max(1_000, DEADLINE - Date.now());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (what: string) =>
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${what}\n`);
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  if (values.table) {
    printTable(OUT_DIR);
    return;
  }
  const runtime = values.runtime as Runtime;
  const loadStart = loadavg()[0]!;
  const source = values.source ?? ROOT;
  const server = await startKubeApiServer();
  const admin = await KubeClient.fromKubeConfig(server.kubeConfig());
  const scrape = async (url: string, auth = true): Promise<Sample[]> => {
    const response = await httpGet(url, {
      ca: server.caCert,
      ...(auth ? { headers: { Authorization: `Bearer ${server.adminToken}` } } : {}),
    });
    return parseMetrics(response.body);
  };
  const [apiserverProcess, etcdProcess] = server.processes;
  let operator: OperatorProcess | undefined;
  let identityDir: string | undefined;
  try {
    await installCrd(admin);
    await admin.create('/api/v1/namespaces', { metadata: { name: NS } });
    if (values.floor) {
      for (let i = 0; i < N; i += 25) {
        await Promise.all(
          Array.from({ length: Math.min(25, N - i) }, (_, j) =>
            admin.create(modelPath(NS), userModel(NS, `model-${i + j}`, { gpu: { count: 0 } })),
          ),
        );
      }
      const list = await admin.get<{ items: LlamaModel[] }>(modelPath(NS));
      const floor = await measureFloor(admin, list.items, Number(values.concurrency ?? 32));
      const result = {
        models: N,
        floor,
        loadAverage1m: { start: round(loadStart, 1), end: round(loadavg()[0]!, 1) },
      };
      console.log(JSON.stringify(result, null, 2));
      mkdirSync(OUT_DIR, { recursive: true });
      writeFileSync(join(OUT_DIR, `operator-floor-${N}.json`), `${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const identity = await operatorKubeconfig(admin, server, NS);
    identityDir = identity.dir;
    const nodeFlags = (values['node-flags'] ?? imageNodeFlags()).split(' ').filter(Boolean);
    const entry =
      runtime === 'tsx'
        ? [...nodeFlags, '--import', 'tsx', join(source, 'operator/main.ts')]
        : [...nodeFlags, await bundleOperator(source, join(OUT_DIR, 'operator-bundle'))];
    const flags = [
      ...['--kubeconfig', identity.path, '--namespaces', NS, '--leader-election-namespace', NS],
      ...['--health-port', '0', '--trace-endpoint', 'none', '--resync-seconds', String(RESYNC_S)],
      ...(values.concurrency ? ['--concurrency', values.concurrency] : []),
      ...(values['kube-api-qps'] ? ['--kube-api-qps', values['kube-api-qps']] : []),
      ...(values['kube-api-burst'] ? ['--kube-api-burst', values['kube-api-burst']] : []),
    ];
    const startOperator = async () => {
      const started = performance.now();
      const startedAt = Date.now();
      const process_ = new OperatorProcess([...entry, ...flags], source);
      const synced = await process_.waitForLog('caches synced', left());
      await process_.waitForLog('leading', left());
      const port = process_.logs.find((e) => e.msg === 'starting')?.healthPort as number;
      return {
        process: process_,
        port,
        // From spawning the process to its 'caches synced' line (the line's own timestamp).
        syncedSeconds: (Date.parse(String(synced.time)) - startedAt) / 1000,
        started,
      };
    };

    // What the benchmark itself watches: Deployments made and statuses written (no polling lists).
    const deployments = new Informer<KubeObject>(admin, { path: deploymentPath(NS) });
    const models = new Informer<LlamaModel & KubeObject>(admin, { path: modelPath(NS) });
    await Promise.all([deployments.start(), models.start()]);
    const withStatus = () => models.list().filter((m) => m.status?.observedGeneration === 1).length;

    progress('starting the operator');
    const first = await startOperator();
    operator = first.process;
    await sleep(2_000);
    const idle = rssMiB(operator.pid);

    // A snapshot of every counter the breakdown needs; phases are differences of two snapshots.
    const snapshot = async (port: number, pid: number) => ({
      at: performance.now(),
      apiserver: await scrape(`${server.url}/metrics`),
      operator: pid > 0 ? await scrape(`http://127.0.0.1:${port}/metrics`, false) : [],
      cpu: {
        operator: cpuSeconds(pid),
        apiserver: groupCpuSeconds(apiserverProcess!.pid),
        etcd: groupCpuSeconds(etcdProcess!.pid),
      },
    });
    type Snapshot = Awaited<ReturnType<typeof snapshot>>;
    const phase = (a: Snapshot, b: Snapshot) => breakdown(a, b);

    // Phase 1: create N models; all Deployments, then all statuses.
    progress(`leading; creating ${N} models`);
    const before = await snapshot(first.port, operator.pid);
    const names = Array.from({ length: N }, (_, i) => `model-${i}`);
    for (let i = 0; i < N; i += 25) {
      await Promise.all(
        names
          .slice(i, i + 25)
          .map((name) => admin.create(modelPath(NS), userModel(NS, name, { gpu: { count: 0 } }))),
      );
    }
    const created = performance.now();
    progress('created; waiting for Deployments and statuses');
    await waitFor(async () => deployments.size === N, {
      description: `${N} Deployments`,
      timeoutMs: left(),
      intervalMs: 50,
    });
    const allDeployments = performance.now();
    await waitFor(async () => withStatus() === N, {
      description: `${N} statuses`,
      timeoutMs: left(),
      intervalMs: 50,
    });
    const allStatuses = performance.now();
    const converged = await snapshot(first.port, operator.pid);
    const convergedRss = rssMiB(operator.pid);

    if (values['converge-only']) {
      const result = {
        label: values.label || undefined,
        models: N,
        concurrency: operator.logs.find((e) => e.msg === 'starting')?.concurrency ?? values.concurrency ?? 4,
        createSeconds: round((created - before.at) / 1000),
        allDeploymentsSeconds: round((allDeployments - before.at) / 1000),
        allStatusesSeconds: round((allStatuses - before.at) / 1000),
        convergence: phase(before, converged),
        operatorRssMiB: { idle: round(idle.rss, 1), converged: round(convergedRss.rss, 1) },
      };
      console.log(JSON.stringify(result, null, 2));
      return;
    }

    // Phase 2: nothing changes; at least one full resync (and the 30 s polls) run.
    await sleep(3_000);
    const quietFrom = await snapshot(first.port, operator.pid);
    const reconciles = (s: Snapshot) => sum(s.operator, 'kubellama_operator_reconcile_total');
    const quietStart = Date.now();
    progress('converged; a quiet window of one full resync');
    await waitFor(
      async () =>
        Date.now() - quietStart >= RESYNC_S * 1000 + 2_000 &&
        reconciles(await snapshot(first.port, operator!.pid)) - reconciles(quietFrom) >= N,
      {
        description: 'a full resync',
        timeoutMs: Math.min(left(), (RESYNC_S + 120) * 1000),
        intervalMs: 1_000,
      },
    );
    const quietTo = await snapshot(first.port, operator.pid);
    const afterResyncRss = rssMiB(operator.pid);
    await operator.stop();

    // Phase 3: a fresh operator over the N existing models (a restart or a failover).
    // Counters of the API server and CPU from before the start; the new process's own start at 0.
    const restartStart = { ...(await snapshot(first.port, -1)), operator: [] };
    const restartFrom = performance.now();
    progress('a fresh operator over the models');
    const second = await startOperator();
    operator = second.process;
    await waitFor(async () => reconciles(await snapshot(second.port, operator!.pid)) >= N, {
      description: 'the fresh operator to reconcile every model',
      timeoutMs: left(),
      intervalMs: 250,
    });
    const passDone = await snapshot(second.port, operator.pid);
    await sleep(2_000);
    const restartedRss = rssMiB(operator.pid);

    const result = {
      label: values.label || undefined,
      models: N,
      runtime,
      nodeFlags: nodeFlags.join(' '),
      // The machine is shared: its load around the run says how much the numbers can be trusted.
      loadAverage1m: { start: round(loadStart, 1), end: round(loadavg()[0]!, 1) },
      source: values.source ? source : 'this checkout',
      concurrency: operator.logs.find((e) => e.msg === 'starting')?.concurrency ?? values.concurrency ?? 4,
      kubeApiQps: operator.logs.find((e) => e.msg === 'starting')?.kubeApiQps ?? 'unlimited',
      kubeApiBurst: operator.logs.find((e) => e.msg === 'starting')?.kubeApiBurst,
      createSeconds: round((created - before.at) / 1000),
      allDeploymentsSeconds: round((allDeployments - before.at) / 1000),
      allStatusesSeconds: round((allStatuses - before.at) / 1000),
      convergence: phase(before, converged),
      resync: { windowSeconds: round((quietTo.at - quietFrom.at) / 1000, 1), ...phase(quietFrom, quietTo) },
      restart: {
        cacheSyncSeconds: round(second.syncedSeconds),
        firstPassSeconds: round((passDone.at - restartFrom) / 1000),
        ...phase(restartStart, passDone),
      },
      operatorRssMiB: {
        idle: round(idle.rss, 1),
        converged: round(convergedRss.rss, 1),
        afterResync: round(afterResyncRss.rss, 1),
        peak: round(afterResyncRss.peak, 1),
        restartedWithModels: round(restartedRss.rss, 1),
        perThousandModels: round(((restartedRss.rss - idle.rss) / N) * 1000, 1),
      },
    };
    console.log(JSON.stringify(result, null, 2));
    mkdirSync(OUT_DIR, { recursive: true });
    const file = join(OUT_DIR, `operator-${N}${values.label ? `-${values.label}` : ''}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    process.stderr.write(`wrote ${file}\n`);
  } finally {
    await operator?.stop();
    await server.stop();
    if (identityDir) rmSync(identityDir, { recursive: true, force: true });
  }
}

/** The node flags the image's entry point runs the operator with (images/kubellama-operator). */
function imageNodeFlags(): string {
  const script = readFileSync(join(ROOT, 'images/kubellama-operator'), 'utf8');
  return /\/node((?:\s+--\S+)*)\s+\/app\//.exec(script)?.[1]?.trim() ?? '';
}

/** What happened between two snapshots: API calls, their latency, queueing, throttling, CPU. */
function breakdown(
  a: { at: number; apiserver: Sample[]; operator: Sample[]; cpu: Record<string, number> },
  b: typeof a,
) {
  const op = (s: Sample[]) => ({
    reconciles: sum(s, 'kubellama_operator_reconcile_total'),
    reconcileSeconds: sum(s, 'kubellama_operator_reconcile_duration_seconds_sum'),
    queuedSeconds: sum(s, 'kubellama_operator_workqueue_wait_seconds_sum'),
    requests: groupBy(s, 'kubellama_operator_kube_requests_total', (l) => `${l.verb} ${l.resource}`),
    requestSeconds: groupBy(
      s,
      'kubellama_operator_kube_request_duration_seconds_sum',
      (l) => `${l.verb} ${l.resource}`,
    ),
    throttledSeconds: sum(s, 'kubellama_operator_kube_throttled_seconds_total'),
  });
  const oa = op(a.operator);
  const ob = op(b.operator);
  const reconciles = ob.reconciles - oa.reconciles;
  const calls = delta(ob.requests, oa.requests);
  const seconds = delta(ob.requestSeconds, oa.requestSeconds);
  const writes = Object.entries(calls)
    .filter(([k]) => !k.startsWith('GET') && !k.endsWith('leases'))
    .reduce((n, [, v]) => n + v, 0);
  // The API server's side: its writes by resource (the benchmark's own creates are `POST llamamodels`)
  // and the priority-and-fairness queue wait of each priority level.
  const apf = (s: Sample[], key: string) =>
    groupBy(s, `apiserver_flowcontrol_request_wait_duration_seconds_${key}`, (l) =>
      l.execute === 'true' ? l.priority_level : undefined,
    );
  const serverWrites = (s: Sample[]) =>
    groupBy(s, 'apiserver_request_total', (l) =>
      ['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE'].includes(l.verb ?? '') && l.resource !== 'leases'
        ? `${l.verb} ${l.resource}${l.subresource ? `/${l.subresource}` : ''}`
        : undefined,
    );
  // The API server's own time per request kind (from its request handler's point of view).
  const serverTime = (s: Sample[], key: string) =>
    groupBy(s, `apiserver_request_duration_seconds_${key}`, (l) =>
      l.verb === 'WATCH' || l.resource === 'leases' || !l.resource
        ? undefined
        : `${l.verb} ${l.resource}${l.subresource ? `/${l.subresource}` : ''}`,
    );
  const serverSum = delta(serverTime(b.apiserver, 'sum'), serverTime(a.apiserver, 'sum'));
  const serverCount = delta(serverTime(b.apiserver, 'count'), serverTime(a.apiserver, 'count'));
  const waitSum = delta(apf(b.apiserver, 'sum'), apf(a.apiserver, 'sum'));
  const waitCount = delta(apf(b.apiserver, 'count'), apf(a.apiserver, 'count'));
  return {
    seconds: round((b.at - a.at) / 1000),
    reconciles,
    operatorWrites: writes,
    operatorCalls: calls,
    operatorCallsPerReconcile: round(
      Object.values(calls).reduce((n, v) => n + v, 0) / Math.max(1, reconciles),
    ),
    meanCallMs: Object.fromEntries(
      Object.entries(calls).map(([k, n]) => [k, round(((seconds[k] ?? 0) / n) * 1000, 1)]),
    ),
    meanReconcileMs: round(((ob.reconcileSeconds - oa.reconcileSeconds) / Math.max(1, reconciles)) * 1000, 1),
    meanQueuedMs: round(((ob.queuedSeconds - oa.queuedSeconds) / Math.max(1, reconciles)) * 1000, 1),
    throttledSeconds: round(ob.throttledSeconds - oa.throttledSeconds),
    apiServerWrites: delta(serverWrites(b.apiserver), serverWrites(a.apiserver)),
    apiServerMeanMs: Object.fromEntries(
      Object.entries(serverCount)
        .filter(([k]) => !k.startsWith('LIST') && !k.startsWith('GET'))
        .map(([k, n]) => [k, round(((serverSum[k] ?? 0) / n) * 1000, 1)]),
    ),
    priorityAndFairnessMeanWaitMs: Object.fromEntries(
      Object.entries(waitCount).map(([level, n]) => [level, round(((waitSum[level] ?? 0) / n) * 1000, 2)]),
    ),
    priorityAndFairnessRejected:
      sum(b.apiserver, 'apiserver_flowcontrol_rejected_requests_total') -
      sum(a.apiserver, 'apiserver_flowcontrol_rejected_requests_total'),
    cpuSeconds: Object.fromEntries(Object.entries(b.cpu).map(([k, v]) => [k, round(v - (a.cpu[k] ?? 0), 1)])),
  };
}

// Exits at once: the benchmark's own watches would keep the process alive.
main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
