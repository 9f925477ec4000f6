// The operator's install: Namespace, CRD, ServiceAccount, least-privilege RBAC (cluster rules plus a
// namespaced Role for the leader-election Lease) and the operator Deployment.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { V1Deployment } from '@kubernetes/client-node';
import { ApiObject, Chart, type ChartProps, Include } from 'cdk8s';
import type { Construct } from 'constructs';
import { ChartPropsError } from './chart-props-error.js';
import {
  collectorOtlpEndpoint,
  IMAGES,
  KUBELLAMA_UID,
  KUBELLAMA_VERSION,
  SYSTEM_NAMESPACE,
} from './images.js';
import { selectorLabels, standardLabels } from './labels.js';
import { OPERATOR_ENV, OPERATOR_PATHS, OPERATOR_PORT } from './operator-contract.js';
import { OPERATOR_CLUSTER_RULES, OPERATOR_LEADER_ELECTION_RULES } from './operator-rbac.js';
import { systemNamespace } from './system-namespace.js';
import {
  checkDnsLabel,
  checkDnsSubdomain,
  checkImage,
  checkOtlpGrpcEndpoint,
  checkPositiveInteger,
  imageTag,
} from './validate.js';
import {
  containerResources,
  type ResourceProps,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  scrapeAnnotations,
} from './workload-defaults.js';

/** The name of the operator's one port (the container and its probes refer to it by name). */
const PORT_NAME = 'http';

export const CRD_FILE_NAME = 'llamamodels.inference.kubellama.dev.yaml';

/** `crds/<CRD_FILE_NAME>` at the package root, from the source tree or from `dist/`. */
export function defaultCrdFile(): string | undefined {
  const candidates = [`../crds/${CRD_FILE_NAME}`, `../../crds/${CRD_FILE_NAME}`].map((relative) =>
    fileURLToPath(new URL(relative, import.meta.url)),
  );
  return candidates.find((path) => existsSync(path));
}

export interface OperatorChartProps extends ChartProps {
  /** @default SYSTEM_NAMESPACE ('kubellama-system') */
  readonly namespace?: string;
  /** Also emit the Namespace object. @default true */
  readonly createNamespace?: boolean;
  /** Name of the ServiceAccount, ClusterRole(Binding), Role(Binding) and Deployment. @default 'kubellama-operator' */
  readonly name?: string;
  /** @default IMAGES.operator */
  readonly image?: string;
  /** The runtime image CPU model pods (spec.gpu.count 0) get by default. @default IMAGES.runtime */
  readonly runtimeImage?: string;
  /** The runtime image GPU model pods (spec.gpu.count above 0) get by default. @default IMAGES.runtimeCuda */
  readonly runtimeCudaImage?: string;
  /**
   * OTLP/gRPC endpoint for the operator's own traces and the default for model pods.
   * @default the collector Service in `namespace` (`collectorOtlpEndpoint(namespace)`)
   */
  readonly otlpEndpoint?: string;
  /** Default trace sampling ratio of model pods (0 to 1). @default 1 */
  readonly samplingRatio?: number;
  /** Only reconcile LlamaModels in these namespaces. @default [] (all) */
  readonly watchNamespaces?: readonly string[];
  /** Replicas; more than one waits as leader-election standbys. @default 1 */
  readonly replicas?: number;
  /** @default requests 100m / 128Mi, limits 500m / 256Mi */
  readonly resources?: ResourceProps;
  /**
   * The CRD manifest to include. `undefined` uses `crds/llamamodels.inference.kubellama.dev.yaml`
   * when it exists; `false` leaves the CRD out (e.g. when it is installed separately).
   * @default defaultCrdFile()
   */
  readonly crdFile?: string | false;
}

export class OperatorChart extends Chart {
  readonly deployment: ApiObject;
  readonly crd: Include | undefined;

