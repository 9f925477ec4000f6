// Server-side apply with one field manager, and the check that makes an unchanged object cost no
// request at all: the live object (from the informer cache) must carry the hash of the last
// applied configuration AND still contain every applied value. A changed desired object changes
// the hash (so removed fields are released); an edit by someone else fails the containment check.
import { createHash } from 'node:crypto';
// Not in the package's index, but exported by its package.json: the API server's quantity rules.
import { quantityToScalar } from '@kubernetes/client-node/dist/util.js';
import type { KubeClient, KubeObject } from './kube-client.js';

export const APPLIED_HASH_ANNOTATION = 'kubellama.dev/applied-hash';

const PLURALS: Record<string, string> = {
  Deployment: 'deployments',
  Service: 'services',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  ConfigMap: 'configmaps',
  Secret: 'secrets',
  ServiceAccount: 'serviceaccounts',
  Pod: 'pods',
  Lease: 'leases',
};

/** The REST path of a namespaced object (kinds this operator writes). */
export function objectPath(object: KubeObject): string {
  const { apiVersion = '', kind = '', metadata } = object;
  const plural = PLURALS[kind] ?? `${kind.toLowerCase()}s`;
  const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${prefix}/namespaces/${metadata?.namespace}/${plural}/${metadata?.name}`;
}

export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function configHash(object: KubeObject): string {
  return createHash('sha256').update(stableStringify(object)).digest('hex').slice(0, 16);
}

// Values under these keys are resource quantities, which the API server stores in canonical form
// (`0.5` → `500m`, `1024Mi` → `1Gi`, `1000` → `1k`): compared by amount, or every reconcile would
// re-apply them. (averageValue: an HPA metric target.)
const QUANTITY_MAPS = new Set(['limits', 'requests', 'capacity', 'averageValue']);

function sameQuantity(live: unknown, desired: unknown): boolean {
  try {
    return String(quantityToScalar(String(live))) === String(quantityToScalar(String(desired)));
  } catch {
    return false;
  }
}

/**
 * Whether every value in `desired` is present and equal in `live`. Lists compare element by
 * element (live may be longer: others can append, e.g. an injected sidecar).
 */
export function contains(live: unknown, desired: unknown, isQuantity = false): boolean {
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length < desired.length) return false;
    return desired.every((item, i) => contains(live[i], item));
  }
  if (desired && typeof desired === 'object') {
    if (!live || typeof live !== 'object' || Array.isArray(live)) return false;
    const liveRecord = live as Record<string, unknown>;
    return Object.entries(desired).every(
      ([k, v]) => v === undefined || contains(liveRecord[k], v, isQuantity || QUANTITY_MAPS.has(k)),
    );
  }
  if (live === desired) return true;
  if (live === undefined || desired === undefined) return false;
  // Ports and quantities may come back as a number or a string.
  return String(live) === String(desired) || (isQuantity && sameQuantity(live, desired));
}

export function withAppliedHash<T extends KubeObject>(desired: T): T {
  const hash = configHash(desired);
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      annotations: { ...desired.metadata?.annotations, [APPLIED_HASH_ANNOTATION]: hash },
    },
  };
}

export function upToDate(desired: KubeObject, live: KubeObject | undefined): boolean {
  if (!live) return false;
  // Listed items come without apiVersion and kind: compare the rest.
  const { apiVersion: _v, kind: _k, ...stamped } = withAppliedHash(desired);
  return (
    live.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] ===
      stamped.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] && contains(live, stamped)
  );
}

export interface ApplyResult<T> {
  /** False when the live object was already up to date and no request was made. */
  readonly applied: boolean;
  readonly object: T | undefined;
}

/** Applies `desired` unless `live` (the cached object, if any) already matches it. */
export async function applyIfChanged<T extends KubeObject>(
  client: KubeClient,
  desired: T,
  live: T | undefined,
  fieldManager: string,
): Promise<ApplyResult<T>> {
  if (upToDate(desired, live)) return { applied: false, object: live };
  const object = await client.apply<T>(objectPath(desired), withAppliedHash(desired), fieldManager);
  return { applied: true, object };
}
