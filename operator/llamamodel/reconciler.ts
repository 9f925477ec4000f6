// Reconciles one LlamaModel: reads it from the cache, applies its Deployment, Service and cache
// PVC (server-side apply, one field manager, nothing sent when the cached object already matches),
// then writes status through the status subresource only when it changed, and records Events for
// what a user must see. Level-triggered: it never looks at the event that enqueued it.
// A model whose spec (uid, generation) and children (resourceVersions) are exactly as the last
// successful apply left them is not rendered again: most reconciles (resyncs, status events,
// polling while pods start) cost a few map lookups instead of a render, a hash and a compare.
import type { V1Deployment, V1PersistentVolumeClaim, V1Pod, V1Service } from '@kubernetes/client-node';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { ChartPropsError } from '../../charts/chart-props-error.js';
import { HPA_KIND, SCALED_OBJECT_KIND } from '../../charts/llama-model-autoscaler.js';
import { cacheClaimName } from '../../charts/llama-model-workload.js';
import { CONDITION, REASON } from '../api/conditions.js';
import { API_VERSION, KIND, type LlamaModel, type LlamaModelStatus } from '../api/llama-model.js';
import { applyIfChanged, objectPath, stableStringify } from '../kube/apply.js';
import { findStatusCondition } from '../kube/conditions.js';
import type { Reconciler, Request, Result } from '../kube/controller.js';
import { isInvalid, isNotFound, KubeApiError, TerminalError } from '../kube/errors.js';
import type { EventRecorder } from '../kube/events.js';
import type { KubeClient, KubeObject } from '../kube/kube-client.js';
import {
  autoscalerStamp,
  handOffReplicas,
  KEDA_NOT_INSTALLED,
  needsReplicasHandoff,
  staleAutoscalers,
} from './autoscaler.js';
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
  horizontalPodAutoscaler(key: string): KubeObject | undefined;
  /** KEDA ScaledObjects; always undefined while KEDA was not found. */
  scaledObject(key: string): KubeObject | undefined;
  /** Whether the cluster serves KEDA ScaledObjects (discovery, asked at most once per interval). */
  kedaAvailable(): Promise<boolean>;
}

export interface LlamaModelReconcilerOptions {
  readonly client: KubeClient;
  readonly caches: LlamaModelCaches;
  readonly defaults: WorkloadDefaults;
  readonly recorder: EventRecorder;
  /** While a model is not settled, look again this often (pods can change without an event we watch). @default 30 s */
  readonly pollWhileProgressingMs?: number;
  /** A model whose engine keda finds no KEDA looks again this often. @default 60 s */
  readonly kedaRecheckMs?: number;
}

const tracer = trace.getTracer('kubellama-operator');

