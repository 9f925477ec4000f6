// Faults in the cluster on a real node (issue 15, item 2): a runtime Pod deleted mid-stream, the
// collector killed, Jaeger down for 30 s, the operator killed during a spec change, the API server
// restarted — each asserting what a user sees and that nothing is lost beyond the documented bounded
// buffers (test/reliability/README.md has the table).
// Traffic: from the test process (the host) to the model Service's ClusterIP, which the host routes
// to the node, where kube-proxy's rules pick a runtime Pod — the path of a client in a Pod, minus the
// Pod. One cluster bring-up for the whole file (support/installed-cluster.ts). Real: images from the
// Dockerfile, kubelet + containerd, operator, collector, Jaeger (memory storage), llama.cpp.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_NAMESPACE } from '../../charts/images.js';
import { RUNTIME_PATHS, RUNTIME_PORT } from '../../charts/runtime-contract.js';
import { fetchJaegerTrace, type JaegerTrace } from '../../lib/jaeger-trace.js';
import { REASON } from '../../operator/api/conditions.js';
import { waitFor } from '../harness/wait.js';
import { type ChatOptions, type ChatResult, chatCompletion, percentile } from './support/chat-traffic.js';
import {
  INSTALLED_CLUSTER_SETUP_MS,
  INSTALLED_CLUSTER_TEARDOWN_MS,
  type InstalledCluster,
  installedClusterSkipReason,
  startInstalledCluster,
} from './support/installed-cluster.js';
import type { Pod } from './support/kube-objects.js';
import { spanExportCounts } from './support/lost-spans.js';

const skipReason = installedClusterSkipReason();
if (skipReason) console.warn(`[cluster-faults] skipped: ${skipReason}`);

const NS = 'faults';
const MODEL = 'tiny';
const SHORT: Omit<ChatOptions, 'model'> = { stream: false, maxTokens: 16, deadlineMs: 30_000 };
/** A generation the tiny model does not end early: a plain completion at temperature 0. */
const LONG: Omit<ChatOptions, 'model'> = {
  api: 'completions',
  prompt: 'Once upon a time',
  temperature: 0,
  stream: true,
  maxTokens: 1800,
  deadlineMs: 90_000,
};
const report: string[] = [];
const note = (line: string) => {
  report.push(line);
  console.log(`[cluster-faults] ${line}`);
};
const ms = (values: readonly number[]) =>
  `p50 ${percentile(values, 50).toFixed(0)} ms, p95 ${percentile(values, 95).toFixed(0)} ms (n=${values.length})`;

