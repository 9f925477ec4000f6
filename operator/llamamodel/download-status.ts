// status.download: while a model's pods run their pull init container, read the newest lines of
// its log (pods/log, tailLines) every few seconds, at most `concurrency` reads at once, and write
// what the newest progress line says (the line is a contract: charts/pull-progress-contract.ts).
// Removed once no pod downloads (the model is loading or loaded). Costs one small GET per
// downloading pod per interval, nothing for models that do not download.
import type { V1Pod } from '@kubernetes/client-node';
import { lastPullProgress, type PullProgressReport } from '../../charts/pull-progress-contract.js';
import { WORKLOAD_CONTAINERS } from '../../charts/workload-contract.js';
import type { DownloadStatus as DownloadStatusValue, LlamaModel } from '../api/llama-model.js';
import { mapBounded } from '../kube/bounded.js';
import type { KubeClient } from '../kube/kube-client.js';
import {
  downloadingPods,
  LiveFieldWriter,
  type LiveStatusCaches,
  modelKey,
  podName,
  Ticker,
} from './live-status.js';
import { podPath } from './paths.js';

/** Log lines read per pod: the progress line is the newest unless the downloader just warned. */
const TAIL_LINES = 5;

export interface DownloadStatusOptions {
  readonly client: KubeClient;
  readonly caches: LiveStatusCaches;
  /** @default 3 s */
  readonly intervalMs?: number;
  /** Log reads at once. @default 4 */
  readonly concurrency?: number;
  readonly onError?: (error: unknown) => void;
}

/** The models' download progress, summed over each model's downloading pods. */
export function downloadOf(
  pods: number,
  reports: readonly PullProgressReport[],
  observedAt: Date,
): DownloadStatusValue {
  const bytes = reports.reduce((sum, r) => sum + r.bytes, 0);
  const totalBytes = reports.reduce((sum, r) => sum + r.totalBytes, 0);
  return {
    bytes,
    totalBytes,
    percent: totalBytes > 0 ? Math.min(100, Math.floor((bytes / totalBytes) * 100)) : 0,
    pods,
    observedAt: observedAt.toISOString(),
  };
}

function sameDownload(a: DownloadStatusValue | undefined, b: DownloadStatusValue | undefined): boolean {
  if (!a || !b) return a === b;
  return a.bytes === b.bytes && a.totalBytes === b.totalBytes && a.percent === b.percent && a.pods === b.pods;
}

export class DownloadStatus {
  private readonly options: DownloadStatusOptions;
  private readonly writer: LiveFieldWriter<'download'>;
  private readonly ticker: Ticker;

  constructor(options: DownloadStatusOptions) {
    this.options = options;
    this.writer = new LiveFieldWriter(options.client, 'download');
    this.ticker = new Ticker(
      options.intervalMs ?? 3_000,
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

  /** One pass over every model (exported for tests; the ticker calls it). */
  async tick(): Promise<void> {
    const { caches, client } = this.options;
    const models = caches.models();
    const work: { model: LlamaModel; pod: V1Pod }[] = [];
    const downloading = new Map<string, number>();
    for (const model of models) {
      const pods = downloadingPods(caches.pods(model.metadata.namespace, model.metadata.name));
      downloading.set(modelKey(model), pods.length);
      for (const pod of pods) work.push({ model, pod });
    }
    const read = await mapBounded(work, this.options.concurrency ?? 4, async ({ model, pod }) =>
      lastPullProgress(
        await client.getText(podPath(model.metadata.namespace, podName(pod), 'log'), {
          container: WORKLOAD_CONTAINERS.pull,
          tailLines: String(TAIL_LINES),
        }),
      ),
    );
    const reports = new Map<string, PullProgressReport[]>();
    read.forEach((result, i) => {
      const key = modelKey(work[i]!.model);
      if (result.status === 'rejected') this.options.onError?.(result.reason);
      else if (result.value) reports.set(key, [...(reports.get(key) ?? []), result.value]);
    });
    const now = new Date();
    await mapBounded(models, this.options.concurrency ?? 4, async (model) => {
      const pods = downloading.get(modelKey(model)) ?? 0;
      const value = pods > 0 ? downloadOf(pods, reports.get(modelKey(model)) ?? [], now) : null;
      await this.writer.write(model, value, sameDownload);
    }).then((results) => {
      for (const r of results) if (r.status === 'rejected') this.options.onError?.(r.reason);
    });
    this.writer.retain(new Set(models.map(modelKey)));
  }
}
