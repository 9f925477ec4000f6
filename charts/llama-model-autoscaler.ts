// The autoscaler of one LlamaModel (spec.autoscaling), part of its workload: an autoscaling/v2
// HorizontalPodAutoscaler with a Pods metric (engine hpa; a metrics adapter such as
// prometheus-adapter serves the metric), or a KEDA ScaledObject with a Prometheus trigger (engine
// keda). Both scale the model's Deployment on the runtime's load gauge (requests in flight +
// queued, charts/metrics-contract.ts), named here once for the HPA, the KEDA query and the docs.
// While one exists the Deployment is rendered without spec.replicas, so the autoscaler owns it.
import type { V1OwnerReference } from '@kubernetes/client-node';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { LlamaModelSpec } from '../operator/api/llama-model.js';
import { RUNTIME_METRICS } from './metrics-contract.js';

export const HPA_API_VERSION = 'autoscaling/v2';
export const HPA_KIND = 'HorizontalPodAutoscaler';
export const KEDA_GROUP = 'keda.sh';
export const KEDA_API_VERSION = `${KEDA_GROUP}/v1alpha1`;
export const SCALED_OBJECT_KIND = 'ScaledObject';
export const SCALED_OBJECTS = 'scaledobjects';

/**
 * On a model's Deployment while an autoscaler owns its replicas: the autoscaler's kind. Shows users
 * who sets the count, and tells the operator that it handed the field over (operator/llamamodel/autoscaler.ts).
 */
export const REPLICAS_OWNER_ANNOTATION = 'kubellama.dev/replicas-owner';

/** The metric the HPA asks the custom metrics API for: the Prometheus series' own name. */
export const LOAD_METRIC = RUNTIME_METRICS.requestsLoad.prometheusName;

/** kube-prometheus-stack's Prometheus (release `kube-prometheus-stack` in namespace `monitoring`). */
export const DEFAULT_KEDA_PROMETHEUS_ADDRESS = 'http://kube-prometheus-stack-prometheus.monitoring.svc:9090';

export type Autoscaling = NonNullable<LlamaModelSpec['autoscaling']>;

/**
 * The load of one model's pods, summed (KEDA divides by the replicas and compares with the
 * threshold). Pods are matched by name, `MODEL-<ReplicaSet hash>-<suffix>`: the labels a
 * Prometheus scrape keeps for sure are `namespace` and `pod`, and a model named `a` never matches
 * the pods of `a-b` (the two generated parts contain no "-").
 */
export function loadQuery(namespace: string, model: string): string {
  return `sum(${LOAD_METRIC}{namespace="${namespace}",pod=~"${model}-[a-z0-9]+-[a-z0-9]+"})`;
}

export interface LlamaModelAutoscalerProps {
  readonly name: string;
  readonly namespace: string;
  readonly autoscaling: Autoscaling;
  readonly labels: Record<string, string>;
  readonly ownerReferences?: V1OwnerReference[];
  /** Prometheus that KEDA's trigger queries. @default DEFAULT_KEDA_PROMETHEUS_ADDRESS */
  readonly kedaPrometheusAddress?: string;
}

/** The kind of object spec.autoscaling renders. */
export function autoscalerKind(autoscaling: Autoscaling): string {
  return autoscaling.engine === 'keda' ? SCALED_OBJECT_KIND : HPA_KIND;
}

export class LlamaModelAutoscaler extends Construct {
  readonly object: ApiObject;

  constructor(scope: Construct, id: string, props: LlamaModelAutoscalerProps) {
    super(scope, id);
    const { name, namespace, autoscaling: a } = props;
    const metadata = {
      name,
      namespace,
      labels: props.labels,
      ...(props.ownerReferences ? { ownerReferences: props.ownerReferences } : {}),
    };
    const scaleTargetRef = { apiVersion: 'apps/v1', kind: 'Deployment', name };
    // scaleDownDelaySeconds is the HPA's scale-down stabilization window (KEDA passes it to its HPA).
    const behavior = { scaleDown: { stabilizationWindowSeconds: a.scaleDownDelaySeconds } };
    if (a.engine === 'keda') {
      this.object = new ApiObject(this, 'scaled-object', {
        apiVersion: KEDA_API_VERSION,
        kind: SCALED_OBJECT_KIND,
        metadata,
        spec: {
          scaleTargetRef,
          minReplicaCount: a.minReplicas,
          maxReplicaCount: a.maxReplicas,
          advanced: { horizontalPodAutoscalerConfig: { behavior } },
          triggers: [
            {
              type: 'prometheus',
              metricType: 'AverageValue',
              metadata: {
                serverAddress: props.kedaPrometheusAddress ?? DEFAULT_KEDA_PROMETHEUS_ADDRESS,
                query: loadQuery(namespace, name),
                threshold: String(a.targetRequestsPerReplica),
              },
            },
          ],
        },
      });
      return;
    }
    this.object = new ApiObject(this, 'hpa', {
      apiVersion: HPA_API_VERSION,
      kind: HPA_KIND,
      metadata,
      spec: {
        scaleTargetRef,
        minReplicas: a.minReplicas,
        maxReplicas: a.maxReplicas,
        metrics: [
          {
            type: 'Pods',
            pods: {
              metric: { name: LOAD_METRIC },
              target: { type: 'AverageValue', averageValue: String(a.targetRequestsPerReplica) },
            },
          },
        ],
        behavior,
      },
    });
  }
}