describe.skipIf(skipReason)('cluster faults on a real node', () => {
  let env: InstalledCluster;
  let base: string;
  /** Span count of one SHORT request's complete trace (measured before any fault). */
  let spansPerTrace = 0;
  let traceBeforeFaults = '';

  const send = (options: Partial<ChatOptions> = {}) =>
    chatCompletion(base, { model: MODEL, ...SHORT, ...options });
  const trace = (id: string): Promise<JaegerTrace | undefined> => fetchJaegerTrace(env.jaegerUrl(), id);
  const complete = (t: JaegerTrace | undefined) =>
    t?.spans.some((s) => (s.references ?? []).length === 0) &&
    ['llama.prefill', 'llama.decode', `chat ${MODEL}`].every((name) =>
      t.spans.some((s) => s.operationName === name),
    );
  /** Waits until every trace is complete in Jaeger or the time is up; answers the span count found per trace. */
  const awaitTraces = async (ids: readonly string[], timeoutMs: number) => {
    const found = new Map<string, number>();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const id of ids) {
        if ((found.get(id) ?? 0) >= spansPerTrace) continue;
        const t = await trace(id);
        if (t) found.set(id, complete(t) ? Math.max(t.spans.length, spansPerTrace) : t.spans.length);
      }
      if (ids.every((id) => (found.get(id) ?? 0) >= spansPerTrace) || Date.now() > deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  };
  const runtimeMetrics = async () => (await fetch(`${base}${RUNTIME_PATHS.metrics}`)).text();
  const systemPods = async (deployment: string) =>
    (await env.pods(SYSTEM_NAMESPACE, deployment)).filter((p) => !p.metadata.deletionTimestamp);
  const rolledOut = (deployment: string) =>
    env.kubectl(
      ['-n', SYSTEM_NAMESPACE, 'rollout', 'status', `deployment/${deployment}`, '--timeout=180s'],
      undefined,
      200_000,
    );
  /** Sequential SHORT requests until `until` resolves; every result kept. */
  const trafficUntil = async (until: Promise<unknown>) => {
    let done = false;
    const stop = () => {
      done = true;
    };
    until.then(stop, stop);
    const results: ChatResult[] = [];
    while (!done && results.length < 2_000) {
      results.push(await send());
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await until;
    return results;
  };
  const summary = (results: readonly ChatResult[]) =>
    results
      .filter((r) => r.outcome !== 'complete')
      .map((r) => `${r.outcome} ${r.status ?? ''} ${r.error ?? ''}`);
  const deployment = async () =>
    env.cluster.apiGet<{
      metadata: { generation: number };
      spec: {
        template: { spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] } };
      };
    }>(`/apis/apps/v1/namespaces/${NS}/deployments/${MODEL}`);
  const mark = async (value: string) => {
    const d = await deployment();
    return d.spec.template.spec.containers.some((c) =>
      c.env?.some((e) => e.name === 'FAULT_MARK' && e.value === value),
    );
  };
  const waitConverged = (value: string, description: string) =>
    waitFor(
      async () => {
        const model = await env.cluster.apiGet<{
          metadata: { generation: number };
          status?: { observedGeneration?: number; phase?: string };
        }>(`/apis/inference.kubellama.dev/v1alpha1/namespaces/${NS}/llamamodels/${MODEL}`);
        return (
          (await mark(value)) &&
          model.status?.observedGeneration === model.metadata.generation &&
          model.status?.phase === 'Ready' &&
          model
        );
      },
      { description, timeoutMs: 180_000, intervalMs: 500 },
    );

  beforeAll(async () => {
    env = await startInstalledCluster({ suite: 'cluster-faults' });
    await env.createTinyModel(NS, MODEL, { runtime: { parallel: 2, contextSize: 2048 } });
    await env.waitModelReady(NS, MODEL, 1);
    base = await env.serviceUrl(NS, MODEL, RUNTIME_PORT);
    // One trace before any fault: how many spans a complete SHORT request has.
    const first = await send();
    expect(first.outcome, first.error).toBe('complete');
    traceBeforeFaults = first.traceId!;
    const t = await waitFor(
      async () => {
        const found = await trace(first.traceId!);
        return complete(found) && found;
      },
      { description: 'the first request trace in Jaeger', timeoutMs: 60_000, intervalMs: 1_000 },
    );
    // Spans of one request arrive in one batch of the runtime (they end within milliseconds).
    spansPerTrace = t!.spans.length;
    note(
      `a complete request trace has ${spansPerTrace} spans: ${t!.spans.map((s) => s.operationName).join(', ')}`,
    );
  }, INSTALLED_CLUSTER_SETUP_MS);

  afterAll(async () => {
    if (report.length) console.log(`[cluster-faults] report:\n  ${report.join('\n  ')}`);
    await env?.stop();
  }, INSTALLED_CLUSTER_TEARDOWN_MS);

  it('runtime Pod deleted mid-stream: a graceful delete finishes the stream, a forced one ends it at once (never a hang); a new Pod serves, the model goes not Ready → Ready with an Event', async () => {
    const [first] = await env.readyPods(NS, MODEL);
    // kubectl delete pod (grace 60 s: preStop sleep, then SIGTERM drains): the stream in flight finishes.
    let deleting: Promise<string> | undefined;
    const graceful = await chatCompletion(base, {
      model: MODEL,
      ...LONG,
      onFirstToken: () => {
        deleting = env.kubectl(['-n', NS, 'delete', 'pod', first!.metadata.name, '--wait=false']);
      },
    });
    await deleting;
    note(
      `graceful delete mid-stream: ${graceful.outcome} after ${graceful.tokens} tokens in ${graceful.ms.toFixed(0)} ms`,
    );
    expect(graceful.outcome, graceful.error).toBe('complete');
    const second = await waitFor(
      async () => (await env.readyPods(NS, MODEL)).find((p) => p.metadata.name !== first!.metadata.name),
      {
        description: 'a new runtime Pod Ready after the graceful delete',
        timeoutMs: 180_000,
        intervalMs: 500,
      },
    );
    await waitFor(async () => (await env.pods(NS, MODEL)).length === 1 && true, {
      description: 'the deleted Pod gone',
      timeoutMs: 120_000,
      intervalMs: 500,
    });

    // --grace-period=0 --force: the process is killed with the stream open.
    const deletedAt = Date.now();
    let forcing: Promise<string> | undefined;
    const statuses: string[] = [];
    const forced = await chatCompletion(base, {
      model: MODEL,
      ...LONG,
      onFirstToken: () => {
        forcing = env.kubectl([
          '-n',
          NS,
          'delete',
          'pod',
          second.metadata.name,
          '--grace-period=0',
          '--force',
        ]);
      },
    });
    await forcing;
    note(
      `forced delete mid-stream: ${forced.outcome} after ${forced.tokens} tokens in ${forced.ms.toFixed(0)} ms (${forced.error ?? 'no error'})`,
    );
    expect(['complete', 'cut']).toContain(forced.outcome);
    // The model goes not Ready (its one replica is gone), then Ready again on a new Pod.
    await waitFor(
      async () => {
        const status = await env.modelStatus(NS, MODEL);
        const ready = status.conditions?.find((c) => c.type === 'Ready');
        statuses.push(`${status.phase}/${ready?.reason}`);
        return ready?.status === 'False' && ready;
      },
      { description: 'the LlamaModel not Ready after the forced delete', timeoutMs: 60_000, intervalMs: 200 },
    );
    const status = await env.waitModelReady(NS, MODEL, 1);
    note(`status after the forced delete: ${[...new Set(statuses)].join(' → ')} → ${status.phase}`);
    const third = (await env.readyPods(NS, MODEL))[0] as Pod;
    expect(third.metadata.name).not.toBe(second.metadata.name);
    const events = await waitFor(
      async () => {
        const all = await env.events(NS, MODEL);
        const after = all.filter(
          (e) => Date.parse(e.lastTimestamp ?? e.eventTime ?? '') >= deletedAt - 1_000,
        );
        return after.some((e) => e.reason === REASON.available) && after;
      },
      { description: 'an Event saying the model serves again', timeoutMs: 60_000, intervalMs: 1_000 },
    ).catch(async (error: Error) => {
      const all = await env.kubectl(['-n', NS, 'get', 'events', '--sort-by=.lastTimestamp']);
      throw new Error(`${error.message}\n${all}`);
    });
    note(
      `events after the forced delete: ${events.map((e) => `${e.type} ${e.reason} "${e.message}"`).join('; ')}`,
    );
    // kubectl describe lm: the outage, then the recovery.
    expect(events.map((e) => `${e.type} ${e.reason}`)).toEqual(
      expect.arrayContaining([`Warning ${REASON.replicasNotReady}`, `Normal ${REASON.available}`]),
    );
    // A retried request succeeds.
    const retried = await send();
    expect(retried.outcome, retried.error).toBe('complete');
  }, 600_000);

  it('collector Pod killed: every request succeeds; spans buffered in the runtime reach Jaeger once it is back, any lost ones are counted on /metrics', async () => {
    const collector = env.systemDeployments.find((d) => d.includes('collector'))!;
    const baseline: number[] = [];
    for (let i = 0; i < 10; i++) baseline.push((await send()).ms);
    const before = spanExportCounts(await runtimeMetrics());
    const [old] = await systemPods(collector);
    // kubectl delete pod: the collector drains (it flushes on SIGTERM) and the Deployment replaces it.
    const back = (async () => {
      await env.kubectl(
        ['-n', SYSTEM_NAMESPACE, 'delete', 'pod', old!.metadata.name, '--wait=true'],
        undefined,
        120_000,
      );
      await rolledOut(collector);
      // A few more seconds of traffic with the new collector in place.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    })();
    const during = await trafficUntil(back);
    expect(summary(during)).toEqual([]);
    expect(during.length).toBeGreaterThan(0);
    note(
      `collector restart: ${during.length} requests, all answered; latency before ${ms(baseline)}, during ${ms(during.map((r) => r.ms))}`,
    );

    const ids = during.map((r) => r.traceId!);
    // The runtime exports every 5 s and retries a failed export ~13 s: give it time to settle.
    const found = await awaitTraces(ids, 90_000);
    const after = spanExportCounts(await runtimeMetrics());
    const missingSpans = ids.reduce((sum, id) => sum + Math.max(0, spansPerTrace - (found.get(id) ?? 0)), 0);
    const lost =
      after.failedExport + after.droppedQueueFull - (before.failedExport + before.droppedQueueFull);
    const completeTraces = ids.filter((id) => (found.get(id) ?? 0) >= spansPerTrace).length;
    note(
      `collector restart: ${completeTraces}/${ids.length} traces complete in Jaeger; ${missingSpans} spans missing; the runtime counted ${lost} lost (queue_full ${after.droppedQueueFull - before.droppedQueueFull}, failed exports ${after.failedExport - before.failedExport})`,
    );
    // Nothing lost without being counted: every missing span is in the runtime's lost count.
    expect(missingSpans).toBeLessThanOrEqual(lost);
  }, 600_000);

  it('Jaeger down for 30 s: requests succeed, the collector queues and retries, the traces sent meanwhile arrive afterwards', async () => {
    const jaeger = env.systemDeployments.find((d) => d.includes('jaeger'))!;
    await env.kubectl(['-n', SYSTEM_NAMESPACE, 'scale', `deployment/${jaeger}`, '--replicas=0']);
    await waitFor(async () => (await env.pods(SYSTEM_NAMESPACE, jaeger)).length === 0 && true, {
      description: 'Jaeger gone',
      timeoutMs: 90_000,
      intervalMs: 500,
    });
    const down = await trafficUntil(new Promise((resolve) => setTimeout(resolve, 30_000)));
    expect(summary(down)).toEqual([]);
    await env.kubectl(['-n', SYSTEM_NAMESPACE, 'scale', `deployment/${jaeger}`, '--replicas=1']);
    await rolledOut(jaeger);
    await env.reconnectJaeger();
    const upAt = Date.now();
    const ids = down.map((r) => r.traceId!);
    // The collector's otlp exporter retries with backoff up to 30 s between tries (its defaults).
    const found = await awaitTraces(ids, 120_000);
    const arrived = ids.filter((id) => (found.get(id) ?? 0) >= spansPerTrace).length;
    note(
      `Jaeger down 30 s: ${down.length} requests answered; ${arrived}/${ids.length} traces complete in Jaeger ${((Date.now() - upAt) / 1000).toFixed(0)} s after it was back`,
    );
    expect(arrived).toBe(ids.length);
    // Memory storage: what Jaeger held before its restart is gone (the storage's nature, not a loss in transit).
    note(
      `the trace from before the faults is ${(await trace(traceBeforeFaults)) ? 'still there' : 'gone (memory storage)'}`,
    );
  }, 600_000);

  it('operator Pod killed during a spec change: the successor converges (Deployment updated, Ready at the new generation)', async () => {
    const operator = env.systemDeployments.find((d) => d.includes('operator'))!;
    const [old] = await systemPods(operator);
    // Killed first (SIGKILL: no lease release), the change applied as soon as its successor's
    // container runs: only the successor can make it land, once it holds the Lease.
    await env.kubectl([
      '-n',
      SYSTEM_NAMESPACE,
      'delete',
      'pod',
      old!.metadata.name,
      '--grace-period=0',
      '--force',
    ]);
    await waitFor(
      async () =>
        (await systemPods(operator)).some(
          (p) => p.metadata.name !== old!.metadata.name && p.status.containerStatuses?.[0]?.state?.running,
        ),
      { description: 'the successor operator container running', timeoutMs: 120_000, intervalMs: 250 },
    );
    const t0 = Date.now();
    await env.apply(
      env.tinyModel(NS, MODEL, {
        runtime: { parallel: 2, contextSize: 2048, env: [{ name: 'FAULT_MARK', value: 'operator-killed' }] },
      }),
    );
    await waitConverged('operator-killed', 'the spec change with FAULT_MARK=operator-killed to land');
    const [successor] = await systemPods(operator);
    expect(successor!.metadata.name).not.toBe(old!.metadata.name);
    await env.waitModelReady(NS, MODEL, 1);
    note(
      `operator killed, spec changed while its successor started: converged ${((Date.now() - t0) / 1000).toFixed(1)} s after the change, by ${successor!.metadata.name}`,
    );
    expect((await send()).outcome).toBe('complete');
  }, 400_000);

  it('API server restarted: requests keep succeeding, the operator re-lists and acts on the next change, no duplicate children', async () => {
    const operator = env.systemDeployments.find((d) => d.includes('operator'))!;
    const restartsBefore = (await systemPods(operator))[0]!.status.containerStatuses?.[0]?.restartCount ?? 0;
    let away = 0;
    const during = await trafficUntil(
      env.cluster.restartApiServer().then((value) => {
        away = value;
      }),
    );
    expect(summary(during)).toEqual([]);
    note(
      `API server restart: away ${(away / 1000).toFixed(1)} s; ${during.length} requests meanwhile, all answered`,
    );
    await env.apply(
      env.tinyModel(NS, MODEL, {
        runtime: {
          parallel: 2,
          contextSize: 2048,
          env: [{ name: 'FAULT_MARK', value: 'after-apiserver-restart' }],
        },
      }),
    );
    await waitConverged('after-apiserver-restart', 'the spec change after the API server restart to land');
    await env.waitModelReady(NS, MODEL, 1);
    const selector = `app.kubernetes.io/instance=${MODEL}`;
    const count = async (kind: string) =>
      (await env.kubectl(['-n', NS, 'get', kind, '-l', selector, '-o', 'name']))
        .trim()
        .split('\n')
        .filter(Boolean).length;
    expect(await count('deployments')).toBe(1);
    expect(await count('services')).toBe(1);
    const [pod] = await systemPods(operator);
    note(
      `after the API server restart: 1 Deployment, 1 Service; the operator container restarted ${(pod!.status.containerStatuses?.[0]?.restartCount ?? 0) - restartsBefore} time(s)`,
    );
    expect((await send()).outcome).toBe('complete');
  }, 400_000);
});
