// status.performance end to end on this machine: the real kube-apiserver, the operator's manager
// (reconciler and the performance loop, interval 2 s) and two real `kubellama-runtime serve`
// processes on the tiny model (1 thread each) serving real requests.
// What is not real, and why: no kubelet runs here, so the two pods are Pod objects this test creates
// and marks ready through the status subresource; and the API server's pod proxy refuses loopback
// pod IPs, so the scraper's one seam — `fetchMetrics` — reads each runtime process's /metrics
// directly instead of through /api/v1/namespaces/N/pods/P:8080/proxy/metrics (podProxyMetrics, the
// production path, runs in test/e2e/kubellama.test.ts against a real node).
import { join } from 'node:path';
import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_METRICS } from '../../charts/metrics-contract.js';
import type { LlamaModel, PerformanceStatus } from '../../operator/api/llama-model.js';
import { EventRecorder } from '../../operator/kube/events.js';
import type { KubeClient } from '../../operator/kube/kube-client.js';
import { LlamaModelManager } from '../../operator/llamamodel/manager.js';
import { deploymentPath, modelPath, podPath } from '../../operator/llamamodel/paths.js';
import { parseSamples, type Sample } from '../charts/helpers/open-metrics.js';
import { freePort, ServerProcess, waitFor } from '../harness/index.js';
import {
  createTestNamespace,
  printKubeLogsOnFailure,
  printLogsOnFailure,
  sharedKubeConfig,
} from '../harness/vitest.js';
import { TEST_MODEL, type TinyModelDir, tinyModelDir } from '../runtime/runtime-fixture.js';
import { clientFor, createModel, installCrd, userModel } from './support/kube.js';
import { TEST_CUDA_IMAGE, TEST_ENDPOINT, TEST_IMAGE } from './support/operator.js';

const REPO = join(import.meta.dirname, '..', '..');
const INTERVAL_MS = 2_000;
const PODS = ['perf-a', 'perf-b'] as const;

interface Scrape {
  readonly pod: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly samples: Sample[];
}

/** Prometheus' histogram_quantile(), written again here from its documentation: the oracle. */
function quantileOf(q: number, buckets: Map<number, number>): number {
  const sorted = [...buckets.entries()].sort(([a], [b]) => a - b);
  const total = sorted.at(-1)![1];
  const rank = q * total;
  let previousLe = 0;
  let previousCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (le === Number.POSITIVE_INFINITY) return previousLe;
      return previousLe + ((le - previousLe) * (rank - previousCount)) / (count - previousCount);
    }
    previousLe = le;
    previousCount = count;
  }
  return previousLe;
}

const sum = (samples: Sample[], name: string) =>
  samples.filter((s) => s.name === name).reduce((total, s) => total + s.value, 0);

function bucketsOf(samples: Sample[]): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const s of samples.filter(
    (x) => x.name === `${RUNTIME_METRICS.timeToFirstToken.prometheusName}_bucket`,
  )) {
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  return buckets;
}

