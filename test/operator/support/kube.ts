// Test helpers shared by the operator suites: a KubeClient for the harness API server, the CRD
// installed (idempotently: several suites share one server) and LlamaModel builders.
import type { KubeConfig } from '@kubernetes/client-node';
import { CRD_NAME, llamaModelCrd } from '../../../operator/api/crd.js';
import { API_VERSION, KIND, type LlamaModel } from '../../../operator/api/llama-model.js';
import { KubeClient } from '../../../operator/kube/kube-client.js';
import { modelPath } from '../../../operator/llamamodel/paths.js';
import { waitFor } from '../../harness/index.js';

export async function installCrd(client: KubeClient): Promise<void> {
  await client.apply(
    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`,
    llamaModelCrd(),
    'kubellama-tests',
  );
  await waitFor(
    async () => {
      const crd = await client.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`,
      );
      if (!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return false;
      // Established can come a moment before the REST endpoint serves.
      await client.get(modelPath('default'));
      return true;
    },
    { description: `the ${CRD_NAME} CRD to be Established and served` },
  );
}

export async function clientFor(kc: KubeConfig): Promise<KubeClient> {
  return KubeClient.fromKubeConfig(kc);
}

/** A LlamaModel as a user would write it: only what differs from the defaults. */
export function userModel(
  namespace: string,
  name: string,
  spec: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace },
    spec: { model: { source: 'hf:unsloth/gemma-3-270m-it-GGUF:Q8_0' }, ...spec },
  };
}

export async function createModel(client: KubeClient, body: Record<string, unknown>): Promise<LlamaModel> {
  const metadata = body.metadata as { namespace: string };
  return client.create<LlamaModel>(modelPath(metadata.namespace), body);
}