  constructor(scope: Construct, id: string, props: OperatorChartProps = {}) {
    super(scope, id, { ...props, namespace: undefined });
    const namespace = checkDnsLabel('namespace', props.namespace ?? SYSTEM_NAMESPACE);
    const name = checkDnsSubdomain('name', props.name ?? 'kubellama-operator');
    const image = checkImage('image', props.image ?? IMAGES.operator);
    const runtimeImage = checkImage('runtimeImage', props.runtimeImage ?? IMAGES.runtime);
    const runtimeCudaImage = checkImage('runtimeCudaImage', props.runtimeCudaImage ?? IMAGES.runtimeCuda);
    const otlpEndpoint = checkOtlpGrpcEndpoint(
      'otlpEndpoint',
      props.otlpEndpoint ?? collectorOtlpEndpoint(namespace),
    );
    const replicas = checkPositiveInteger('replicas', props.replicas ?? 1, 10);
    const samplingRatio = props.samplingRatio ?? 1;
    if (!(samplingRatio >= 0 && samplingRatio <= 1)) {
      throw new ChartPropsError(
        'samplingRatio',
        `${samplingRatio} is out of range`,
        'Use a number from 0 to 1',
      );
    }
    const watchNamespaces = (props.watchNamespaces ?? []).map((ns, i) =>
      checkDnsLabel(`watchNamespaces[${i}]`, ns),
    );
    const resources = containerResources(
      'resources',
      props.resources ?? {
        requests: { cpu: '100m', memory: '128Mi' },
        limits: { cpu: '500m', memory: '256Mi' },
      },
    );
    const labels = standardLabels({
      name: 'kubellama-operator',
      instance: name,
      component: 'controller',
      version: imageTag(image) ?? KUBELLAMA_VERSION,
    });
    const selector = selectorLabels({ name: 'kubellama-operator', instance: name });

    if (props.createNamespace ?? true) systemNamespace(this, namespace);

    const crdFile = props.crdFile === undefined ? defaultCrdFile() : props.crdFile;
    if (crdFile !== false && crdFile !== undefined && !existsSync(crdFile)) {
      throw new ChartPropsError(
        'crdFile',
        `${crdFile} does not exist`,
        'Point it at the CRD YAML in crds/, or pass false to leave the CRD out',
      );
    }
    this.crd = crdFile ? new Include(this, 'crd', { url: crdFile }) : undefined;

    new ApiObject(this, 'service-account', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name, namespace, labels },
    });
    new ApiObject(this, 'cluster-role', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name, labels },
      rules: OPERATOR_CLUSTER_RULES,
    });
    new ApiObject(this, 'cluster-role-binding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    });
    new ApiObject(this, 'leader-election-role', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: `${name}-leader-election`, namespace, labels },
      rules: OPERATOR_LEADER_ELECTION_RULES,
    });
    new ApiObject(this, 'leader-election-role-binding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `${name}-leader-election`, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${name}-leader-election` },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    });

    const probe = (path: string) => ({
      httpGet: { path, port: PORT_NAME },
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
    });
    const deployment: V1Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, labels },
      spec: {
        replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels, annotations: scrapeAnnotations(OPERATOR_PORT, OPERATOR_PATHS.metrics) },
          spec: {
            serviceAccountName: name,
            securityContext: restrictedPodSecurityContext(KUBELLAMA_UID),
            containers: [
              {
                name: 'operator',
                image,
                ports: [{ name: PORT_NAME, containerPort: OPERATOR_PORT, protocol: 'TCP' }],
                env: [
                  {
                    name: OPERATOR_ENV.podNamespace,
                    valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
                  },
                  { name: OPERATOR_ENV.podName, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: OPERATOR_ENV.healthPort, value: String(OPERATOR_PORT) },
                  { name: OPERATOR_ENV.runtimeImage, value: runtimeImage },
                  { name: OPERATOR_ENV.runtimeCudaImage, value: runtimeCudaImage },
                  { name: OPERATOR_ENV.collectorEndpoint, value: otlpEndpoint },
                  { name: OPERATOR_ENV.samplingRatio, value: String(samplingRatio) },
                  { name: OPERATOR_ENV.watchNamespaces, value: watchNamespaces.join(',') },
                  { name: 'OTEL_SERVICE_NAME', value: 'kubellama-operator' },
                  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: otlpEndpoint },
                  { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', value: 'grpc' },
                ],
                livenessProbe: probe(OPERATOR_PATHS.health),
                readinessProbe: probe(OPERATOR_PATHS.ready),
                resources,
                securityContext: restrictedContainerSecurityContext(),
              },
            ],
          },
        },
      },
    };
    this.deployment = new ApiObject(
      this,
      'deployment',
      deployment as ConstructorParameters<typeof ApiObject>[2],
    );
  }
}
