// The few fields of Kubernetes objects the reliability suites read (from the API server's JSON), so
// each suite does not declare its own partial Pod and LlamaModel status.

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export interface ContainerState {
  running?: { startedAt: string };
  waiting?: { reason?: string; message?: string };
  terminated?: { exitCode: number; reason?: string; message?: string; startedAt: string; finishedAt: string };
}

export interface ContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

export interface Pod {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    labels?: Record<string, string>;
    creationTimestamp: string;
    deletionTimestamp?: string;
  };
  spec: {
    nodeName?: string;
    containers: { name: string; image: string }[];
    initContainers?: { name: string; image: string }[];
  };
  status: {
    phase?: string;
    podIP?: string;
    conditions?: Condition[];
    initContainerStatuses?: ContainerStatus[];
    containerStatuses?: ContainerStatus[];
  };
}

export interface LlamaModelStatus {
  observedGeneration?: number;
  phase?: string;
  replicas?: number;
  readyReplicas?: number;
  endpoint?: string;
  conditions?: Condition[];
}

export interface KubeEvent {
  type: string;
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string; uid?: string };
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  count?: number;
}

export const isReady = (pod: Pod): boolean =>
  pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
