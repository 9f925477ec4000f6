// The cluster-wide OpenTelemetry Collector: a gateway Deployment behind the Service every model pod
// exports to (and, optionally, a node-local DaemonSet agent in front of it) — or, in `daemonset`
// mode, the same pipeline on every node behind the same Service — its generated config, and the
// read-only RBAC that k8sattributes needs.
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import { ApiObject, Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import { ChartPropsError } from './chart-props-error.js';
import {
  COLLECTOR_PORTS,
  COLLECTOR_SELF_METRICS_PORT,
  type CollectorMode,
  collectorConfig,
} from './collector-config.js';
import { COLLECTOR_CLUSTER_RULES } from './collector-rbac.js';
import { COLLECTOR_SERVICE, IMAGES, SYSTEM_NAMESPACE } from './images.js';
import { JAEGER_PORTS, JAEGER_SERVICE } from './jaeger-config.js';
import { selectorLabels, standardLabels } from './labels.js';
import { systemNamespace } from './system-namespace.js';
import type { TailSamplingOptions } from './tail-sampling.js';
import {
  checkDnsLabel,
  checkImage,
  checkOtlpGrpcEndpoint,
  checkPositiveInteger,
  imageTag,
} from './validate.js';
import {
  configChecksumAnnotations,
  containerResources,
  type ResourceProps,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from './workload-defaults.js';

/** The agent's Service: node-local (internalTrafficPolicy Local), so no hostPort is needed. */
export const COLLECTOR_AGENT_SERVICE = 'otel-agent';
const CONFIG_KEY = 'config.yaml';
const CONFIG_DIR = '/etc/otelcol';
/** app.kubernetes.io/name of the collector's objects (the gateway's and the agent's). */
export const COLLECTOR_APP = 'otel-collector';
/** The gateway Service's port of the prometheus exporter (what a ServiceMonitor scrapes). */
export const COLLECTOR_PROMETHEUS_PORT_NAME = 'prometheus';
const COLLECTOR_UID = 10001;
/** The container's node name (downward API), for k8sattributes' node filter. */
const NODE_NAME_ENV = 'K8S_NODE_NAME';

/**
 * Where the collector's pipeline runs: `gateway`, one Deployment (`replicas`) for the cluster; or
 * `daemonset`, one collector per node, each watching only its node's pods, behind the same Service
 * with `internalTrafficPolicy: Local` (pods reach their own node's collector by the same name).
 */
export type CollectorDeployMode = 'gateway' | 'daemonset';

export interface CollectorAgentProps {
  /** @default requests 50m / 128Mi, limits 500m / 256Mi */
  readonly resources?: ResourceProps;
}

export interface CollectorChartProps extends ChartProps {
  /** @default SYSTEM_NAMESPACE */
  readonly namespace?: string;
  /** Also emit the Namespace object. @default true */
  readonly createNamespace?: boolean;
  /** @default IMAGES.collector */
  readonly image?: string;
  /** @default 'gateway' */
  readonly mode?: CollectorDeployMode;
  /** Gateway replicas (gateway mode only). @default 1 */
  readonly replicas?: number;
  /** Gateway resources; memory_limiter works from the memory limit. @default requests 100m / 256Mi, limits 1 / 512Mi */
  readonly resources?: ResourceProps;
  /** Where traces go (OTLP/gRPC). @default `http://jaeger.<namespace>.svc:4317` */
  readonly jaegerEndpoint?: string;
  /** Added to every resource as `k8s.cluster.name`. @default 'kubellama' */
  readonly clusterName?: string;
  /** A node-local DaemonSet agent (Service `otel-agent`) that forwards to the gateway. @default undefined (off) */
  readonly agent?: CollectorAgentProps;
  /**
   * Tail sampling in the gateway: every error, slow or marked trace, plus `ratio` of the rest.
   * @default {} (ratio 1: keep every trace)
   */
  readonly tailSampling?: TailSamplingOptions;
}

export class CollectorChart extends Chart {
  readonly gatewayConfig: Record<string, unknown>;
  readonly agentConfig: Record<string, unknown> | undefined;

  constructor(scope: Construct, id: string, props: CollectorChartProps = {}) {
    super(scope, id, { ...props, namespace: undefined });
    const namespace = checkDnsLabel('namespace', props.namespace ?? SYSTEM_NAMESPACE);
    const image = checkImage('image', props.image ?? IMAGES.collector);
    const mode = props.mode ?? 'gateway';
    if (mode !== 'gateway' && mode !== 'daemonset') {
      throw new ChartPropsError('mode', `"${mode as string}" is unknown`, 'Use "gateway" or "daemonset"');
    }
    const perNode = mode === 'daemonset';
    if (perNode && props.replicas !== undefined) {
      throw new ChartPropsError(
        'replicas',
        'is set in daemonset mode',
        'Leave it out: a DaemonSet runs one per node',
      );
    }
    if (perNode && props.agent) {
      throw new ChartPropsError(
        'agent',
        'is set in daemonset mode',
        'Leave it out: every node already runs the whole pipeline',
      );
    }
    const replicas = checkPositiveInteger('replicas', props.replicas ?? 1, 100);
    const clusterName = checkDnsLabel('clusterName', props.clusterName ?? 'kubellama');
    const jaegerEndpoint = checkOtlpGrpcEndpoint(
      'jaegerEndpoint',
      props.jaegerEndpoint ?? `http://${JAEGER_SERVICE}.${namespace}.svc:${JAEGER_PORTS.otlpGrpc}`,
    );
    const name = COLLECTOR_SERVICE;

    if (props.createNamespace ?? true) systemNamespace(this, namespace);

    const labels = standardLabels({ name: COLLECTOR_APP, instance: name, component: 'gateway' });
    new ApiObject(this, 'service-account', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name, namespace, labels },
    });
    // The ClusterRole is cluster-scoped: its name carries the namespace so two installs never clash.
    const roleName = `${namespace}-${name}`;
    new ApiObject(this, 'cluster-role', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: roleName, labels },
      rules: COLLECTOR_CLUSTER_RULES,
    });
    new ApiObject(this, 'cluster-role-binding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: roleName, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    });

    this.gatewayConfig = collectorConfig({
      mode: 'gateway',
      exportEndpoint: jaegerEndpoint,
      resourceAttributes: { 'k8s.cluster.name': clusterName },
      selfMetricsPort: COLLECTOR_SELF_METRICS_PORT,
      tailSampling: props.tailSampling ?? {},
      // Per node, each collector only needs (and only caches) the pods of its node.
      ...(perNode ? { k8sAttributes: { nodeFromEnvVar: NODE_NAME_ENV } } : {}),
    });
    const gatewayResources = containerResources(
      'resources',
      props.resources ?? {
        requests: { cpu: '100m', memory: '256Mi' },
        limits: { cpu: '1', memory: '512Mi' },
      },
    );
    this.workload('gateway', {
      kind: perNode ? 'DaemonSet' : 'Deployment',
      name,
      namespace,
      image,
      config: this.gatewayConfig,
      resources: gatewayResources,
      ...(perNode ? {} : { replicas }),
    });
    this.service('gateway', name, namespace, 'gateway', true, perNode);

    if (props.agent) {
      this.agentConfig = collectorConfig({
        mode: 'agent',
        exportEndpoint: `http://${name}.${namespace}.svc:${COLLECTOR_PORTS.otlpGrpc}`,
        k8sAttributes: { nodeFromEnvVar: NODE_NAME_ENV },
      });
      const agentResources = containerResources(
        'agent.resources',
        props.agent.resources ?? {
          requests: { cpu: '50m', memory: '128Mi' },
          limits: { cpu: '500m', memory: '256Mi' },
        },
      );
      this.workload('agent', {
        kind: 'DaemonSet',
        name: COLLECTOR_AGENT_SERVICE,
        namespace,
        image,
        config: this.agentConfig,
        resources: agentResources,
        serviceAccountName: name,
      });
      this.service('agent', COLLECTOR_AGENT_SERVICE, namespace, 'agent', false, true);
    }
  }

  private service(
    id: string,
    name: string,
    namespace: string,
    component: CollectorMode,
    prometheus: boolean,
    nodeLocal: boolean,
  ): void {
    new ApiObject(this, `${id}-service`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name,
        namespace,
        labels: standardLabels({ name: COLLECTOR_APP, instance: name, component }),
      },
      spec: {
        selector: selectorLabels({ name: COLLECTOR_APP, instance: name }),
        // A per-node collector only serves pods on its own node.
        ...(nodeLocal ? { internalTrafficPolicy: 'Local' } : {}),
        ports: [
          {
            name: 'otlp-grpc',
            port: COLLECTOR_PORTS.otlpGrpc,
            targetPort: 'otlp-grpc',
            protocol: 'TCP',
            appProtocol: 'grpc',
          },
          {
            name: 'otlp-http',
            port: COLLECTOR_PORTS.otlpHttp,
            targetPort: 'otlp-http',
            protocol: 'TCP',
            appProtocol: 'http',
          },
          ...(prometheus
            ? [
                {
                  name: COLLECTOR_PROMETHEUS_PORT_NAME,
                  port: COLLECTOR_PORTS.prometheus,
                  targetPort: COLLECTOR_PROMETHEUS_PORT_NAME,
                  protocol: 'TCP',
                },
              ]
            : []),
        ],
      },
    });
  }

  private workload(
    id: CollectorMode,
    spec: {
      kind: 'Deployment' | 'DaemonSet';
      name: string;
      namespace: string;
      image: string;
      config: Record<string, unknown>;
      resources: ReturnType<typeof containerResources>;
      replicas?: number;
      serviceAccountName?: string;
    },
  ): void {
    const configText = stringify(spec.config);
    const configMapName = `${spec.name}-config`;
    const labels = standardLabels({
      name: COLLECTOR_APP,
      instance: spec.name,
      component: id,
      version: imageTag(spec.image),
    });
    new ApiObject(this, `${id}-config`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: configMapName, namespace: spec.namespace, labels },
      data: { [CONFIG_KEY]: configText },
    });
    const health = { httpGet: { path: '/', port: 'health' }, periodSeconds: 10, timeoutSeconds: 2 };
    const container: V1Container = {
      name: 'otelcol',
      image: spec.image,
      args: [`--config=file:${CONFIG_DIR}/${CONFIG_KEY}`],
      ports: [
        { name: 'otlp-grpc', containerPort: COLLECTOR_PORTS.otlpGrpc, protocol: 'TCP' },
        { name: 'otlp-http', containerPort: COLLECTOR_PORTS.otlpHttp, protocol: 'TCP' },
        { name: 'health', containerPort: COLLECTOR_PORTS.health, protocol: 'TCP' },
        ...(id === 'gateway'
          ? [
              {
                name: COLLECTOR_PROMETHEUS_PORT_NAME,
                containerPort: COLLECTOR_PORTS.prometheus,
                protocol: 'TCP',
              },
              { name: 'self-metrics', containerPort: COLLECTOR_SELF_METRICS_PORT, protocol: 'TCP' },
            ]
          : []),
      ],
      env: [
        { name: NODE_NAME_ENV, valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        // The Go runtime's soft limit, so GC works before the kernel's OOM killer does.
        { name: 'GOMEMLIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } },
      ],
      livenessProbe: { ...health, failureThreshold: 3 },
      readinessProbe: { ...health, failureThreshold: 2 },
      resources: spec.resources,
      securityContext: restrictedContainerSecurityContext(),
      volumeMounts: [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }],
    };
    const podSpec: V1PodSpec = {
      serviceAccountName: spec.serviceAccountName ?? spec.name,
      securityContext: restrictedPodSecurityContext(COLLECTOR_UID),
      containers: [container],
      volumes: [{ name: 'config', configMap: { name: configMapName } }],
    };
    const selector = selectorLabels({ name: COLLECTOR_APP, instance: spec.name });
    new ApiObject(this, id, {
      apiVersion: 'apps/v1',
      kind: spec.kind,
      metadata: { name: spec.name, namespace: spec.namespace, labels },
      spec: {
        ...(spec.replicas !== undefined ? { replicas: spec.replicas } : {}),
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels,
            annotations: configChecksumAnnotations(configText),
          },
          spec: podSpec,
        },
      },
    });
  }
}
