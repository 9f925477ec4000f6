// The KEDA ScaledObjects the operator owns, cached like its other children, but only once KEDA is
// there: an informer on a kind the API server does not serve would fail and restart forever. So
// discovery is asked first (at start-up, and again for a model that wants engine keda, at most
// once per recheck interval: a missing KEDA costs one GET per interval, not a retry storm), and
// the informers start the first time it answers yes. KEDA is never assumed to go away again.
import { KEDA_API_VERSION, SCALED_OBJECTS } from '../../charts/llama-model-autoscaler.js';
import { servesResource } from '../kube/discovery.js';
import type { KubeClient, KubeObject } from '../kube/kube-client.js';
import { type EventHandler, Informer } from '../kube/source.js';
import { trimSpecOnly } from './cache-fields.js';
import { scaledObjectPath } from './paths.js';

export interface KedaScaledObjectsOptions {
  readonly client: KubeClient;
  /** Namespaces to watch; empty: all. */
  readonly namespaces: readonly string[];
  readonly labelSelector: string;
  /** Events of the cached ScaledObjects (the owner's key is enqueued). */
  readonly handler: EventHandler<KubeObject>;
  /** How long a "not installed" answer holds before discovery is asked again. @default 60 s */
  readonly recheckMs?: number;
  readonly onError?: (error: unknown) => void;
  /** Longest wait for the first list once KEDA is found. @default 30 s */
  readonly syncTimeoutMs?: number;
}

export class KedaScaledObjects {
  private readonly options: KedaScaledObjectsOptions;
  private informers: Map<string, Informer<KubeObject>> | undefined;
  private starting: Promise<boolean> | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(options: KedaScaledObjectsOptions) {
    this.options = options;
  }

  /** Whether ScaledObjects are served (and cached from now on); asks discovery when due. */
  async available(now = Date.now()): Promise<boolean> {
    if (this.informers) return true;
    if (this.stopped) return false;
    if (this.starting) return this.starting;
    if (now - this.checkedAt < (this.options.recheckMs ?? 60_000)) return false;
    this.checkedAt = now;
    this.starting = this.discoverAndStart().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /** True once the informers run (KEDA was found): the cache is then authoritative. */
  get started(): boolean {
    return this.informers !== undefined;
  }

  get(key: string): KubeObject | undefined {
    const namespace = key.slice(0, key.indexOf('/'));
    return (this.informers?.get(namespace) ?? this.informers?.get(''))?.get(key);
  }

  stop(): void {
    this.stopped = true;
    for (const informer of this.informers?.values() ?? []) informer.stop();
  }

  private async discoverAndStart(): Promise<boolean> {
    const { client, namespaces } = this.options;
    if (!(await servesResource(client, KEDA_API_VERSION, SCALED_OBJECTS))) return false;
    const scopes = namespaces.length > 0 ? namespaces : [''];
    const informers = new Map(
      scopes.map((ns) => {
        const informer = new Informer<KubeObject>(client, {
          path: scaledObjectPath(ns || undefined),
          labelSelector: this.options.labelSelector,
          transform: trimSpecOnly,
          ...(this.options.onError ? { onError: this.options.onError } : {}),
        });
        informer.on(this.options.handler);
        return [ns, informer] as const;
      }),
    );
    // Bounded: a list that keeps failing (e.g. RBAC) must not hold reconciles or start-up forever;
    // the informers go on retrying and fill the cache when they can.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...informers.values()].map((i) => i.start())),
      new Promise((resolve) => {
        timer = setTimeout(resolve, this.options.syncTimeoutMs ?? 30_000);
      }),
    ]);
    clearTimeout(timer);
    // Stopped while the first list ran: stop what just started.
    if (this.stopped) {
      for (const informer of informers.values()) informer.stop();
      return false;
    }
    this.informers = informers;
    return true;
  }
}
