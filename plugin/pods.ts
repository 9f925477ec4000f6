// A model's pods, found by the labels its workload carries (charts/labels.ts), and the ready one a
// port-forward goes to.
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { selectorLabels } from '../charts/labels.js';
import { LLAMA_MODEL_APP } from '../charts/workload-contract.js';
import { PluginError, request } from './errors.js';
import { type ModelObject, modelRef } from './llama-models.js';

export function isReady(pod: V1Pod): boolean {
  return (
    !pod.metadata?.deletionTimestamp &&
    (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

/** The model's pods, oldest first. */
export async function modelPods(kc: KubeConfig, model: ModelObject): Promise<V1Pod[]> {
  const { name, namespace } = model.metadata;
  const labelSelector = Object.entries(selectorLabels({ name: LLAMA_MODEL_APP, instance: name }))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const list = await request(`the pods of ${modelRef(name, namespace)}`, () =>
    kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector }),
  );
  const created = (pod: V1Pod) => new Date(pod.metadata?.creationTimestamp ?? 0).getTime();
  return list.items.sort((a, b) => created(a) - created(b));
}

/** The newest ready pod, or an error that says what state the model is in. */
export async function readyPod(kc: KubeConfig, model: ModelObject): Promise<V1Pod> {
  const pods = await modelPods(kc, model);
  const ready = pods.filter(isReady).at(-1);
  if (ready) return ready;
  const { name, namespace } = model.metadata;
  throw new PluginError(
    `${modelRef(name, namespace)} has no ready pod (phase ${model.status?.phase ?? 'unknown'}, ${pods.length} pod(s)); ` +
      `kubectl llama run waits for it, kubectl llama logs ${name} shows why`,
  );
}
