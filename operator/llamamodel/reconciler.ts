// Reconciles one LlamaModel: reads it from the cache, applies its Deployment, Service and cache
// PVC (server-side apply, one field manager, nothing sent when the cached object already matches),
// then writes status through the status subresource only when it changed, and records Events for
// what a user must see. Level-triggered: it never looks at the event that enqueued it.
import type { V1Deployment, V1PersistentVolumeClaim, V1Pod, V1Service } from '@kubernetes/client-node';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { CONDITION, REASON } from '../api/conditions.js';
import { API_VERSION, KIND, type LlamaModel, type LlamaModelStatus } from '../api/llama-model.js';
import { applyIfChanged, stableStringify } from '../controller/apply.js';
import { findStatusCondition } from '../controller/conditions.js';
import { KubeApiError } from '../controller/errors.js';
import type { EventRecorder } from '../controller/events.js';
import type { KubeClient, KubeObject } from '../controller/kube-client.js';
import type { Reconciler, Request, Result } from '../controller/reconcile.js';
import { type DesiredState, desiredState, type WorkloadDefaults } from './desired-state.js';
import { modelPath } from './paths.js';
import { computeStatus } from './status.js';

export const FIELD_MANAGER = 'kubellama-operator';

/** Read access to the informer caches the reconciler works from. */
export interface LlamaModelCaches {
  model(key: string): LlamaModel | undefined;
  deployment(key: string): (V1Deployment & KubeObject) | undefined;
  service(key: string): (V1Service & KubeObject) | undefined;
  persistentVolumeClaim(key: string): (V1PersistentVolumeClaim & KubeObject) | undefined;
  /** The pods of a model (by its selector labels). */
  pods(namespace: string, model: string): V1Pod[];
}

export interface LlamaModelReconcilerOptions {
  readonly client: KubeClient;
  readonly caches: LlamaModelCaches;
  readonly defaults: WorkloadDefaults;
  readonly recorder: EventRecorder;
  /** While a model is not settled, look again this often (pods can change without an event we watch). @default 30 s */
  readonly pollWhileProgressingMs?: number;
}

const tracer = trace.getTracer('kubellama-operator');

export class LlamaModelReconciler implements Reconciler {
  private readonly options: LlamaModelReconcilerOptions;
  /** The status last written per model, with the resourceVersion it was written over. */
  private readonly written = new Map<string, { resourceVersion: string | undefined; status: string }>();

  constructor(options: LlamaModelReconcilerOptions) {
    this.options = options;
  }

  reconcile(request: Request, signal: AbortSignal): Promise<Result | undefined> {
    return tracer.startActiveSpan(
      'reconcile LlamaModel',
      { attributes: { 'k8s.namespace.name': request.namespace, 'kubellama.llamamodel.name': request.name } },
      async (span) => {
        try {
          const result = await this.run(request, signal);
          return result;
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          span.setAttribute('error.type', error instanceof KubeApiError ? String(error.statusCode) : 'Error');
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  private async run(request: Request, signal: AbortSignal): Promise<Result | undefined> {
    const { caches } = this.options;
    const key = `${request.namespace}/${request.name}`;
    const model = caches.model(key);
    // Gone: the garbage collector removes the children through their ownerReferences.
    if (!model || model.metadata.deletionTimestamp) {
      this.written.delete(key);
      return undefined;
    }

    const desired = desiredState(model, this.options.defaults);
    let applyError: unknown;
    let deployment: V1Deployment | undefined = caches.deployment(key);
    try {
      deployment = await this.applyAll(desired, key, signal);
    } catch (error) {
      applyError = error;
    }

    signal.throwIfAborted();
    const status = computeStatus(
      model,
      deployment,
      caches.pods(request.namespace, request.name),
      applyError ? (applyError as Error).message : undefined,
    );
    await this.writeStatus(model, status);
    if (applyError) throw applyError;
    const settled = findStatusCondition(status.conditions, CONDITION.progressing)?.status === 'False';
    return settled ? undefined : { requeueAfterMs: this.options.pollWhileProgressingMs ?? 30_000 };
  }

  /**
   * Applies each child on its own (one failing, e.g. a Service when the cluster ran out of IPs, does
   * not hold back the others); throws the first failure after trying all. Answers the Deployment
   * as it is now (the apply's answer, else the cache's).
   */
  private async applyAll(
    desired: DesiredState,
    key: string,
    signal: AbortSignal,
  ): Promise<V1Deployment | undefined> {
    const { caches, client } = this.options;
    const errors: unknown[] = [];
    const attempt = async <T extends KubeObject>(object: T, live: T | undefined): Promise<T | undefined> => {
      signal.throwIfAborted();
      try {
        return (await applyIfChanged(client, object, live, FIELD_MANAGER)).object;
      } catch (error) {
        errors.push(error);
        return live;
      }
    };
    const deployment = await attempt(desired.deployment, caches.deployment(key));
    await attempt(desired.service, caches.service(key));
    if (desired.cache) await attempt(desired.cache, caches.persistentVolumeClaim(cacheKey(desired.cache)));
    if (errors.length > 0) throw errors[0];
    return deployment;
  }

  private async writeStatus(model: LlamaModel, status: LlamaModelStatus): Promise<void> {
    const next = stableStringify(status);
    if (stableStringify(model.status ?? {}) === next) return;
    const { namespace, name, resourceVersion } = model.metadata;
    // Our last write has not reached the cache yet: writing the same status again would be a no-op.
    const last = this.written.get(`${namespace}/${name}`);
    if (last && last.resourceVersion === resourceVersion && last.status === next) return;
    await this.options.client.patch(modelPath(namespace, name, 'status'), { status }, 'merge');
    this.written.set(`${namespace}/${name}`, { resourceVersion, status: next });
    await this.recordTransitions(model, status);
  }

  private async recordTransitions(model: LlamaModel, status: LlamaModelStatus): Promise<void> {
    const target = { apiVersion: API_VERSION, kind: KIND, metadata: model.metadata };
    const before = findStatusCondition(model.status?.conditions, CONDITION.degraded);
    const after = findStatusCondition(status.conditions, CONDITION.degraded);
    const record = (type: 'Normal' | 'Warning', reason: string, message: string) =>
      this.options.recorder.record(target, type, reason, message).catch(() => undefined);
    if (after?.status === 'True' && (before?.status !== 'True' || before.reason !== after.reason)) {
      await record('Warning', after.reason, after.message);
    }
    const wasReady = findStatusCondition(model.status?.conditions, CONDITION.ready)?.status === 'True';
    const ready = findStatusCondition(status.conditions, CONDITION.ready);
    if (ready?.status === 'True' && !wasReady) await record('Normal', REASON.available, ready.message);
  }
}

function cacheKey(object: KubeObject): string {
  return `${object.metadata?.namespace}/${object.metadata?.name}`;
}
