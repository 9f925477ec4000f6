// What the LlamaModel controller keeps of each watched object: the informer caches are most of the
// operator's memory, so each object is trimmed to the fields it reads before it is cached. Never
// kept: managedFields (often as large as the spec) and kubectl's last-applied-configuration.
// Children keep metadata and spec (the no-write check compares them with the desired objects);
// only the status fields status.ts reads survive; pods keep neither spec nor unused status.
import type { KubeObject } from '../kube/kube-client.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Metadata = NonNullable<KubeObject['metadata']>;

function metadata(source: Metadata | undefined): Metadata | undefined {
  if (!source) return source;
  const { managedFields: _m, ...rest } = source;
  const annotations = rest.annotations;
  if (annotations?.[LAST_APPLIED] !== undefined) {
    const { [LAST_APPLIED]: _l, ...kept } = annotations;
    rest.annotations = kept;
  }
  return rest;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

const condition = ({ type, status, reason, message }: Condition): Condition => ({
  type,
  status,
  reason,
  message,
});

/** LlamaModels: everything but managedFields and last-applied (spec and status are both read). */
export function trimModel(object: KubeObject): KubeObject {
  return { ...object, metadata: metadata(object.metadata) };
}

/** Deployments: spec, and the replica counts, observedGeneration and conditions of status. */
export function trimDeployment(object: KubeObject): KubeObject {
  const { status, ...rest } = object as KubeObject & { status?: Record<string, unknown> };
  return {
    ...rest,
    metadata: metadata(object.metadata),
    ...(status
      ? {
          status: {
            observedGeneration: status.observedGeneration,
            replicas: status.replicas,
            updatedReplicas: status.updatedReplicas,
            readyReplicas: status.readyReplicas,
            availableReplicas: status.availableReplicas,
            conditions: (status.conditions as Condition[] | undefined)?.map(condition),
          },
        }
      : {}),
  };
}

/** Services and PVCs: metadata and spec; their status is never read. */
export function trimSpecOnly(object: KubeObject): KubeObject {
  const { status: _s, ...rest } = object;
  return { ...rest, metadata: metadata(object.metadata) };
}

interface ContainerStatus {
  name?: string;
  ready?: boolean;
  state?: unknown;
  lastState?: unknown;
}

const containerStatus = ({ name, ready, state, lastState }: ContainerStatus): ContainerStatus => ({
  name,
  ready,
  state,
  lastState,
});

/** Pods: name, labels and deletion of metadata; PodScheduled and the container states of status. */
export function trimPod(object: KubeObject): KubeObject {
  const m = object.metadata;
  const status = object.status as
    | {
        conditions?: Condition[];
        initContainerStatuses?: ContainerStatus[];
        containerStatuses?: ContainerStatus[];
      }
    | undefined;
  return {
    metadata: {
      name: m?.name,
      namespace: m?.namespace,
      resourceVersion: m?.resourceVersion,
      ...(m?.labels ? { labels: m.labels } : {}),
      ...(m?.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
    },
    status: {
      conditions: status?.conditions?.filter((c) => c.type === 'PodScheduled').map(condition),
      initContainerStatuses: status?.initContainerStatuses?.map(containerStatus),
      containerStatuses: status?.containerStatuses?.map(containerStatus),
    },
  };
}
