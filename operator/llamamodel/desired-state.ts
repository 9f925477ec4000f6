// The objects a LlamaModel should have, as a pure function of the model and the operator's
// configuration: rendered by the cdk8s construct in charts/ and owned by the model (controller).
import type { V1Deployment, V1PersistentVolumeClaim, V1Service } from '@kubernetes/client-node';
import { HPA_KIND, SCALED_OBJECT_KIND } from '../../charts/llama-model-autoscaler.js';
import type { TelemetryDefaults } from '../../charts/llama-model-env.js';
import { type RuntimeImages, renderLlamaModelWorkload } from '../../charts/llama-model-workload.js';
import { API_VERSION, KIND, type LlamaModel } from '../api/llama-model.js';
import type { KubeObject } from '../kube/kube-client.js';

export interface WorkloadDefaults {
  /** The runtime images of models that name none: CUDA for GPU models, else CPU. */
  readonly runtimeImages: RuntimeImages;
  readonly telemetry: TelemetryDefaults;
  /** Prometheus that KEDA ScaledObjects query. @default DEFAULT_KEDA_PROMETHEUS_ADDRESS */
  readonly kedaPrometheusAddress?: string;
}

export interface DesiredState {
  readonly deployment: V1Deployment & KubeObject;
  readonly service: V1Service & KubeObject;
  readonly cache: (V1PersistentVolumeClaim & KubeObject) | undefined;
  /** The HorizontalPodAutoscaler or KEDA ScaledObject of spec.autoscaling. */
  readonly autoscaler: KubeObject | undefined;
}

export function desiredState(model: LlamaModel, defaults: WorkloadDefaults): DesiredState {
  const { name, namespace, uid } = model.metadata;
  if (!uid) throw new Error(`LlamaModel ${namespace}/${name} has no uid (not read from the API server?)`);
  const objects = renderLlamaModelWorkload({
    name,
    namespace,
    spec: model.spec,
    defaultImages: defaults.runtimeImages,
    telemetry: defaults.telemetry,
    ...(defaults.kedaPrometheusAddress ? { kedaPrometheusAddress: defaults.kedaPrometheusAddress } : {}),
    ownerReferences: [
      { apiVersion: API_VERSION, kind: KIND, name, uid, controller: true, blockOwnerDeletion: true },
    ],
  }) as KubeObject[];
  const byKind = (kind: string) => objects.find((o) => o.kind === kind);
  return {
    deployment: byKind('Deployment') as DesiredState['deployment'],
    service: byKind('Service') as DesiredState['service'],
    cache: byKind('PersistentVolumeClaim') as DesiredState['cache'],
    autoscaler: byKind(HPA_KIND) ?? byKind(SCALED_OBJECT_KIND),
  };
}
