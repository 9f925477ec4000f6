// A Pod made from the operator's generated template is admitted by the real PodSecurity admission
// at the "restricted" level (no kubelet runs here: the Pod is only admitted and stored).
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../operator/kube/kube-client.js';
import { deploymentPath, podPath } from '../../operator/llamamodel/paths.js';
import { waitFor } from '../harness/index.js';
import { createTestNamespace, printKubeLogsOnFailure, sharedKubeConfig } from '../harness/vitest.js';
import { clientFor, createModel, installCrd, userModel } from './support/kube.js';
import { type RunningOperator, runOperator } from './support/operator.js';
import { GPU_SPEC } from './support/specs.js';

describe('PodSecurity admission of the generated pod template (real API server)', () => {
  printKubeLogsOnFailure();
  const kc = sharedKubeConfig();
  let client: KubeClient;
  let ns: string;
  let operator: RunningOperator;

  const waitForDeployment = (name: string) =>
    waitFor(async () => client.getOrUndefined<V1Deployment>(deploymentPath(ns, name)), {
      description: `Deployment ${name}`,
      timeoutMs: 20_000,
    });

  beforeAll(async () => {
    client = await clientFor(kc);
    await installCrd(client);
    ns = await createTestNamespace(kc, 'lm-psa-op');
    operator = await runOperator(kc, ns);
  });
  afterAll(async () => operator?.stop());

  it('a Pod from the generated template passes PodSecurity "restricted" admission', async () => {
    const restricted = await createTestNamespace(kc, 'lm-psa');
    await client.patch(
      `/api/v1/namespaces/${restricted}`,
      { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
      'merge',
    );
    // The GPU model's pod names a PriorityClass and a RuntimeClass; admission wants them to exist.
    await client.apply(
      '/apis/scheduling.k8s.io/v1/priorityclasses/kubellama-test-inference',
      {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: 'kubellama-test-inference' },
        value: 1000,
      },
      'kubellama-tests',
    );
    await client.apply(
      '/apis/node.k8s.io/v1/runtimeclasses/kubellama-test-nvidia',
      {
        apiVersion: 'node.k8s.io/v1',
        kind: 'RuntimeClass',
        metadata: { name: 'kubellama-test-nvidia' },
        handler: 'nvidia',
      },
      'kubellama-tests',
    );
    await createModel(client, userModel(ns, 'psa', GPU_SPEC));
    const d = await waitForDeployment('psa');
    const spec = d.spec!.template.spec!;
    await client.create<V1Pod>(podPath(restricted), { metadata: { name: 'from-template' }, spec });
    // The check can fail: the same Pod with one container allowed to escalate is refused.
    const bad = structuredClone(spec);
    bad.containers[0]!.securityContext!.allowPrivilegeEscalation = true;
    await expect(
      client.create(podPath(restricted), { metadata: { name: 'escalating' }, spec: bad }),
    ).rejects.toThrow(/violates PodSecurity "restricted.*allowPrivilegeEscalation/);
  });
});
