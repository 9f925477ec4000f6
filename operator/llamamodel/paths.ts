// REST paths of the objects the LlamaModel reconciler reads and writes.
import { HPA_API_VERSION, KEDA_API_VERSION, SCALED_OBJECTS } from '../../charts/llama-model-autoscaler.js';
import { GROUP, PLURAL, VERSION } from '../api/llama-model.js';

export function modelPath(namespace?: string, name?: string, subresource?: string): string {
  const base = namespace
    ? `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`
    : `/apis/${GROUP}/${VERSION}/${PLURAL}`;
  return [base, name, subresource].filter(Boolean).join('/');
}

export function deploymentPath(namespace?: string, name?: string, subresource?: string): string {
  return resourcePath('/apis/apps/v1', 'deployments', namespace, name, subresource);
}

export function servicePath(namespace?: string, name?: string): string {
  return resourcePath('/api/v1', 'services', namespace, name);
}

export function pvcPath(namespace?: string, name?: string): string {
  return resourcePath('/api/v1', 'persistentvolumeclaims', namespace, name);
}

export function hpaPath(namespace?: string, name?: string): string {
  return resourcePath(`/apis/${HPA_API_VERSION}`, 'horizontalpodautoscalers', namespace, name);
}

export function scaledObjectPath(namespace?: string, name?: string): string {
  return resourcePath(`/apis/${KEDA_API_VERSION}`, SCALED_OBJECTS, namespace, name);
}

export function podPath(namespace?: string, name?: string, subresource?: string): string {
  return resourcePath('/api/v1', 'pods', namespace, name, subresource);
}

function resourcePath(
  prefix: string,
  plural: string,
  namespace?: string,
  name?: string,
  sub?: string,
): string {
  const base = namespace ? `${prefix}/namespaces/${namespace}/${plural}` : `${prefix}/${plural}`;
  return [base, name, sub].filter(Boolean).join('/');
}
