// The namespace the install charts share. Every chart can create it (kubectl apply is idempotent),
// so each dist/manifests file can be applied on its own; it enforces the "restricted" Pod Security
// Standard, which every install workload meets.
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { standardLabels } from './labels.js';

export function systemNamespace(scope: Construct, name: string): ApiObject {
  return new ApiObject(scope, 'namespace', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        ...standardLabels({ name: 'kubellama', instance: name, component: 'system' }),
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
      },
    },
  });
}
