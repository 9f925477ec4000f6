// LlamaModelManager wires the LlamaModel controller (controller-runtime's manager and builder roles):
// informers (LlamaModels, and the Deployments, Services, PVCs, pods, HPAs and KEDA ScaledObjects
// they own) per watched
// namespace, each cache trimmed to the fields read (cache-fields.ts), event → key mapping, periodic
// resync, the one Controller (kube/controller.ts) that runs the LlamaModelReconciler, and the two
// loops that keep status.download and status.performance live (download-status.ts, performance-status.ts).
import type { V1Deployment, V1PersistentVolumeClaim, V1Pod, V1Service } from '@kubernetes/client-node';
import { SCALED_OBJECTS } from '../../charts/llama-model-autoscaler.js';
import { LABEL_KEYS, LLAMA_MODEL_APP } from '../../charts/workload-contract.js';
import { GROUP, KIND, type LlamaModel } from '../api/llama-model.js';
import { Controller, type ReconcileObserver } from '../kube/controller.js';
import { enqueueMapped, enqueueOwner } from '../kube/enqueue-owner.js';
import type { EventRecorder } from '../kube/events.js';
import type { KubeClient, KubeObject } from '../kube/kube-client.js';
import { Informer, type InformerOptions } from '../kube/source.js';
import { trimDeployment, trimModel, trimPod, trimSpecOnly } from './cache-fields.js';
import type { WorkloadDefaults } from './desired-state.js';
import { DownloadStatus, type DownloadStatusOptions } from './download-status.js';
import { KedaScaledObjects } from './keda-scaled-objects.js';
import type { LiveStatusCaches } from './live-status.js';
import { deploymentPath, hpaPath, modelPath, podPath, pvcPath, servicePath } from './paths.js';
import { PerformanceStatus, type PerformanceStatusOptions } from './performance-status.js';
import { type LlamaModelCaches, LlamaModelReconciler } from './reconciler.js';

export interface LlamaModelManagerOptions {
  readonly client: KubeClient;
  readonly recorder: EventRecorder;
  readonly defaults: WorkloadDefaults;
  /** Namespaces to watch; empty: all. */
  readonly namespaces: readonly string[];
  /** Reconcile workers. @default 4 (the operator's --concurrency defaults higher: config.ts) */
  readonly concurrency?: number;
  /** Every model is reconciled again this often, changed or not. @default 10 min */
  readonly resyncMs?: number;
  readonly observe?: ReconcileObserver;
  readonly onInformerError?: (resource: string, error: unknown) => void;
  /** status.download from the pull containers' logs (download-status.ts); unset: off. */
  readonly downloadStatus?: Pick<DownloadStatusOptions, 'intervalMs' | 'concurrency'>;
  /** status.performance from the ready pods' /metrics (performance-status.ts); unset: off. */
  readonly performanceStatus?: Pick<
    PerformanceStatusOptions,
    'intervalMs' | 'timeoutMs' | 'concurrency' | 'fetchMetrics'
  >;
  /** A log read, scrape or live-status write failed (the loop goes on). */
  readonly onLiveStatusError?: (field: 'download' | 'performance', error: unknown) => void;
  /** A model whose engine keda finds no KEDA: how long until discovery is asked again. @default 60 s */
  readonly kedaRecheckMs?: number;
}

const CHILD_SELECTOR = `${LABEL_KEYS.name}=${LLAMA_MODEL_APP}`;

/** Pods belong to ReplicaSets; the instance label names their model. */
function podModelKey(pod: KubeObject): string | undefined {
  const model = pod.metadata?.labels?.[LABEL_KEYS.instance];
  return model ? `${pod.metadata?.namespace}/${model}` : undefined;
}

/** One informer per namespace (or one cluster-wide), read as one cache. */
class NamespacedInformers<T extends KubeObject> {
  readonly informers: Map<string, Informer<T>>;

