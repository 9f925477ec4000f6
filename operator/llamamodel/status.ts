// A LlamaModel's status as a pure function of the model, its Deployment and its pods: phase,
// replica counts, the scale selector, the endpoint, and the Ready/Progressing/Degraded conditions.
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { selectorLabels } from '../../charts/labels.js';
import { RUNTIME_PATHS, RUNTIME_PORT } from '../../charts/runtime-contract.js';
import { DEFAULT_REPLICAS, LLAMA_MODEL_APP, WORKLOAD_CONTAINERS } from '../../charts/workload-contract.js';
import { CONDITION, REASON } from '../api/conditions.js';
import type { LlamaModel, LlamaModelStatus, Phase } from '../api/llama-model.js';
import { type NewCondition, type StatusCondition, setStatusCondition } from '../kube/conditions.js';
import { terminationSummary } from './termination-message.js';

/** What the pods say, worst first. */
export interface PodFindings {
  downloadFailed?: string;
  runtimeCrashing?: string;
  unschedulable?: string;
  downloading: number;
  loading: number;
}

export function modelSelector(name: string): string {
  return Object.entries(selectorLabels({ name: LLAMA_MODEL_APP, instance: name }))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function modelEndpoint(model: LlamaModel): string {
  return `http://${model.metadata.name}.${model.metadata.namespace}.svc:${RUNTIME_PORT}${RUNTIME_PATHS.openAiBase}`;
}

export function inspectPods(pods: readonly V1Pod[]): PodFindings {
  const findings: PodFindings = { downloading: 0, loading: 0 };
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
      findings.unschedulable ??= scheduled.message ?? 'no node fits the pod';
      continue;
    }
    const pull = pod.status?.initContainerStatuses?.find((s) => s.name === WORKLOAD_CONTAINERS.pull);
    if (pull && !pull.ready) {
      const failed = pull.state?.terminated?.exitCode ? pull.state.terminated : pull.lastState?.terminated;
      if (failed && failed.exitCode !== 0) {
        findings.downloadFailed ??=
          terminationSummary(failed.message) ||
          `${WORKLOAD_CONTAINERS.pull} exited with code ${failed.exitCode} (${failed.reason ?? 'Error'})`;
        continue;
      }
      if (pull.state?.running || pull.state?.waiting) findings.downloading++;
      continue;
    }
    const runtime = pod.status?.containerStatuses?.find((s) => s.name === WORKLOAD_CONTAINERS.runtime);
    if (!runtime || runtime.ready) continue;
    const crashed = runtime.lastState?.terminated;
    if (
      runtime.state?.waiting?.reason === 'CrashLoopBackOff' ||
      (crashed && crashed.exitCode !== 0 && !runtime.state?.running)
    ) {
      findings.runtimeCrashing ??=
        terminationSummary(crashed?.message) ||
        runtime.state?.waiting?.message ||
        'the runtime container keeps exiting';
      continue;
    }
    findings.loading++;
  }
  return findings;
}

/**
 * The pods a model should have: spec.replicas (default 1), or while an autoscaler owns the count,
 * what it set on the Deployment (its minimum until the Deployment exists).
 */
export function desiredReplicas(model: LlamaModel, deployment: V1Deployment | undefined): number {
  const autoscaling = model.spec.autoscaling;
  if (!autoscaling) return model.spec.replicas ?? DEFAULT_REPLICAS;
  return deployment?.spec?.replicas ?? autoscaling.minReplicas;
}

/** Why the children could not be made: an apply's error message, or a reason of its own. */
export type ChildrenFailure = string | { readonly reason: string; readonly message: string };

