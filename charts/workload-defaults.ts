// What every install workload shares: the Pod Security "restricted" contexts, checked resources
// and the config checksum that rolls pods.
import { createHash } from 'node:crypto';
import type {
  V1PodSecurityContext,
  V1ResourceRequirements,
  V1SecurityContext,
} from '@kubernetes/client-node';
import { checkQuantity } from './validate.js';

/** cpu/memory requests and limits, as in a container's `resources`. */
export interface ResourceProps {
  readonly requests?: { readonly cpu?: string; readonly memory?: string };
  readonly limits?: { readonly cpu?: string; readonly memory?: string };
}

/** Checks every quantity (naming the field on error) and returns the container `resources`. */
export function containerResources(field: string, resources: ResourceProps): V1ResourceRequirements {
  const out: { requests?: Record<string, string>; limits?: Record<string, string> } = {};
  for (const kind of ['requests', 'limits'] as const) {
    const values = resources[kind];
    if (!values) continue;
    const checked: Record<string, string> = {};
    for (const [name, value] of Object.entries(values)) {
      if (value !== undefined) checked[name] = checkQuantity(`${field}.${kind}.${name}`, value);
    }
    out[kind] = checked;
  }
  return out;
}

/**
 * Pod-level context that passes the "restricted" Pod Security Standard. `uid` is the image's
 * non-root user; fsGroup makes mounted volumes (e.g. Jaeger's badger PVC) writable by it.
 */
export function restrictedPodSecurityContext(uid: number): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function restrictedContainerSecurityContext(): V1SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/**
 * The `prometheus.io/*` pod annotations: Prometheus' Kubernetes pod discovery example config (and
 * many installs' scrape rules) read them to find a pod's metrics endpoint.
 */
export function scrapeAnnotations(port: number, path: string): Record<string, string> {
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': path };
}

/** The pod template annotation holding the sha256 (hex) of the pod's mounted config text. */
export const CONFIG_CHECKSUM_ANNOTATION = 'kubellama.dev/config-sha256';

/**
 * Pod template annotations that change with a mounted config file, so a config change rolls the
 * pods (the collector and Jaeger read their config only at start).
 */
export function configChecksumAnnotations(configText: string): Record<string, string> {
  return { [CONFIG_CHECKSUM_ANNOTATION]: createHash('sha256').update(configText).digest('hex') };
}