  constructor(
    client: KubeClient,
    namespaces: readonly string[],
    path: (ns?: string) => string,
    resource: string,
    options: LlamaModelManagerOptions,
    informer: Pick<InformerOptions, 'labelSelector' | 'transform' | 'indexBy'>,
  ) {
    const scopes = namespaces.length > 0 ? namespaces : [''];
    this.informers = new Map(
      scopes.map((ns) => [
        ns,
        new Informer<T>(client, {
          path: path(ns || undefined),
          ...informer,
          onError: (error) => options.onInformerError?.(resource, error),
        }),
      ]),
    );
  }

  get(key: string): T | undefined {
    const namespace = key.slice(0, key.indexOf('/'));
    return (this.informers.get(namespace) ?? this.informers.get(''))?.get(key);
  }

  list(): T[] {
    return [...this.informers.values()].flatMap((i) => i.list());
  }

  /** Objects of `namespace` whose index key is `value`. */
  byIndex(namespace: string, value: string): T[] {
    return (this.informers.get(namespace) ?? this.informers.get(''))?.byIndex(value) ?? [];
  }

  on(handler: Parameters<Informer<T>['on']>[0]): void {
    for (const informer of this.informers.values()) informer.on(handler);
  }

  start(): Promise<void> {
    return Promise.all([...this.informers.values()].map((i) => i.start())).then(() => undefined);
  }

  stop(): void {
    for (const informer of this.informers.values()) informer.stop();
  }
}

export class LlamaModelManager {
  readonly controller: Controller;
  readonly models: NamespacedInformers<LlamaModel & KubeObject>;
  private readonly children: NamespacedInformers<KubeObject>[];
  private readonly scaledObjects: KedaScaledObjects;
  private readonly options: LlamaModelManagerOptions;
  private resyncTimer: NodeJS.Timeout | undefined;
  /** The loops that write status.download and status.performance while leading. */
  private readonly liveStatus: (DownloadStatus | PerformanceStatus)[] = [];

