// The whole story on a real Kubernetes node (issue 9): the test harness's local cluster (control plane,
// kubelet, containerd, kube-proxy, CoreDNS in a network namespace), kubellama's images built from the
// real Dockerfile and loaded into the node, the synthesized manifests applied server-side as a user
// would, a LlamaModel downloaded over https from a private mirror trusted through spec.model.caBundle,
// chat requests from a Pod and from the host, the traces in Jaeger, scaling, GPU scheduling and
// garbage collection. Needs Linux, root, podman and the node binaries of `npm run tools`; skips
// otherwise, naming what is missing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_NAMESPACE } from '../../charts/images.js';
import { installApp } from '../../charts/install.js';
import { JAEGER_PORTS, JAEGER_SERVICE } from '../../charts/jaeger-config.js';
import { synthInstall } from '../../charts/main.js';
import { RUNTIME_PATHS, RUNTIME_PORT } from '../../charts/runtime-contract.js';
import { chat } from '../../kind/demo/chat.js';
import { fetchJaegerTrace, formatTraceTree, type JaegerTrace } from '../../lib/jaeger-trace.js';
import { traceIdOf } from '../../lib/trace-response.js';
import {
  CLUSTER_LOCK_WAIT_MS,
  type LocalCluster,
  localClusterSkipReason,
  startLocalCluster,
} from '../harness/local-cluster/index.js';
import { buildLocalImages, type LocalImages } from '../harness/local-images.js';
import { podmanSkipReason } from '../harness/podman.js';
import { waitFor } from '../harness/wait.js';
import { pluginProcess } from '../plugin/support/plugin-io.js';
import { GREEDY, writeTinyModel } from '../tools/tiny-model/tiny-llama.js';
import { bundleChatClient, type PortForward, portForward } from './support/cluster-tools.js';
import { type ModelMirror, startModelMirror } from './support/model-server.js';

const skipReason =
  process.env.KUBELLAMA_E2E === '0'
    ? 'KUBELLAMA_E2E=0'
    : (localClusterSkipReason() ??
      podmanSkipReason() ??
      (spawnSync('sh', ['-c', 'command -v openssl']).status === 0
        ? undefined
        : 'openssl is not installed (it makes the mirror CA)'));
if (skipReason) console.warn(`[e2e] skipped: ${skipReason}`);

const NS = 'e2e';
const MODEL = 'tiny';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}
interface Pod {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    creationTimestamp: string;
    deletionTimestamp?: string;
  };
  spec: { containers: { image: string }[]; initContainers?: { image: string }[] };
  status: {
    phase?: string;
    conditions?: Condition[];
    initContainerStatuses?: {
      restartCount?: number;
      state?: { terminated?: { startedAt: string; finishedAt: string } };
    }[];
    containerStatuses?: { state?: { running?: { startedAt: string } } }[];
  };
}
interface LlamaModelStatus {
  phase?: string;
  readyReplicas?: number;
  endpoint?: string;
  conditions?: Condition[];
  download?: { bytes: number; totalBytes: number; percent: number };
  performance?: { tokensPerSecond: number; ttftP50Seconds?: number; replicasScraped: number };
}

/** The mirror sends each answer over this many seconds, so status.download can be watched rising. */
const MIRROR_SEND_SECONDS = 8;

const timings: Record<string, string> = {};
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const at = (iso: string | undefined) => (iso ? Date.parse(iso) : Number.NaN);

const tinyModel = (source: string, sha256: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'inference.kubellama.dev/v1alpha1',
  kind: 'LlamaModel',
  metadata: { name: MODEL, namespace: NS },
  spec: {
    model: { source, sha256, caBundle: { configMapRef: { name: 'mirror-ca', key: 'ca.crt' } } },
    gpu: { count: 0 },
    runtime: { parallel: 2, contextSize: 1024 },
    telemetry: { detail: 'request' },
    ...extra,
  },
});

