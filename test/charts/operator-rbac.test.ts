// The operator's RBAC under the real API server's RBAC authorizer: the chart's ServiceAccount,
// ClusterRole(Binding) and leader-election Role(Binding) are created for real (unique names, a test
// namespace) and SubjectAccessReviews ask what that ServiceAccount may do.
import { AuthorizationV1Api, KubernetesObjectApi } from '@kubernetes/client-node';
import { Testing } from 'cdk8s';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperatorChart } from '../../charts/operator.js';
import { createTestNamespace, printKubeLogsOnFailure, sharedKubeConfig } from '../harness/vitest.js';
import type { Manifest } from './helpers/manifest.js';

interface Access {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  /** '' is all namespaces (cluster-wide list/watch, as informers do). */
  readonly namespace: string;
}

const GROUP = 'inference.kubellama.dev';
const USER_NS = 'team-models';

function each(
  verbs: string[],
  group: string,
  resource: string,
  namespace = USER_NS,
  subresource?: string,
): Access[] {
  return verbs.map((verb) => ({ verb, group, resource, namespace, ...(subresource ? { subresource } : {}) }));
}

/** What the operator does (issue 5's list of its API calls), written out independently of the chart. */
function operatorNeeds(operatorNs: string): Access[] {
  return [
    ...each(['list', 'watch'], GROUP, 'llamamodels', ''),
    ...each(['get', 'list', 'watch'], GROUP, 'llamamodels'),
    // Status only, as a merge patch (operator/llamamodel/reconciler.ts writeStatus).
    ...each(['patch'], GROUP, 'llamamodels', USER_NS, 'status'),
    // Owner references with blockOwnerDeletion (OwnerReferencesPermissionEnforcement admission).
    ...each(['update'], GROUP, 'llamamodels', USER_NS, 'finalizers'),
    ...each(['list', 'watch'], 'apps', 'deployments', ''),
    ...each(['get', 'create', 'patch', 'update', 'delete'], 'apps', 'deployments'),
    ...each(['list', 'watch'], '', 'services', ''),
    ...each(['get', 'create', 'patch', 'update', 'delete'], '', 'services'),
    ...each(['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'], '', 'persistentvolumeclaims'),
    ...each(['get', 'list', 'watch'], '', 'pods'),
    ...each(['list', 'watch'], '', 'pods', ''),
    // status.download: the pull container's log tail; status.performance: /metrics through the pod proxy.
    ...each(['get'], '', 'pods', USER_NS, 'log'),
    ...each(['get'], '', 'pods', USER_NS, 'proxy'),
    // spec.autoscaling: the model's HPA or KEDA ScaledObject, cached, applied, deleted when turned off.
    ...each(['list', 'watch'], 'autoscaling', 'horizontalpodautoscalers', ''),
    ...each(['create', 'patch', 'delete'], 'autoscaling', 'horizontalpodautoscalers'),
    ...each(['list', 'watch'], 'keda.sh', 'scaledobjects', ''),
    ...each(['create', 'patch', 'delete'], 'keda.sh', 'scaledobjects'),
    ...each(['create', 'patch'], '', 'events'),
    ...each(['get', 'create', 'update'], 'coordination.k8s.io', 'leases', operatorNs),
  ];
}