  constructor(options: LlamaModelManagerOptions) {
    this.options = options;
    const { client, namespaces } = options;
    this.models = new NamespacedInformers(client, namespaces, (ns) => modelPath(ns), 'llamamodels', options, {
      transform: trimModel,
    });
    const deployments = new NamespacedInformers<V1Deployment & KubeObject>(
      client,
      namespaces,
      (ns) => deploymentPath(ns),
      'deployments',
      options,
      { labelSelector: CHILD_SELECTOR, transform: trimDeployment },
    );
    const services = new NamespacedInformers<V1Service & KubeObject>(
      client,
      namespaces,
      (ns) => servicePath(ns),
      'services',
      options,
      { labelSelector: CHILD_SELECTOR, transform: trimSpecOnly },
    );
    const claims = new NamespacedInformers<V1PersistentVolumeClaim & KubeObject>(
      client,
      namespaces,
      (ns) => pvcPath(ns),
      'persistentvolumeclaims',
      options,
      { labelSelector: CHILD_SELECTOR, transform: trimSpecOnly },
    );
    const pods = new NamespacedInformers<V1Pod & KubeObject>(
      client,
      namespaces,
      (ns) => podPath(ns),
      'pods',
      options,
      { labelSelector: CHILD_SELECTOR, transform: trimPod, indexBy: podModelKey },
    );
    const hpas = new NamespacedInformers<KubeObject>(
      client,
      namespaces,
      (ns) => hpaPath(ns),
      'horizontalpodautoscalers',
      options,
      { labelSelector: CHILD_SELECTOR, transform: trimSpecOnly },
    );
    this.children = [deployments, services, claims, pods as NamespacedInformers<KubeObject>, hpas];
    const enqueue = (r: { namespace: string; name: string }) => this.controller.enqueue(r);
    const ownedBy = { group: GROUP, kind: KIND };
    this.scaledObjects = new KedaScaledObjects({
      client,
      namespaces,
      labelSelector: CHILD_SELECTOR,
      handler: enqueueOwner(ownedBy, enqueue),
      ...(options.kedaRecheckMs !== undefined ? { recheckMs: options.kedaRecheckMs } : {}),
      onError: (error) => options.onInformerError?.(SCALED_OBJECTS, error),
    });

    const caches: LlamaModelCaches = {
      model: (key) => this.models.get(key),
      deployment: (key) => deployments.get(key),
      service: (key) => services.get(key),
      persistentVolumeClaim: (key) => claims.get(key),
      pods: (namespace, model) => pods.byIndex(namespace, `${namespace}/${model}`),
      horizontalPodAutoscaler: (key) => hpas.get(key),
      scaledObject: (key) => this.scaledObjects.get(key),
      kedaAvailable: () => this.scaledObjects.available(),
    };
    const reconciler = new LlamaModelReconciler({
      client,
      caches,
      defaults: options.defaults,
      recorder: options.recorder,
      ...(options.kedaRecheckMs !== undefined ? { kedaRecheckMs: options.kedaRecheckMs } : {}),
    });
    const liveCaches: LiveStatusCaches = { models: () => this.models.list(), pods: caches.pods };
    if (options.downloadStatus) {
      this.liveStatus.push(
        new DownloadStatus({
          client,
          caches: liveCaches,
          ...options.downloadStatus,
          onError: (error) => options.onLiveStatusError?.('download', error),
        }),
      );
    }
    if (options.performanceStatus) {
      this.liveStatus.push(
        new PerformanceStatus({
          client,
          caches: liveCaches,
          ...options.performanceStatus,
          onError: (error) => options.onLiveStatusError?.('performance', error),
        }),
      );
    }
    this.controller = new Controller(reconciler, {
      concurrency: options.concurrency ?? 4,
      ...(options.observe ? { observe: options.observe } : {}),
    });

    this.models.on(
      enqueueMapped(
        (m) => ({ namespace: m.metadata?.namespace ?? '', name: m.metadata?.name ?? '' }),
        enqueue,
      ),
    );
    deployments.on(enqueueOwner(ownedBy, enqueue));
    services.on(enqueueOwner(ownedBy, enqueue));
    claims.on(enqueueOwner(ownedBy, enqueue));
    hpas.on(enqueueOwner(ownedBy, enqueue));
    // Pods belong to ReplicaSets; the instance label names their model.
    pods.on(
      enqueueMapped((p) => {
        const model = p.metadata?.labels?.[LABEL_KEYS.instance];
        return model ? { namespace: p.metadata?.namespace ?? '', name: model } : undefined;
      }, enqueue),
    );
  }

  /** Fills the caches (before leading: a standby is ready to take over at once). */
  async sync(): Promise<void> {
    await Promise.all([
      this.models.start(),
      ...this.children.map((c) => c.start()),
      // ScaledObjects are cached from the start where KEDA is installed (to remove stale ones too).
      this.scaledObjects.available().catch((error) => this.options.onInformerError?.(SCALED_OBJECTS, error)),
    ]);
  }

  /** Starts reconciling (the leader only): every cached model once, then on events and resync. */
  start(): void {
    this.controller.start();
    for (const loop of this.liveStatus) loop.start();
    this.resyncAll();
    const resyncMs = this.options.resyncMs ?? 600_000;
    this.resyncTimer = setInterval(() => this.resyncAll(), resyncMs);
    this.resyncTimer.unref();
  }

  resyncAll(): void {
    for (const model of this.models.list()) {
      this.controller.enqueue({ namespace: model.metadata.namespace, name: model.metadata.name });
    }
  }

  async stop(graceMs?: number): Promise<void> {
    clearInterval(this.resyncTimer);
    await Promise.all(this.liveStatus.map((loop) => loop.stop()));
    await this.controller.stop(graceMs);
    this.models.stop();
    for (const c of this.children) c.stop();
    this.scaledObjects.stop();
  }
}
