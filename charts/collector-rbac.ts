// What the collector's k8sattributes processor reads: pods (and their ReplicaSets, for
// k8s.deployment.name), namespaces and nodes; read-only, as the processor's README lists.
import type { V1PolicyRule } from '@kubernetes/client-node';

export const COLLECTOR_CLUSTER_RULES: readonly V1PolicyRule[] = [
  { apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get', 'list', 'watch'] },
];
