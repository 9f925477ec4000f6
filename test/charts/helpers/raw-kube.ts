// Raw JSON requests to a harness API server. The typed client-node object API re-serializes bodies
// through its models, which drops keys such as `x-kubernetes-int-or-string` from a CRD; the
// dry-run test must send the manifests exactly as synthesized, like kubectl does.
import { request } from 'node:https';
import type { KubeApiServer } from '../../harness/index.js';

export interface KubeResponse {
  readonly status: number;
  readonly body: string;
}

/** REST collection paths of the kinds the install charts emit. */
const COLLECTIONS: Record<string, { prefix: string; plural: string; namespaced: boolean }> = {
  Namespace: { prefix: '/api/v1', plural: 'namespaces', namespaced: false },
  CustomResourceDefinition: {
    prefix: '/apis/apiextensions.k8s.io/v1',
    plural: 'customresourcedefinitions',
    namespaced: false,
  },
  ClusterRole: { prefix: '/apis/rbac.authorization.k8s.io/v1', plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: {
    prefix: '/apis/rbac.authorization.k8s.io/v1',
    plural: 'clusterrolebindings',
    namespaced: false,
  },
  Role: { prefix: '/apis/rbac.authorization.k8s.io/v1', plural: 'roles', namespaced: true },
  RoleBinding: { prefix: '/apis/rbac.authorization.k8s.io/v1', plural: 'rolebindings', namespaced: true },
  ServiceAccount: { prefix: '/api/v1', plural: 'serviceaccounts', namespaced: true },
  ConfigMap: { prefix: '/api/v1', plural: 'configmaps', namespaced: true },
  Service: { prefix: '/api/v1', plural: 'services', namespaced: true },
  PersistentVolumeClaim: { prefix: '/api/v1', plural: 'persistentvolumeclaims', namespaced: true },
  PersistentVolume: { prefix: '/api/v1', plural: 'persistentvolumes', namespaced: false },
  Pod: { prefix: '/api/v1', plural: 'pods', namespaced: true },
  Event: { prefix: '/api/v1', plural: 'events', namespaced: true },
  Secret: { prefix: '/api/v1', plural: 'secrets', namespaced: true },
  Lease: { prefix: '/apis/coordination.k8s.io/v1', plural: 'leases', namespaced: true },
  LlamaModel: { prefix: '/apis/inference.kubellama.dev/v1alpha1', plural: 'llamamodels', namespaced: true },
  Deployment: { prefix: '/apis/apps/v1', plural: 'deployments', namespaced: true },
  DaemonSet: { prefix: '/apis/apps/v1', plural: 'daemonsets', namespaced: true },
  PodMonitor: { prefix: '/apis/monitoring.coreos.com/v1', plural: 'podmonitors', namespaced: true },
  ServiceMonitor: { prefix: '/apis/monitoring.coreos.com/v1', plural: 'servicemonitors', namespaced: true },
};

export interface ManifestObject {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

export function collectionPath(object: ManifestObject): string {
  const collection = COLLECTIONS[object.kind];
  if (!collection) throw new Error(`no REST path known for kind ${object.kind}: add it to COLLECTIONS`);
  if (collection.namespaced && !object.metadata.namespace) {
    throw new Error(`${object.kind}/${object.metadata.name} has no metadata.namespace`);
  }
  const ns = collection.namespaced ? `/namespaces/${object.metadata.namespace}` : '';
  return `${collection.prefix}${ns}/${collection.plural}`;
}

export function kubeRequest(
  server: KubeApiServer,
  method: 'POST' | 'PATCH' | 'PUT' | 'GET' | 'DELETE',
  path: string,
  body?: unknown,
  contentType = 'application/json',
  headers: Record<string, string | string[]> = {},
): Promise<KubeResponse> {
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: server.caCert,
        headers: {
          Authorization: `Bearer ${server.adminToken}`,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': contentType }),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}