export function computeStatus(
  model: LlamaModel,
  deployment: V1Deployment | undefined,
  pods: readonly V1Pod[],
  applyError: ChildrenFailure | undefined,
  now: () => Date = () => new Date(),
): LlamaModelStatus {
  const generation = model.metadata.generation;
  const desired = desiredReplicas(model, deployment);
  const failure =
    typeof applyError === 'string' ? { reason: REASON.applyFailed, message: applyError } : applyError;
  const d = deployment?.status ?? {};
  const ready = d.readyReplicas ?? 0;
  const rolledOut =
    deployment !== undefined &&
    (d.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) &&
    (d.updatedReplicas ?? 0) === desired &&
    (d.replicas ?? 0) === desired &&
    (d.availableReplicas ?? 0) === desired;
  const stuck = d.conditions?.find(
    (c) => c.type === 'Progressing' && c.status === 'False' && c.reason === REASON.rolloutStuck,
  );
  const pods_ = inspectPods(pods);

  const degraded: Omit<NewCondition, 'type' | 'observedGeneration'> = failure
    ? { status: 'True', ...failure }
    : pods_.downloadFailed
      ? { status: 'True', reason: REASON.modelDownloadFailed, message: pods_.downloadFailed }
      : pods_.runtimeCrashing
        ? { status: 'True', reason: REASON.runtimeCrashing, message: pods_.runtimeCrashing }
        : stuck
          ? {
              status: 'True',
              reason: REASON.rolloutStuck,
              message: stuck.message ?? 'the rollout made no progress',
            }
          : pods_.unschedulable
            ? { status: 'True', reason: REASON.unschedulable, message: pods_.unschedulable }
            : { status: 'False', reason: REASON.asExpected, message: '' };

  // Serving, as a Deployment's Available condition says it: at least one replica, old or updated,
  // answers. A rollout does not turn Ready off while something serves; Progressing carries it.
  const isReady = desired > 0 && ready >= 1;
  const readyCondition: Omit<NewCondition, 'type' | 'observedGeneration'> =
    desired === 0
      ? {
          status: 'False',
          reason: REASON.scaledToZero,
          message: model.spec.autoscaling ? 'the Deployment has 0 replicas' : 'spec.replicas is 0',
        }
      : isReady
        ? { status: 'True', reason: REASON.available, message: `${ready}/${desired} replicas serving` }
        : {
            status: 'False',
            reason: REASON.replicasNotReady,
            message: `${ready}/${desired} replicas serving`,
          };

  const progressing: Omit<NewCondition, 'type' | 'observedGeneration'> = !deployment
    ? { status: 'True', reason: REASON.creating, message: 'creating the Deployment' }
    : stuck
      ? { status: 'False', reason: REASON.rolloutStuck, message: stuck.message ?? '' }
      : rolledOut && (desired === 0 || ready >= desired)
        ? { status: 'False', reason: REASON.rolloutComplete, message: 'every replica runs the current spec' }
        : pods_.downloading > 0
          ? {
              status: 'True',
              reason: REASON.downloading,
              message: `${pods_.downloading} pod(s) downloading the model`,
            }
          : pods_.loading > 0
            ? { status: 'True', reason: REASON.loading, message: `${pods_.loading} pod(s) loading the model` }
            : {
                status: 'True',
                reason: REASON.rollingOut,
                message: `${d.updatedReplicas ?? 0}/${desired} replicas updated`,
              };

  let phase: Phase;
  if (isReady) phase = 'Ready';
  else if (degraded.status === 'True' && degraded.reason !== REASON.unschedulable) phase = 'Failed';
  else if (pods_.downloading > 0) phase = 'Downloading';
  else if (pods_.loading > 0) phase = 'Loading';
  else phase = 'Pending';

  let conditions = (model.status?.conditions ?? []) as StatusCondition[];
  for (const [type, condition] of [
    [CONDITION.ready, readyCondition],
    [CONDITION.progressing, progressing],
    [CONDITION.degraded, degraded],
  ] as const) {
    conditions = setStatusCondition(
      conditions,
      { type, ...condition, ...(generation !== undefined ? { observedGeneration: generation } : {}) },
      now,
    ).conditions;
  }

  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    phase,
    replicas: d.replicas ?? 0,
    desiredReplicas: desired,
    readyReplicas: ready,
    selector: modelSelector(model.metadata.name),
    endpoint: modelEndpoint(model),
    // node-llama-cpp gives every sequence its own contextSize cells (runtime/README.md, "Batching").
    kvCacheTokens: model.spec.runtime.contextSize * model.spec.runtime.parallel,
    conditions,
  };
}