describe.skipIf(skipReason)('kubellama end to end on a real node', () => {
  const started = Date.now();
  let cluster: LocalCluster | undefined;
  let images: LocalImages;
  let mirror: ModelMirror | undefined;
  let jaeger: PortForward | undefined;
  let work: string;
  let sha256: string;
  const forwards: PortForward[] = [];

  const kubectl = (args: string[], input?: string) =>
    cluster!.kubectl(args, { ...(input === undefined ? {} : { input }), timeoutMs: 120_000 });
  const apply = (object: unknown) =>
    kubectl(['apply', '--server-side', '--field-manager=e2e', '-f', '-'], JSON.stringify(object));
  const modelStatus = async (name: string) =>
    (
      await cluster!.apiGet<{ status?: LlamaModelStatus }>(
        `/apis/inference.kubellama.dev/v1alpha1/namespaces/${NS}/llamamodels/${name}`,
      )
    ).status ?? {};
  const pods = async (instance: string) =>
    (
      await cluster!.apiGet<{ items: Pod[] }>(
        `/api/v1/namespaces/${NS}/pods?labelSelector=${encodeURIComponent(`app.kubernetes.io/instance=${instance}`)}`,
      )
    ).items;
  const readyPods = async (instance: string) =>
    (await pods(instance)).filter((p) =>
      p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
  const waitModelReady = (name: string, replicas: number, timeoutMs = 120_000) =>
    waitFor(
      async () => {
        const status = await modelStatus(name);
        return status.phase === 'Ready' && (status.readyReplicas ?? 0) === replicas && status;
      },
      { description: `LlamaModel ${name} Ready with ${replicas} replica(s)`, timeoutMs, intervalMs: 500 },
    ).catch(async (error: Error) => {
      const state = await kubectl(['-n', NS, 'get', 'lm,deploy,pods', '-o', 'wide']).catch(() => '');
      const events = await kubectl(['-n', NS, 'get', 'events', '--sort-by=.lastTimestamp']).catch(() => '');
      throw new Error(`${error.message}\n${state}\n${events.split('\n').slice(-20).join('\n')}`);
    });
  const waitTrace = (traceId: string, has: (trace: JaegerTrace) => boolean) =>
    waitFor(
      async () => {
        const trace = await fetchJaegerTrace(jaeger!.url, traceId);
        return trace && has(trace) && trace;
      },
      { description: `trace ${traceId} in Jaeger`, timeoutMs: 60_000, intervalMs: 1_000 },
    );

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kubellama-e2e-'));
    const t0 = Date.now();
    // Both at once: the images build in podman while the node comes up.
    const [built, up] = await Promise.allSettled([
      buildLocalImages(['runtime', 'runtimeCuda', 'operator']).then((result) => {
        timings['images built (layer cache)'] = seconds(Date.now() - t0);
        return result;
      }),
      // One cluster per host: wait for another suite's (test/local-cluster, test/reliability) to go first.
      startLocalCluster({ log: (line) => console.log(line), lockWaitMs: CLUSTER_LOCK_WAIT_MS }),
    ]);
    if (up.status === 'fulfilled') cluster = up.value;
    if (built.status === 'rejected') throw built.reason;
    if (up.status === 'rejected') throw up.reason;
    images = built.value;
    timings['cluster up'] = seconds(cluster!.bringUpMs);
    const t1 = Date.now();
    for (const ref of images.refs) await cluster!.loadImage(ref);
    timings['images loaded into containerd'] = seconds(Date.now() - t1);
  }, CLUSTER_LOCK_WAIT_MS + 900_000);

  afterAll(async () => {
    await Promise.allSettled([...forwards, jaeger].map((f) => f?.stop()));
    await mirror?.stop();
    const report = await cluster?.stop();
    if (report) timings.teardown = seconds(report.ms);
    timings['whole suite'] = seconds(Date.now() - started);
    console.log(
      `[e2e] timings:\n${Object.entries(timings)
        .map(([k, v]) => `  ${k}: ${v}`)
        .join('\n')}`,
    );
    if (work) rmSync(work, { recursive: true, force: true });
  }, 240_000);

  it('installs the synthesized manifests server-side: operator, collector and Jaeger Ready from localhost/kubellama images', async () => {
    const t0 = Date.now();
    const { manifests } = synthInstall(work, { images: images.images });
    await kubectl(['apply', '--server-side', ...manifests.flatMap((file) => ['-f', file])]);
    const deployments = installApp({ images: images.images })
      .charts.flatMap((chart) => chart.toJson() as { kind: string; metadata: { name: string } }[])
      .filter((o) => o.kind === 'Deployment')
      .map((o) => o.metadata.name);
    expect(deployments).toEqual(expect.arrayContaining(['kubellama-operator', 'otel-collector', 'jaeger']));
    for (const name of deployments) {
      await kubectl(['-n', SYSTEM_NAMESPACE, 'rollout', 'status', `deployment/${name}`, '--timeout=180s']);
    }
    timings['apply → operator, collector, Jaeger Ready'] = seconds(Date.now() - t0);
    const system = await cluster!.apiGet<{ items: Pod[] }>(`/api/v1/namespaces/${SYSTEM_NAMESPACE}/pods`);
    const running = system.items.flatMap((p) => p.spec.containers.map((c) => c.image));
    expect(running.length).toBeGreaterThanOrEqual(3);
    for (const image of running) expect(image).toMatch(/^localhost\/kubellama\//);
    jaeger = await portForward(
      cluster!.kubeconfigPath,
      SYSTEM_NAMESPACE,
      `service/${JAEGER_SERVICE}`,
      JAEGER_PORTS.query,
    );
  }, 240_000);

  it('serves a model the pull init container downloads over https from a private mirror, trusted through caBundle, sha256 checked', async () => {
    const file = join(work, 'tiny.gguf');
    sha256 = (await writeTinyModel(file)).sha256;
    mirror = await startModelMirror(work, file, 'tiny.gguf', 8443, { sendSeconds: MIRROR_SEND_SECONDS });
    await kubectl(['create', 'namespace', NS]);
    await apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'mirror-ca', namespace: NS },
      data: { 'ca.crt': mirror.caPem },
    });
    const t0 = Date.now();
    await apply(tinyModel(mirror.url, sha256));
    // status.download while the pull runs: the operator reads the pull container's log every 3 s.
    const percents: number[] = [];
    let watching = true;
    const watchDownload = (async () => {
      while (watching) {
        const percent = (await modelStatus(MODEL).catch(() => ({}) as LlamaModelStatus)).download?.percent;
        if (percent !== undefined && percent !== percents.at(-1)) percents.push(percent);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    const status = await waitModelReady(MODEL, 1).finally(() => {
      watching = false;
    });
    await watchDownload;
    const firstReady = Date.now() - t0;
    const replicaSets = await cluster!.apiGet<{ items: { metadata: { name: string } }[] }>(
      `/apis/apps/v1/namespaces/${NS}/replicasets?labelSelector=app.kubernetes.io/instance=${MODEL}`,
    );
    const [pod] = await pods(MODEL);
    // What to look at when the percents fall back: a second ReplicaSet (a rollout), a restarted
    // pull container, or the mirror asked again (the downloader's own retry).
    console.log(
      [
        `[e2e] status.download.percent seen while pulling: ${percents.join(' → ')}`,
        `  ReplicaSets: ${replicaSets.items.map((r) => r.metadata.name).join(', ')}; pull container restarts: ${pod?.status.initContainerStatuses?.[0]?.restartCount}`,
        `  mirror requests: ${mirror.requests.join(' | ')}`,
      ].join('\n'),
    );
    expect(percents.length, `percent seen: ${percents.join(', ')}`).toBeGreaterThanOrEqual(2);
    // Rising while it downloads. Seen once in CI: 2 → 29 → 78 → 0 → 28 → 53, a pull that started
    // again from 0 (why: not found; the lines above now say), so this asks for a rise, not for one
    // monotonic run.
    expect(
      percents.some((p, i) => i > 0 && p > percents[i - 1]!),
      `percent seen: ${percents.join(', ')}`,
    ).toBe(true);
    await waitFor(async () => (await modelStatus(MODEL)).download === undefined, {
      description: 'status.download to be cleared once the model is loaded',
      timeoutMs: 15_000,
      intervalMs: 500,
    });
    expect(status.endpoint).toBe(`http://${MODEL}.${NS}.svc:${RUNTIME_PORT}${RUNTIME_PATHS.openAiBase}`);
    expect(mirror.requests.some((line) => line.startsWith('GET /models/tiny.gguf'))).toBe(true);

    const created = at(pod!.metadata.creationTimestamp);
    const scheduled = at(pod!.status.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime);
    const pull = pod!.status.initContainerStatuses?.[0]?.state?.terminated;
    const serving = at(pod!.status.containerStatuses?.[0]?.state?.running?.startedAt);
    const ready = at(pod!.status.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime);
    timings['LlamaModel apply → Ready'] = seconds(firstReady);
    timings['  schedule (pod created → scheduled)'] = seconds(scheduled - created);
    timings['  pull init (https download + sha256)'] = seconds(at(pull?.finishedAt) - at(pull?.startedAt));
    timings['  model load (runtime start → Ready)'] = seconds(ready - serving);

    // The endpoint column is a wide one (priority 1).
    const table = await kubectl(['-n', NS, 'get', 'lm', MODEL, '-o', 'wide']);
    expect(table).toMatch(/PHASE\s+READY\s+REPLICAS\s+ENDPOINT/);
    expect(table).toMatch(new RegExp(`${MODEL}\\s+\\S+\\s+Ready\\s+1\\s+1\\s+http://${MODEL}\\.${NS}\\.svc`));
  }, 180_000);

  it('does not trust the mirror without the caBundle: the pull never completes', async () => {
    const untrusted = tinyModel(mirror!.url, sha256);
    const { caBundle: _none, ...model } = untrusted.spec.model;
    await apply({
      ...untrusted,
      metadata: { name: 'untrusted', namespace: NS },
      spec: { ...untrusted.spec, model },
    });
    // The same source and sha256 as the served model, minus the CA: within the time the trusted pull
    // took (1–2 s) many times over, the pull init container never finishes successfully. (It exits
    // at once on the certificate error, and the kubelet restarts it with backoff: the condition that
    // names the error is test/reliability/model-faults.test.ts's.)
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const [pod] = await pods('untrusted');
      const pull = pod?.status.initContainerStatuses?.[0]?.state?.terminated as
        | { exitCode?: number }
        | undefined;
      expect(pull?.exitCode === 0, 'the pull finished without the CA').toBe(false);
      expect((await modelStatus('untrusted')).phase).not.toBe('Ready');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const [pod] = await pods('untrusted');
    const pullLog = await kubectl(['-n', NS, 'logs', pod!.metadata.name, '-c', 'pull']).catch(() => '');
    console.log(`[e2e] untrusted pull log (tail):\n${pullLog.split('\n').slice(-5).join('\n')}`);
    await kubectl(['-n', NS, 'delete', 'lm', 'untrusted', '--wait=false']);
  }, 60_000);

  it('answers the openai client in a Pod through the Service DNS name', async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'chat-client', namespace: NS },
      data: { 'chat.mjs': await bundleChatClient() },
    });
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'chat-client', namespace: NS },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'chat',
            image: images.images.runtime,
            command: ['/usr/local/bin/node', '/client/chat.mjs'],
            env: [
              { name: 'BASE_URL', value: `http://${MODEL}.${NS}.svc.cluster.local:${RUNTIME_PORT}/v1` },
              { name: 'MODEL', value: MODEL },
            ],
            volumeMounts: [{ name: 'client', mountPath: '/client' }],
          },
        ],
        volumes: [{ name: 'client', configMap: { name: 'chat-client' } }],
      },
    });
    const phase = await waitFor(
      async () => {
        const p = await cluster!.apiGet<Pod>(`/api/v1/namespaces/${NS}/pods/chat-client`);
        return (p.status.phase === 'Succeeded' || p.status.phase === 'Failed') && p.status.phase;
      },
      { description: 'the chat client Pod to finish', timeoutMs: 90_000, intervalMs: 500 },
    );
    const log = await kubectl(['-n', NS, 'logs', 'chat-client']);
    expect(phase, log).toBe('Succeeded');
    const line = JSON.parse(log.trim().split('\n').pop()!) as { answer: string; traceresponse: string };
    expect(line.answer.length).toBeGreaterThan(0);
    const traceId = traceIdOf(line.traceresponse);
    const trace = await waitTrace(traceId, (t) => t.spans.some((s) => (s.references ?? []).length === 0));
    expect(trace.spans.map((s) => s.operationName)).toContain(`chat ${MODEL}`);
  }, 150_000);

  it('answers from the host through kubectl port-forward; the trace in Jaeger nests HTTP → chat → phases with the collector k8s attributes', async () => {
    const forward = await portForward(cluster!.kubeconfigPath, NS, `service/${MODEL}`, RUNTIME_PORT);
    forwards.push(forward);
    const t0 = Date.now();
    const answer = await chat(
      `${forward.url}${RUNTIME_PATHS.openAiBase}`,
      MODEL,
      'Hello from the host',
      GREEDY,
    );
    timings['host chat (port-forward) round trip'] = seconds(Date.now() - t0);
    expect(answer.answer.length).toBeGreaterThan(0);
    const trace = await waitTrace(answer.traceId, (t) =>
      t.spans.some((s) => s.operationName === 'POST /v1/chat/completions'),
    );
    console.log(`[e2e] trace ${answer.traceId}:\n  ${formatTraceTree(trace).join('\n  ')}`);
    const byName = (name: string) => trace.spans.find((s) => s.operationName === name);
    const http = byName('POST /v1/chat/completions');
    const chatSpan = byName(`chat ${MODEL}`);
    expect(http).toBeDefined();
    expect(chatSpan?.references?.[0]?.spanID).toBe(http!.spanID);
    for (const phase of ['llama.prefill', 'llama.decode']) {
      expect(byName(phase)?.references?.[0]?.spanID, phase).toBe(chatSpan!.spanID);
    }
    // Resource attributes only the collector's k8s_attributes processor adds (the runtime sets pod
    // name, namespace, uid and node itself).
    const tags = Object.fromEntries(
      (trace.processes[http!.processID]?.tags ?? []).map((tag) => [tag.key, tag.value]),
    );
    expect(tags['k8s.replicaset.name']).toMatch(new RegExp(`^${MODEL}-[a-z0-9]+$`));
    expect(tags['k8s.deployment.name']).toBe(MODEL);
    expect(String(tags['k8s.pod.start_time'])).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(tags['k8s.pod.label.app.kubernetes.io/instance']).toBe(MODEL);
  }, 120_000);

  it("kubectl llama: chat through the API server's pod port-forward prints the answer and its trace id, trace --last the tree, logs and ls the model", async () => {
    const env = { KUBECONFIG: cluster!.kubeconfigPath };
    const t0 = Date.now();
    const chatted = await pluginProcess(
      [
        'chat',
        MODEL,
        '-n',
        NS,
        '--prompt',
        'Hello from kubectl llama',
        '--max-tokens',
        '32',
        '--temperature',
        String(GREEDY.temperature),
      ],
      env,
    );
    timings['kubectl llama chat --prompt (process, port-forward)'] = seconds(Date.now() - t0);
    expect(chatted.code, chatted.stderr).toBe(0);
    // The installed Jaeger is found: the link, and how to open it.
    const [, traceId] =
      /^trace ([0-9a-f]{32}) {2}http:\/\/localhost:16686\/trace\/\1$/m.exec(chatted.stdout) ?? [];
    expect(traceId, chatted.stdout).toBeDefined();
    expect(chatted.stdout.split(`\ntrace ${traceId}`)[0]!.trim().length).toBeGreaterThan(0);
    expect(chatted.stderr).toContain(`port-forward service/${JAEGER_SERVICE} ${JAEGER_PORTS.query}`);
    await waitTrace(traceId!, (t) => t.spans.some((s) => s.operationName === 'POST /v1/chat/completions'));
    // Jaeger reached through the same port-forward mechanism, no --jaeger.
    const traced = await pluginProcess(['trace', MODEL, '--last', '-n', NS], env);
    expect(traced.code, traced.stderr).toBe(0);
    expect(traced.stdout.split('\n')[0]).toMatch(`trace ${traceId}  `);
    expect(traced.stdout).toMatch(new RegExp(`^POST /v1/chat/completions  [0-9.]+ ms  \\(${MODEL}\\)$`, 'm'));
    expect(traced.stdout).toMatch(new RegExp(`^(├|└)─ chat ${MODEL}  [0-9.]+ ms`, 'm'));
    console.log(
      `[e2e] kubectl llama chat:\n${chatted.stdout}[e2e] kubectl llama trace --last:\n${traced.stdout}`,
    );
    const logs = await pluginProcess(['logs', MODEL, '-n', NS, '--tail', '3'], env);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout.trim().split('\n')).toHaveLength(3);
    const pull = await pluginProcess(['logs', MODEL, '-n', NS, '-c', 'pull'], env);
    expect(pull.code, pull.stderr).toBe(0);
    const listed = await pluginProcess(['ls', '-n', NS], env);
    expect(listed.stdout).toMatch(
      new RegExp(`^${MODEL} {3,}1/1 {3,}Ready {3,}http://${MODEL}\\.${NS}\\.svc`, 'm'),
    );
  }, 240_000);

  it("has the operator's reconcile traces in Jaeger", async () => {
    const traces = await waitFor(
      async () => {
        const response = await fetch(
          `${jaeger!.url}/api/traces?service=kubellama-operator&limit=50&lookback=1h`,
        );
        if (!response.ok) return undefined;
        const body = (await response.json()) as { data?: JaegerTrace[] };
        const reconciles = (body.data ?? []).filter((t) =>
          t.spans.some(
            (s) =>
              s.operationName === 'reconcile LlamaModel' &&
              s.tags?.some((tag) => tag.key === 'kubellama.llamamodel.name' && tag.value === MODEL),
          ),
        );
        return reconciles.length > 0 && reconciles;
      },
      { description: 'a reconcile trace of the model in Jaeger', timeoutMs: 60_000, intervalMs: 1_000 },
    );
    expect(traces.length).toBeGreaterThan(0);
  }, 90_000);

  it("shows the requests on the runtime's /metrics through the API server's pod proxy", async () => {
    const [pod] = await readyPods(MODEL);
    const metrics = await kubectl([
      'get',
      '--raw',
      `/api/v1/namespaces/${NS}/pods/${pod!.metadata.name}:${RUNTIME_PORT}/proxy${RUNTIME_PATHS.metrics}`,
    ]);
    const predicted = /^llamacpp[:_]tokens_predicted_total(?:\{[^}]*\})?\s+([0-9.e+]+)/m.exec(metrics);
    expect(predicted, metrics.slice(0, 2000)).not.toBeNull();
    expect(Number(predicted![1])).toBeGreaterThan(0);
  }, 60_000);

  it("writes status.performance from the pod's /metrics through the API server's pod proxy; -o wide shows TOK/S and TTFT", async () => {
    // The operator reads every 30 s by default; 5 s here, set as a user would, with its flag.
    const t0 = Date.now();
    await kubectl([
      '-n',
      SYSTEM_NAMESPACE,
      'patch',
      'deployment',
      'kubellama-operator',
      '--type=json',
      '-p',
      JSON.stringify([
        {
          op: 'add',
          path: '/spec/template/spec/containers/0/args',
          value: ['--performance-interval-seconds=5'],
        },
      ]),
    ]);
    await kubectl([
      '-n',
      SYSTEM_NAMESPACE,
      'rollout',
      'status',
      'deployment/kubellama-operator',
      '--timeout=120s',
    ]);
    const forward = await portForward(cluster!.kubeconfigPath, NS, `service/${MODEL}`, RUNTIME_PORT);
    forwards.push(forward);
    const performance = await waitFor(
      async () => {
        await chat(`${forward.url}${RUNTIME_PATHS.openAiBase}`, MODEL, 'How fast are you?');
        const p = (await modelStatus(MODEL)).performance;
        return p && p.tokensPerSecond > 0 && p;
      },
      { description: 'status.performance with tokens/s above 0', timeoutMs: 90_000, intervalMs: 1_000 },
    );
    timings['operator restart + first status.performance with tokens/s'] = seconds(Date.now() - t0);
    expect(performance.replicasScraped).toBe(1);
    expect(performance.ttftP50Seconds).toBeGreaterThan(0);
    const table = await kubectl(['-n', NS, 'get', 'lm', MODEL, '-o', 'wide']);
    console.log(`[e2e] kubectl get lm -o wide:\n${table}`);
    expect(table).toMatch(/TOK\/S\s+TTFT/);
  }, 240_000);

  it('scales the LlamaModel to 2 serving Pods', async () => {
    const t0 = Date.now();
    await kubectl(['-n', NS, 'scale', `llamamodel/${MODEL}`, '--replicas=2']);
    await waitModelReady(MODEL, 2);
    timings['scale 1 → 2 Ready'] = seconds(Date.now() - t0);
    expect(await readyPods(MODEL)).toHaveLength(2);
  }, 150_000);

  it('serves a gpu.count 1 model on the fake GPU (CUDA image, CPU fallback); a second GPU model stays Pending, saying why', async () => {
    await cluster!.addFakeGpus(1);
    const gpuModel = (name: string) => {
      const model = tinyModel(mirror!.url, sha256, { gpu: { count: 1 } });
      return { ...model, metadata: { name, namespace: NS } };
    };
    const t0 = Date.now();
    await apply(gpuModel('gpu-one'));
    await waitModelReady('gpu-one', 1, 180_000);
    timings['GPU model (CUDA image) apply → Ready'] = seconds(Date.now() - t0);
    const [pod] = await pods('gpu-one');
    expect(pod!.spec.containers[0]!.image).toBe(images.images.runtimeCuda);
    // No GPU behind the fake one: the runtime says at start-up that llama.cpp fell back to the CPU.
    const log = await kubectl(['-n', NS, 'logs', pod!.metadata.name, '-c', 'runtime']);
    expect(log).toMatch(/llama\.cpp fell back to CPU: the cuda prebuilt/);

    // A spec change on a node with one GPU: the old pod goes before the new one is made (a surge pod
    // would wait forever for the GPU and the rollout would stall), and the model serves again.
    const t1 = Date.now();
    const changed = gpuModel('gpu-one');
    await apply({
      ...changed,
      spec: {
        ...changed.spec,
        runtime: { ...changed.spec.runtime, env: [{ name: 'ROLLOUT_MARK', value: '2' }] },
      },
    });
    let mostPods = 0;
    const rolled = await waitFor(
      async () => {
        const live = (await pods('gpu-one')).filter((p) => !p.metadata.deletionTimestamp);
        mostPods = Math.max(mostPods, live.length);
        const ready = await readyPods('gpu-one');
        return ready.length === 1 && ready[0]!.metadata.name !== pod!.metadata.name && ready[0];
      },
      { description: 'gpu-one to roll to a new pod on the one GPU', timeoutMs: 180_000, intervalMs: 200 },
    );
    timings['GPU model spec change → new pod Ready'] = seconds(Date.now() - t1);
    expect(mostPods).toBe(1);
    expect(rolled.metadata.name).not.toBe(pod!.metadata.name);
    await waitModelReady('gpu-one', 1, 60_000);

    await apply(gpuModel('gpu-two'));
    const condition = await waitFor(
      async () =>
        (await modelStatus('gpu-two')).conditions?.find(
          (c) => c.reason === 'Unschedulable' && /nvidia\.com\/gpu/.test(c.message ?? ''),
        ),
      { description: 'gpu-two to report Unschedulable (nvidia.com/gpu)', timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(condition.message).toMatch(/Insufficient nvidia\.com\/gpu/);
    expect((await modelStatus('gpu-two')).phase).toBe('Pending');
    await kubectl(['-n', NS, 'delete', 'lm', 'gpu-one', 'gpu-two', '--wait=false']);
  }, 420_000);

  it('garbage-collects the Deployment, Service and Pods when the LlamaModel is deleted', async () => {
    await kubectl(['-n', NS, 'delete', 'lm', MODEL, '--wait=false']);
    const selector = `app.kubernetes.io/instance=${MODEL}`;
    await waitFor(
      async () => {
        const left = await kubectl([
          '-n',
          NS,
          'get',
          'deployments,replicasets,services,pods',
          '-l',
          selector,
          '-o',
          'name',
        ]);
        return left.trim() === '' && true;
      },
      {
        description: `every object of ${MODEL} to be garbage-collected`,
        timeoutMs: 120_000,
        intervalMs: 1_000,
      },
    );
  }, 150_000);
});
