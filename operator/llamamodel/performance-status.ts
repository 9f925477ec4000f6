// status.performance: every interval, read each ready pod's /metrics — in a cluster through the API
// server's pod proxy (so no extra network policy: the operator talks to the API server only) — at
// most `concurrency` at once, each within `timeoutMs`, and write the window between this read and the
// last one (performance-window.ts) when a value a user reads changed. At most one write per model per
// interval, none while a model is idle (the values stay 0), none for a model without ready pods
// (the field is removed once, when the last ready pod goes).
import type { V1Pod } from '@kubernetes/client-node';
import { RUNTIME_PATHS, RUNTIME_PORT } from '../../charts/runtime-contract.js';
import type { LlamaModel } from '../api/llama-model.js';
import { mapBounded } from '../kube/bounded.js';
import type { KubeClient } from '../kube/kube-client.js';
import {
  LiveFieldWriter,
  type LiveStatusCaches,
  modelKey,
  podName,
  readyPods,
  Ticker,
} from './live-status.js';
import { podPath } from './paths.js';
import {
  performanceOf,
  type RuntimeSample,
  readRuntimeSample,
  type SamplePair,
  samePerformance,
} from './performance-window.js';

/** Reads one pod's /metrics text. */
export type FetchPodMetrics = (
  pod: { namespace: string; name: string },
  signal: AbortSignal,
) => Promise<string>;

/** Through the API server: GET /api/v1/namespaces/N/pods/P:PORT/proxy/metrics (RBAC: pods/proxy get). */
export function podProxyMetrics(client: KubeClient): FetchPodMetrics {
  return ({ namespace, name }, signal) =>
    client.getText(
      `${podPath(namespace, `${name}:${RUNTIME_PORT}`, 'proxy')}${RUNTIME_PATHS.metrics}`,
      {},
      signal,
    );
}

export interface PerformanceStatusOptions {
  readonly client: KubeClient;
  readonly caches: LiveStatusCaches;
  /** @default 30 s */
  readonly intervalMs?: number;
  /** Per scrape. @default 5 s */
  readonly timeoutMs?: number;
  /** Scrapes at once. @default 8 */
  readonly concurrency?: number;
  /** @default podProxyMetrics(client) */
  readonly fetchMetrics?: FetchPodMetrics;
  readonly onError?: (error: unknown) => void;
}

export class PerformanceStatus {
  private readonly options: PerformanceStatusOptions;
  private readonly fetchMetrics: FetchPodMetrics;
  private readonly writer: LiveFieldWriter<'performance'>;
  private readonly ticker: Ticker;
  /** Each ready pod's previous scrape (namespace/pod → sample): the window's start. */
  private samples = new Map<string, RuntimeSample>();

  constructor(options: PerformanceStatusOptions) {
    this.options = options;
    this.fetchMetrics = options.fetchMetrics ?? podProxyMetrics(options.client);
    this.writer = new LiveFieldWriter(options.client, 'performance');
    this.ticker = new Ticker(
      options.intervalMs ?? 30_000,
      () => this.tick(),
      options.onError ?? (() => undefined),
    );
  }

  start(): void {
    this.ticker.start();
  }

  stop(): Promise<void> {
    return this.ticker.stop();
  }

  /** One scrape of every ready pod and one write per model that changed (exported for tests). */
  async tick(): Promise<void> {
    const { caches } = this.options;
    const models = caches.models();
    const work: { model: LlamaModel; pod: V1Pod; key: string }[] = [];
    for (const model of models) {
      const { namespace, name } = model.metadata;
      for (const pod of readyPods(caches.pods(namespace, name))) {
        work.push({ model, pod, key: `${namespace}/${podName(pod)}` });
      }
    }
    const timeoutMs = this.options.timeoutMs ?? 5_000;
    const scraped = await mapBounded(work, this.options.concurrency ?? 8, async ({ model, pod }) => {
      const text = await this.fetchMetrics(
        { namespace: model.metadata.namespace, name: podName(pod) },
        AbortSignal.timeout(timeoutMs),
      );
      return readRuntimeSample(text, Date.now());
    });
    // A pod that failed its scrape or is no longer ready starts a new window next time.
    const next = new Map<string, RuntimeSample>();
    const pairs = new Map<string, SamplePair[]>();
    scraped.forEach((result, i) => {
      const { model, key } = work[i]!;
      if (result.status === 'rejected') {
        this.options.onError?.(result.reason);
        return;
      }
      next.set(key, result.value);
      const before = this.samples.get(key);
      if (before)
        pairs.set(modelKey(model), [...(pairs.get(modelKey(model)) ?? []), { before, after: result.value }]);
    });
    this.samples = next;

    const now = new Date();
    const hasReady = new Set(work.map(({ model }) => modelKey(model)));
    const writes = await mapBounded(models, this.options.concurrency ?? 8, async (model) => {
      const key = modelKey(model);
      if (!hasReady.has(key)) return this.writer.write(model, null, samePerformance);
      const modelPairs = pairs.get(key);
      // The first scrape of a pod only opens its window.
      if (!modelPairs) return false;
      return this.writer.write(model, performanceOf(modelPairs, now), samePerformance);
    });
    for (const r of writes) if (r.status === 'rejected') this.options.onError?.(r.reason);
    this.writer.retain(new Set(models.map(modelKey)));
  }
}
