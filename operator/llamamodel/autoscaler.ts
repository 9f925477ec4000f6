// The operator's side of spec.autoscaling, beside the reconciler: who owns the Deployment's
// replicas, which autoscaler objects are stale, and what a model that wants KEDA without KEDA says.
//
// Why the Deployment and not the LlamaModel is scaled: the autoscaler writes the Deployment's
// spec.replicas through its scale subresource, and the operator leaves that field out of its
// server-side apply while autoscaling is on, so the field belongs to the autoscaler (field
// ownership) and no reconcile ever takes it back. Scaling the LlamaModel instead would make every
// scale a spec change (a new generation, a re-render) and need spec.replicas, which the CRD refuses
// together with spec.autoscaling so that `kubectl scale lm` cannot fight the autoscaler.
import type { V1Deployment } from '@kubernetes/client-node';
import {
  HPA_API_VERSION,
  HPA_KIND,
  KEDA_API_VERSION,
  REPLICAS_OWNER_ANNOTATION,
  SCALED_OBJECT_KIND,
} from '../../charts/llama-model-autoscaler.js';
import { REASON } from '../api/conditions.js';
import { objectPath } from '../kube/apply.js';
import type { KubeClient, KubeObject } from '../kube/kube-client.js';

/**
 * The field manager that holds the Deployment's replicas for a moment when autoscaling is turned
 * on. Server-side apply removes a field the applier alone owned and no longer sends, and the
 * Deployment's default would then cut the model to 1 pod until the autoscaler noticed; applied
 * first under this manager, the count stays as it is until the autoscaler writes its own.
 */
export const REPLICAS_HANDOFF_MANAGER = 'kubellama-autoscaler-handoff';

/**
 * Whether the operator may still own the live Deployment's replicas although the desired one
 * leaves them out: the live object does not carry the autoscaled mark of an earlier apply.
 */
export function needsReplicasHandoff(desired: V1Deployment, live: V1Deployment | undefined): boolean {
  return (
    live?.spec?.replicas !== undefined &&
    desired.spec?.replicas === undefined &&
    live.metadata?.annotations?.[REPLICAS_OWNER_ANNOTATION] === undefined
  );
}

/** Applies only the live replica count under REPLICAS_HANDOFF_MANAGER (same value: no conflict). */
export async function handOffReplicas(client: KubeClient, live: V1Deployment & KubeObject): Promise<void> {
  const { name, namespace } = live.metadata ?? {};
  const body = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: { replicas: live.spec?.replicas },
  };
  await client.apply(objectPath(body), body, REPLICAS_HANDOFF_MANAGER);
}

/** The autoscaler objects a model has but should not (autoscaling off, or the other engine). */
export function staleAutoscalers(
  desired: KubeObject | undefined,
  live: { hpa: KubeObject | undefined; scaledObject: KubeObject | undefined },
): KubeObject[] {
  const keep = desired?.kind;
  const gone = (o: KubeObject | undefined) => !o || o.metadata?.deletionTimestamp !== undefined;
  return [
    ...(!gone(live.hpa) && keep !== HPA_KIND
      ? [{ ...live.hpa, apiVersion: HPA_API_VERSION, kind: HPA_KIND }]
      : []),
    ...(!gone(live.scaledObject) && keep !== SCALED_OBJECT_KIND
      ? [{ ...live.scaledObject, apiVersion: KEDA_API_VERSION, kind: SCALED_OBJECT_KIND }]
      : []),
  ];
}

/** What the stamp of a reconcile keeps of an autoscaler: its spec changes (generation) and identity. */
export function autoscalerStamp(object: KubeObject | undefined): string {
  return object ? `${object.metadata?.uid}:${object.metadata?.generation}` : '-';
}

export const KEDA_NOT_INSTALLED = {
  reason: REASON.kedaNotInstalled,
  message: `spec.autoscaling.engine is keda, but the cluster does not serve ${KEDA_API_VERSION} ScaledObjects: install KEDA (https://keda.sh/docs/latest/deploy/), or set spec.autoscaling.engine to hpa`,
} as const;
