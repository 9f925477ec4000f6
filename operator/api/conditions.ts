// Condition types and reasons of a LlamaModel's status, named once (the kubebuilder conditions.go habit).

export const CONDITION = {
  /** Every desired replica has loaded the model and passes /readyz. */
  ready: 'Ready',
  /** A rollout, download or model load is under way. */
  progressing: 'Progressing',
  /** Something needs a person: a failing download, a stuck rollout, an unschedulable pod. */
  degraded: 'Degraded',
} as const;
export type ConditionType = (typeof CONDITION)[keyof typeof CONDITION];

export const REASON = {
  available: 'MinimumReplicasAvailable',
  replicasNotReady: 'ReplicasNotReady',
  scaledToZero: 'ScaledToZero',
  creating: 'Creating',
  downloading: 'Downloading',
  loading: 'Loading',
  rollingOut: 'RollingOut',
  rolloutComplete: 'RolloutComplete',
  asExpected: 'AsExpected',
  modelDownloadFailed: 'ModelDownloadFailed',
  runtimeCrashing: 'RuntimeCrashing',
  rolloutStuck: 'ProgressDeadlineExceeded',
  unschedulable: 'Unschedulable',
  applyFailed: 'ApplyFailed',
  /** spec.autoscaling.engine keda where the KEDA CRDs are not installed. */
  kedaNotInstalled: 'KedaNotInstalled',
} as const;
export type Reason = (typeof REASON)[keyof typeof REASON];
