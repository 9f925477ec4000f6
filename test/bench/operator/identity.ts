// The operator's own identity on the benchmark's API server, as in a cluster: a ServiceAccount bound
// to the operator's ClusterRole (charts/operator-rbac.ts), and a kubeconfig with a token for it. So
// its requests pass RBAC and land in the API server's `workload-low` priority level (flow schema
// service-accounts), not the admin's exempt one — the throttling a real operator sees.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPERATOR_CLUSTER_RULES, OPERATOR_LEADER_ELECTION_RULES } from '../../../charts/operator-rbac.js';
import type { KubeClient } from '../../../operator/kube/kube-client.js';
import { type KubeApiServer, writeKubeconfig } from '../../harness/index.js';

const NAME = 'kubellama-operator-bench';

/** Creates the ServiceAccount and its bindings in `namespace`; answers its kubeconfig (in `dir`). */
export async function operatorKubeconfig(
  client: KubeClient,
  server: KubeApiServer,
  namespace: string,
): Promise<{ path: string; dir: string }> {
  const subject = [{ kind: 'ServiceAccount', name: NAME, namespace }];
  await client.create(`/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name: NAME } });
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  await client.create(`${rbac}/clusterroles`, { metadata: { name: NAME }, rules: OPERATOR_CLUSTER_RULES });
  await client.create(`${rbac}/clusterrolebindings`, {
    metadata: { name: NAME },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NAME },
    subjects: subject,
  });
  await client.create(`${rbac}/namespaces/${namespace}/roles`, {
    metadata: { name: NAME },
    rules: OPERATOR_LEADER_ELECTION_RULES,
  });
  await client.create(`${rbac}/namespaces/${namespace}/rolebindings`, {
    metadata: { name: NAME },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: NAME },
    subjects: subject,
  });
  const request = await client.create<{ status: { token: string } }>(
    `/api/v1/namespaces/${namespace}/serviceaccounts/${NAME}/token`,
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 7200 } },
  );
  const dir = mkdtempSync(join(tmpdir(), 'kubellama-bench-'));
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, server.caCert);
  const path = join(dir, 'kubeconfig');
  writeKubeconfig(path, server.url, caFile, request.status.token);
  return { path, dir };
}
