// Whether the API server serves a resource, from its discovery document (GET /apis/GROUP/VERSION),
// as client-go's discovery client answers it. Every authenticated user may read discovery
// (system:discovery), so this needs no RBAC rule.
import { isNotFound } from './errors.js';
import type { KubeClient } from './kube-client.js';

interface ApiResourceList {
  resources?: Array<{ name: string }>;
}

/** True when `/apis/<groupVersion>` lists `plural`; false when the group/version is not served. */
export async function servesResource(
  client: KubeClient,
  groupVersion: string,
  plural: string,
): Promise<boolean> {
  try {
    const list = await client.get<ApiResourceList>(`/apis/${groupVersion}`);
    return (list.resources ?? []).some((r) => r.name === plural);
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}