export class LlamaModelReconciler implements Reconciler {
  private readonly options: LlamaModelReconcilerOptions;
  /** The status last written per model, with the resourceVersion it was written over. */
  private readonly written = new Map<string, { resourceVersion: string | undefined; status: string }>();
  /** Per model, the stamp (see stamp()) its children had after the last apply that succeeded. */
  private readonly applied = new Map<string, string>();

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
      this.applied.delete(key);
      return undefined;
    }

    let applyError: unknown;
    let deployment: V1Deployment | undefined = caches.deployment(key);
    // engine keda without KEDA: the rest is applied, the model is Degraded, and looked at again later.
    const keda = model.spec.autoscaling?.engine === 'keda' ? await caches.kedaAvailable() : undefined;
    if (this.applied.get(key) !== this.stamp(model, key, keda)) {
      this.applied.delete(key);
      try {
        const children = await this.applyAll(desiredState(model, this.options.defaults), key, signal, keda);
        deployment = children.deployment;
        this.applied.set(key, this.stamp(model, key, keda, children));
      } catch (error) {
        applyError = error;
      }
    }

    signal.throwIfAborted();
    const status = computeStatus(
      model,
      deployment,
      caches.pods(request.namespace, request.name),
      applyError ? (applyError as Error).message : keda === false ? KEDA_NOT_INSTALLED : undefined,
    );
    await this.writeStatus(model, status);
    // A child the API server refuses as invalid (e.g. requests above limits), or a spec the workload
    // construct refuses, stays refused until the LlamaModel changes, and a change enqueues it again:
    // the status says why; no retries meanwhile.
    if (isInvalid(applyError) || applyError instanceof ChartPropsError)
      throw new TerminalError((applyError as Error).message, { cause: applyError });
    if (applyError) throw applyError;
    const settled = findStatusCondition(status.conditions, CONDITION.progressing)?.status === 'False';
    if (keda === false) return { requeueAfterMs: this.options.kedaRecheckMs ?? 60_000 };
    return settled ? undefined : { requeueAfterMs: this.options.pollWhileProgressingMs ?? 30_000 };
  }

  /**
   * Applies each child on its own, all at once (one failing, e.g. a Service when the cluster ran out
   * of IPs, does not hold back the others); after all were tried, throws the first failure in the
   * order Deployment, Service, claim. Answers the children as they are now (the apply's answer,
   * else the cache's).
   */
  private async applyAll(
    desired: DesiredState,
    key: string,
    signal: AbortSignal,
    keda: boolean | undefined,
  ): Promise<Children> {
    const { caches, client } = this.options;
    signal.throwIfAborted();
    const attempt = async <T extends KubeObject>(object: T, live: T | undefined) => {
      try {
        return { object: (await applyIfChanged(client, object, live, FIELD_MANAGER)).object };
      } catch (error) {
        return { object: live, error: error ?? new Error('apply failed') };
      }
    };
    // At once, not one after the other: a Service waits for its ClusterIP, which the API server
    // allocates one at a time (operator/README.md, "At scale"); its Deployment need not wait too.
    const liveDeployment = caches.deployment(key);
    const live = { hpa: caches.horizontalPodAutoscaler(key), scaledObject: caches.scaledObject(key) };
    const autoscaler = desired.autoscaler && keda !== false ? desired.autoscaler : undefined;
    const [deployment, service, claim, scaler, ...deletions] = await Promise.all([
      (async () => {
        // Autoscaling turned on: the replicas the operator applied so far go to the autoscaler first.
        if (liveDeployment && needsReplicasHandoff(desired.deployment, liveDeployment)) {
          try {
            await handOffReplicas(client, liveDeployment);
          } catch (error) {
            return { object: liveDeployment, error };
          }
        }
        return attempt(desired.deployment, liveDeployment);
      })(),
      attempt(desired.service, caches.service(key)),
      desired.cache
        ? attempt(desired.cache, caches.persistentVolumeClaim(cacheKey(desired.cache)))
        : { object: undefined },
      autoscaler
        ? attempt(autoscaler, autoscaler.kind === SCALED_OBJECT_KIND ? live.scaledObject : live.hpa)
        : { object: undefined },
      ...staleAutoscalers(autoscaler, live).map((stale) =>
        client.delete(objectPath(stale)).then(
          () => ({ object: undefined }),
          (error: unknown) => (isNotFound(error) ? { object: undefined } : { object: undefined, error }),
        ),
      ),
    ]);
    const failed = [deployment, service, claim, scaler, ...deletions].find(
      (r) => 'error' in r && r.error !== undefined,
    );
    if (failed && 'error' in failed) throw failed.error;
    return {
      deployment: deployment.object,
      service: service.object,
      claim: claim.object,
      autoscaler: scaler.object,
    };
  }

  /**
   * What the model's objects are: its uid and generation (the desired state is a function of them
   * and of the operator's fixed defaults) and its children's resourceVersions, from `children` or
   * else the caches. Equal stamps: nothing to apply. Anyone's edit, a deletion or a spec change
   * differs. (The claim is looked up by name even when the spec has none: one that appears counts.)
   */
  private stamp(model: LlamaModel, key: string, keda: boolean | undefined, children?: Children): string {
    const { caches } = this.options;
    const { namespace, name, uid, generation } = model.metadata;
    const claimKey = `${namespace}/${cacheClaimName(name)}`;
    const versions = children
      ? [children.deployment, children.service, children.claim ?? caches.persistentVolumeClaim(claimKey)]
      : [caches.deployment(key), caches.service(key), caches.persistentVolumeClaim(claimKey)];
    // Autoscalers by generation: their status changes every sync period, their spec does not.
    const applied = children?.autoscaler;
    const hpa = applied?.kind === HPA_KIND ? applied : caches.horizontalPodAutoscaler(key);
    const scaledObject = applied?.kind === SCALED_OBJECT_KIND ? applied : caches.scaledObject(key);
    return [
      uid,
      generation,
      ...versions.map((o) => o?.metadata?.resourceVersion ?? '-'),
      autoscalerStamp(hpa),
      autoscalerStamp(scaledObject),
      String(keda),
    ].join('/');
  }

  private async writeStatus(model: LlamaModel, status: LlamaModelStatus): Promise<void> {
    const next = stableStringify(status);
    if (stableStringify(reconciledFields(model.status ?? {})) === next) return;
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
    // Serving stopped (every replica gone or failing its probe), not asked for (scale to 0): say so,
    // so `kubectl describe` shows the outage between the two Ready events.
    if (wasReady && ready?.status === 'False' && ready.reason === REASON.replicasNotReady)
      await record('Warning', REASON.replicasNotReady, ready.message);
  }
}

interface Children {
  readonly deployment: (V1Deployment & KubeObject) | undefined;
  readonly service: (V1Service & KubeObject) | undefined;
  readonly claim: (V1PersistentVolumeClaim & KubeObject) | undefined;
  readonly autoscaler: KubeObject | undefined;
}

/**
 * The status without the fields two other loops own (status.download: download-status.ts;
 * status.performance: performance-status.ts). The reconciler neither compares nor writes them — its merge
 * patch leaves them as they are — so the two writers never undo each other and a resync writes nothing.
 */
function reconciledFields(status: LlamaModelStatus): LlamaModelStatus {
  const { download: _download, performance: _performance, ...rest } = status;
  return rest;
}

function cacheKey(object: KubeObject): string {
  return `${object.metadata?.namespace}/${object.metadata?.name}`;
}
