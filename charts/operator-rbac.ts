// The operator's permissions, as exact lists (no wildcards): every verb here is one the operator
// calls. A test checks them against the real API server's RBAC authorizer.
import type { V1PolicyRule } from '@kubernetes/client-node';
import { KEDA_GROUP, SCALED_OBJECTS } from './llama-model-autoscaler.js';

export const LLAMA_MODEL_GROUP = 'inference.kubellama.dev';

/** Cluster-wide: LlamaModels live in user namespaces, and so do the objects made for them. */
export const OPERATOR_CLUSTER_RULES: readonly V1PolicyRule[] = [
  // The operator reads LlamaModels and writes only their status (a merge patch); it never writes the
  // spec or scales them (users and autoscalers do, through the scale subresource).
  { apiGroups: [LLAMA_MODEL_GROUP], resources: ['llamamodels'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [LLAMA_MODEL_GROUP], resources: ['llamamodels/status'], verbs: ['patch'] },
  // Children carry ownerReferences with blockOwnerDeletion: where OwnerReferencesPermissionEnforcement
  // admission is on (OpenShift, hardened clusters), setting it needs update on the owner's finalizers.
  { apiGroups: [LLAMA_MODEL_GROUP], resources: ['llamamodels/finalizers'], verbs: ['update'] },
  {
    apiGroups: ['apps'],
    resources: ['deployments'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
  },
  {
    apiGroups: [''],
    resources: ['services', 'persistentvolumeclaims'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
  },
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  // status.download reads the pull init container's newest log lines; status.performance reads each
  // ready pod's /metrics through the API server's pod proxy (GET only: no other proxied call).
  { apiGroups: [''], resources: ['pods/log', 'pods/proxy'], verbs: ['get'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  // spec.autoscaling: the model's HorizontalPodAutoscaler or KEDA ScaledObject, cached (list, watch),
  // server-side applied (create, patch) and deleted when autoscaling is turned off. Never read one by one.
  {
    apiGroups: ['autoscaling'],
    resources: ['horizontalpodautoscalers'],
    verbs: ['list', 'watch', 'create', 'patch', 'delete'],
  },
  {
    apiGroups: [KEDA_GROUP],
    resources: [SCALED_OBJECTS],
    verbs: ['list', 'watch', 'create', 'patch', 'delete'],
  },
];

/** Only in the operator's own namespace: the leader-election Lease. */
export const OPERATOR_LEADER_ELECTION_RULES: readonly V1PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];