function forbidden(operatorNs: string): Access[] {
  return [
    ...each(['get', 'list', 'watch'], '', 'secrets', ''),
    ...each(['get', 'list'], '', 'secrets'),
    ...each(['get', 'list'], '', 'secrets', operatorNs),
    ...each(['delete', 'create', 'update'], '', 'namespaces', ''),
    ...each(
      ['create', 'update', 'patch', 'delete', 'bind', 'escalate'],
      'rbac.authorization.k8s.io',
      'clusterroles',
      '',
    ),
    ...each(['create', 'update', 'delete'], 'rbac.authorization.k8s.io', 'clusterrolebindings', ''),
    ...each(['create', 'update', 'bind', 'escalate'], 'rbac.authorization.k8s.io', 'roles', operatorNs),
    ...each(['create', 'update'], 'rbac.authorization.k8s.io', 'rolebindings'),
    // Only its own namespace's Lease, and never another's deletion.
    ...each(['get', 'create', 'update'], 'coordination.k8s.io', 'leases'),
    ...each(['delete'], 'coordination.k8s.io', 'leases', operatorNs),
    ...each(['delete', 'create'], '', 'pods'),
    ...each(['delete', 'create', 'patch', 'update'], GROUP, 'llamamodels'),
    // Users and autoscalers scale a model; the operator never does.
    ...each(['patch', 'update'], GROUP, 'llamamodels', USER_NS, 'scale'),
    ...each(['deletecollection'], 'apps', 'deployments'),
    ...each(['create'], '', 'pods', USER_NS, 'exec'),
    // The pod proxy for reading only: no POST/PUT/DELETE through it; no port-forward or attach.
    ...each(['create', 'update', 'patch', 'delete'], '', 'pods', USER_NS, 'proxy'),
    ...each(['create', 'get'], '', 'pods', USER_NS, 'portforward'),
    ...each(['create', 'get'], '', 'pods', USER_NS, 'attach'),
    ...each(['get'], '', 'services', USER_NS, 'proxy'),
    // Nothing on autoscalers beyond what the operator calls (no update, no other KEDA kind); it reads
    // KEDA's presence from discovery, not from CRDs.
    ...each(['update', 'deletecollection'], 'autoscaling', 'horizontalpodautoscalers'),
    ...each(['update', 'deletecollection'], 'keda.sh', 'scaledobjects'),
    ...each(['create', 'get'], 'keda.sh', 'scaledjobs'),
    ...each(['get', 'list'], 'apiextensions.k8s.io', 'customresourcedefinitions', ''),
    ...each(['create'], 'apiextensions.k8s.io', 'customresourcedefinitions', ''),
  ];
}

describe('operator RBAC (SubjectAccessReview against the real authorizer)', () => {
  const kc = sharedKubeConfig();
  let namespace = '';
  let name = '';
  const created: Manifest[] = [];
  printKubeLogsOnFailure();

  beforeAll(async () => {
    namespace = await createTestNamespace(kc, 'oprbac');
    name = `${namespace}-operator`;
    const objects = Testing.synth(
      new OperatorChart(Testing.app(), 'operator', {
        namespace,
        name,
        createNamespace: false,
        crdFile: false,
      }),
    ) as Manifest[];
    const client = KubernetesObjectApi.makeApiClient(kc);
    for (const object of objects.filter((o) => o.kind !== 'Deployment')) {
      created.push((await client.create(object as never)) as Manifest);
    }
  });

  afterAll(async () => {
    const client = KubernetesObjectApi.makeApiClient(kc);
    for (const object of created.filter((o) => !o.metadata.namespace)) {
      await client.delete(object as never).catch(() => undefined);
    }
  });

  async function allowed(access: Access): Promise<boolean> {
    const review = await kc.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
      body: {
        spec: {
          user: `system:serviceaccount:${namespace}:${name}`,
          groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
          resourceAttributes: {
            verb: access.verb,
            group: access.group,
            resource: access.resource,
            ...(access.subresource ? { subresource: access.subresource } : {}),
            ...(access.namespace ? { namespace: access.namespace } : {}),
          },
        },
      },
    });
    return review.status?.allowed === true;
  }

  const label = (a: Access) =>
    `${a.verb} ${a.group || 'core'}/${a.resource}${a.subresource ? `/${a.subresource}` : ''} in ${a.namespace || 'all namespaces'}`;

  it('allows every call the operator makes', async () => {
    const denied: string[] = [];
    for (const access of operatorNeeds(namespace)) if (!(await allowed(access))) denied.push(label(access));
    expect(denied).toEqual([]);
  });

  it('cannot read Secrets, delete namespaces, touch RBAC or reach beyond its needs', async () => {
    const granted: string[] = [];
    for (const access of forbidden(namespace)) if (await allowed(access)) granted.push(label(access));
    expect(granted).toEqual([]);
  });
});