describe('status.performance from real runtimes (pod proxy replaced by direct reads, see header)', () => {
  printKubeLogsOnFailure();
  const kc = sharedKubeConfig();
  let client: KubeClient;
  let ns: string;
  let model: TinyModelDir;
  let manager: LlamaModelManager;
  const runtimes = new Map<string, { process: ServerProcess; url: string }>();
  const scrapes: Scrape[] = [];
  const statusWrites: { at: number; path: string }[] = [];
  printLogsOnFailure(() => [...runtimes.values()].map((r) => r.process.logFile));

  beforeAll(async () => {
    model = await tinyModelDir();
    await Promise.all(
      PODS.map(async (pod) => {
        const port = await freePort();
        const process_ = ServerProcess.start({
          name: `kubellama-runtime-${pod}`,
          command: process.execPath,
          args: [
            '--import',
            'tsx',
            join(REPO, 'runtime', 'cli', 'cli.ts'),
            'serve',
            '--model',
            model.modelPath,
          ],
          logFile: join(model.dir, `${pod}.log`),
          cwd: REPO,
          env: {
            KUBELLAMA_MODEL_ALIAS: TEST_MODEL,
            KUBELLAMA_HOST: '127.0.0.1',
            KUBELLAMA_PORT: String(port),
            KUBELLAMA_THREADS: '1',
            KUBELLAMA_CONTEXT_SIZE: '1024',
            KUBELLAMA_PARALLEL: '2',
            OTEL_TRACES_EXPORTER: 'none',
            OTEL_METRICS_EXPORTER: 'none',
          },
        });
        const url = `http://127.0.0.1:${port}`;
        runtimes.set(pod, { process: process_, url });
        await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, {
          description: `${pod}'s runtime to load the model`,
          timeoutMs: 120_000,
          abortIf: () => process_.assertRunning(),
        });
      }),
    );

    client = await clientFor(kc);
    await installCrd(client);
    ns = await createTestNamespace(kc, 'lm-perf');
    client.onRequest((method, path) => {
      if (method === 'PATCH' && path.split('?')[0]!.endsWith('/status'))
        statusWrites.push({ at: Date.now(), path });
    });
    manager = new LlamaModelManager({
      client,
      recorder: new EventRecorder(client, 'kubellama-operator'),
      defaults: {
        runtimeImages: { cpu: TEST_IMAGE, cuda: TEST_CUDA_IMAGE },
        telemetry: { endpoint: TEST_ENDPOINT, samplingRatio: 1 },
      },
      namespaces: [ns],
      concurrency: 2,
      performanceStatus: {
        intervalMs: INTERVAL_MS,
        // The seam (see the header): the runtime process itself instead of the API server's pod proxy.
        fetchMetrics: async ({ name }, signal) => {
          const runtime = runtimes.get(name);
          if (!runtime) throw new Error(`no runtime for pod ${name}`);
          const startedAt = Date.now();
          const text = await (await fetch(`${runtime.url}/metrics`, { signal })).text();
          scrapes.push({ pod: name, startedAt, finishedAt: Date.now(), samples: parseSamples(text) });
          return text;
        },
      },
    });
    await manager.sync();
    manager.start();
  }, 180_000);

  afterAll(async () => {
    await manager?.stop(2_000);
    await Promise.all([...runtimes.values()].map((r) => r.process.stop()));
    await model?.remove();
  });

  const getModel = () => client.get<LlamaModel>(modelPath(ns, 'perf'));

  it('writes tokens/s and TTFT within 10 % of what the runtimes’ own /metrics say, then nothing while idle', {
    timeout: 120_000,
  }, async () => {
    await createModel(client, userModel(ns, 'perf', { gpu: { count: 0 } }));
    const d = await waitFor(() => client.getOrUndefined<V1Deployment>(deploymentPath(ns, 'perf')), {
      description: 'the Deployment',
      timeoutMs: 20_000,
    });
    // The ReplicaSet's pods and the ready runtime containers a kubelet would report.
    for (const pod of PODS) {
      await client.create(podPath(ns), {
        metadata: { name: pod, labels: d.spec!.template.metadata?.labels },
        spec: d.spec!.template.spec,
      });
      await client.patch(
        podPath(ns, pod, 'status'),
        {
          status: {
            phase: 'Running',
            containerStatuses: [
              {
                name: 'runtime',
                image: TEST_IMAGE,
                imageID: '',
                ready: true,
                restartCount: 0,
                state: { running: { startedAt: new Date().toISOString() } },
              },
            ],
          },
        },
        'merge',
      );
    }

    // Right after a scrape of both pods (a window just opened), a burst that ends well within it.
    const scraped = scrapes.length;
    await waitFor(async () => scrapes.length >= scraped + 2 && scrapes.length % 2 === 0, {
      description: 'a scrape of both pods',
      timeoutMs: 20_000,
      intervalMs: 20,
    });
    const burstStart = Date.now();
    const completionTokens = new Map<string, number>(PODS.map((p) => [p, 0]));
    await Promise.all(
      PODS.flatMap((pod) =>
        ['one', 'two', 'three'].map(async (content, i) => {
          const response = await fetch(`${runtimes.get(pod)!.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              model: TEST_MODEL,
              messages: [{ role: 'user', content }],
              max_tokens: 12 + 4 * i,
            }),
          });
          expect(response.status).toBe(200);
          const body = (await response.json()) as { usage: { completion_tokens: number } };
          completionTokens.set(pod, completionTokens.get(pod)! + body.usage.completion_tokens);
        }),
      ),
    );
    const burstMs = Date.now() - burstStart;
    expect(burstMs).toBeLessThan(INTERVAL_MS); // else the burst straddles two windows: the test is void

    const busy = await waitFor(
      async () => {
        const p = (await getModel()).status?.performance;
        return p && p.tokensPerSecond > 0 ? p : undefined;
      },
      { description: 'status.performance with tokens/s above 0', timeoutMs: 20_000 },
    );

    // The window that status describes: each pod's last two scrapes before it was written.
    const writtenAt = Date.parse(busy.observedAt);
    let expectedTokensPerSecond = 0;
    const ttftBuckets = new Map<number, number>();
    let windowTokens = 0;
    for (const pod of PODS) {
      const mine = scrapes.filter((s) => s.pod === pod && s.finishedAt <= writtenAt);
      const [before, after] = mine.slice(-2) as [Scrape, Scrape];
      const name = RUNTIME_METRICS.tokensPredicted.prometheusName;
      const tokens = sum(after.samples, name) - sum(before.samples, name);
      windowTokens += tokens;
      // What the runtime says it generated is what the clients were told they got.
      expect(tokens).toBe(completionTokens.get(pod));
      expectedTokensPerSecond += tokens / ((after.finishedAt - before.finishedAt) / 1000);
      const b0 = bucketsOf(before.samples);
      for (const [le, count] of bucketsOf(after.samples))
        ttftBuckets.set(le, (ttftBuckets.get(le) ?? 0) + count - (b0.get(le) ?? 0));
    }
    expect(windowTokens).toBeGreaterThan(0);
    expect(ttftBuckets.get(Number.POSITIVE_INFINITY)).toBe(6); // all six requests fall in this window
    expect(busy.tokensPerSecond).toBeGreaterThan(expectedTokensPerSecond * 0.9);
    expect(busy.tokensPerSecond).toBeLessThan(expectedTokensPerSecond * 1.1);
    const p50 = quantileOf(0.5, ttftBuckets);
    const p95 = quantileOf(0.95, ttftBuckets);
    expect(busy.ttftP50Seconds).toBeGreaterThan(p50 * 0.9);
    expect(busy.ttftP50Seconds).toBeLessThan(p50 * 1.1);
    expect(busy.ttftP95Seconds).toBeGreaterThan(p95 * 0.9);
    expect(busy.ttftP95Seconds).toBeLessThan(p95 * 1.1);
    expect(busy).toMatchObject({ replicasScraped: 2, requestsInFlight: 0, requestsQueued: 0 });
    expect(busy.windowSeconds).toBeGreaterThan(0);

    // The next window is idle: one write (tokens/s 0, no TTFT) ...
    const idle = await waitFor(
      async () => {
        const p = (await getModel()).status?.performance;
        return p && p.tokensPerSecond === 0 ? p : undefined;
      },
      { description: 'status.performance back to 0 tokens/s', timeoutMs: 20_000 },
    );
    expect(idle.ttftP50Seconds).toBeUndefined();
    expect(idle.replicasScraped).toBe(2);
    // ... and then no status write at all across three more intervals (scrapes go on).
    const writesBefore = statusWrites.length;
    const scrapesBefore = scrapes.length;
    const resourceVersion = (await getModel()).metadata.resourceVersion;
    await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL_MS + 500));
    expect(scrapes.length - scrapesBefore).toBeGreaterThanOrEqual(3 * PODS.length);
    expect(statusWrites.slice(writesBefore)).toEqual([]);
    expect((await getModel()).metadata.resourceVersion).toBe(resourceVersion);
    const final: PerformanceStatus | undefined = (await getModel()).status?.performance;
    expect(final).toEqual(idle);
  });

  it('removes status.performance once no pod is ready', { timeout: 60_000 }, async () => {
    for (const pod of PODS) await client.delete(podPath(ns, pod));
    await waitFor(async () => (await getModel()).status?.performance === undefined, {
      description: 'status.performance to be removed',
      timeoutMs: 20_000,
    });
  });
});
