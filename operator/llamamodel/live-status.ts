// What the two live-status loops (download-status.ts, performance-status.ts) share: the pods they
// read, a periodic, non-overlapping tick, and the one write each makes — a merge patch of its own
// field of /status only, skipped while the cache has not yet caught up with the last write.
// The reconciler leaves those fields alone (reconciler.ts, reconciledFields), so no writer undoes another.
import type { V1Pod } from '@kubernetes/client-node';
import { WORKLOAD_CONTAINERS } from '../../charts/workload-contract.js';
import type { LlamaModel, LlamaModelStatus } from '../api/llama-model.js';
import { stableStringify } from '../kube/apply.js';
import { KubeApiError } from '../kube/errors.js';
import type { KubeClient } from '../kube/kube-client.js';
import { modelPath } from './paths.js';

/** Read access to the manager's informer caches. */
export interface LiveStatusCaches {
  models(): LlamaModel[];
  /** The pods of a model (by its selector labels). */
  pods(namespace: string, model: string): V1Pod[];
}

export type LiveField = 'download' | 'performance';

export const modelKey = (model: LlamaModel) => `${model.metadata.namespace}/${model.metadata.name}`;

export const podName = (pod: V1Pod) => pod.metadata?.name ?? '';

const live = (pod: V1Pod) => !pod.metadata?.deletionTimestamp;

/** Pods whose pull init container runs now (its log is being written). */
export function downloadingPods(pods: readonly V1Pod[]): V1Pod[] {
  return pods.filter(
    (pod) =>
      live(pod) &&
      pod.status?.initContainerStatuses?.some((s) => s.name === WORKLOAD_CONTAINERS.pull && s.state?.running),
  );
}

/** Pods whose runtime container is ready: the model is loaded and serves. */
export function readyPods(pods: readonly V1Pod[]): V1Pod[] {
  return pods.filter(
    (pod) =>
      live(pod) &&
      pod.status?.containerStatuses?.some((s) => s.name === WORKLOAD_CONTAINERS.runtime && s.ready),
  );
}

/** Writes one live field of a model's status; remembers the last write so a stale cache does not cause a second. */
export class LiveFieldWriter<F extends LiveField> {
  private readonly written = new Map<string, { resourceVersion: string | undefined; value: string }>();

  constructor(
    private readonly client: KubeClient,
    private readonly field: F,
  ) {}

  /**
   * Sets the field to `value` (null removes it) unless `same(cached, value)` or this exact write was
   * already made over the model's cached resourceVersion. Answers whether it wrote.
   */
  async write(
    model: LlamaModel,
    value: NonNullable<LlamaModelStatus[F]> | null,
    same: (a: LlamaModelStatus[F] | undefined, b: LlamaModelStatus[F] | undefined) => boolean,
  ): Promise<boolean> {
    const cached = model.status?.[this.field];
    if (same(cached, value ?? undefined)) return false;
    const key = modelKey(model);
    const text = stableStringify(value);
    const last = this.written.get(key);
    if (last && last.resourceVersion === model.metadata.resourceVersion && last.value === text) return false;
    const { namespace, name } = model.metadata;
    // A merge patch keeps the keys it does not mention: a key the new value lacks (an idle window's
    // TTFT) is sent as null, or it would stay.
    const patch =
      value && cached
        ? { ...Object.fromEntries(Object.keys(cached).map((k) => [k, null])), ...value }
        : value;
    try {
      await this.client.patch(
        modelPath(namespace, name, 'status'),
        { status: { [this.field]: patch } },
        'merge',
      );
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) return false; // deleted meanwhile
      throw error;
    }
    this.written.set(key, { resourceVersion: model.metadata.resourceVersion, value: text });
    return true;
  }

  /** Forgets models that are gone. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.written.keys()) if (!keys.has(key)) this.written.delete(key);
  }
}

/** Runs `tick` every `intervalMs` (from the start of one to the start of the next; never two at once). */
export class Ticker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly intervalMs: number,
    private readonly tick: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = Date.now();
      this.running = this.tick()
        .catch(this.onError)
        .finally(() => {
          this.running = undefined;
          this.schedule(Math.max(0, this.intervalMs - (Date.now() - started)));
        });
    }, delayMs);
    this.timer.unref();
  }
}
