// Jaeger v2: one Deployment (collector + query + UI), its Service (UI 16686, OTLP 4317/4318), its
// generated config, in-memory storage by default or badger on a PersistentVolumeClaim.
import type { V1PodSpec } from '@kubernetes/client-node';
import { ApiObject, Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import { ChartPropsError } from './chart-props-error.js';
import { IMAGES, SYSTEM_NAMESPACE } from './images.js';
import { JAEGER_PORTS, JAEGER_SERVICE, type JaegerStorage, jaegerConfig } from './jaeger-config.js';
import { selectorLabels, standardLabels } from './labels.js';
import { systemNamespace } from './system-namespace.js';
import {
  checkDnsLabel,
  checkDnsSubdomain,
  checkImage,
  checkPositiveInteger,
  checkQuantity,
  imageTag,
} from './validate.js';
import {
  configChecksumAnnotations,
  containerResources,
  type ResourceProps,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from './workload-defaults.js';

const CONFIG_DIR = '/etc/jaeger';
const CONFIG_KEY = 'config.yaml';
const DATA_DIR = '/var/lib/jaeger';
/** The jaegertracing/jaeger image's non-root user. */
const JAEGER_UID = 10001;

/** The storage props' defaults (memory: maxTraces; badger: size, ttl). */
export const JAEGER_STORAGE_DEFAULTS = { maxTraces: 100_000, size: '10Gi', ttl: '72h' } as const;

export type JaegerStorageProps =
  | { readonly type: 'memory' /** @default 100000 */; readonly maxTraces?: number }
  | {
      readonly type: 'badger';
      /** PVC size. @default '10Gi' */
      readonly size?: string;
      /** @default '' (the cluster's default StorageClass) */
      readonly storageClassName?: string;
      /** Retention. @default '72h' */
      readonly ttl?: string;
    };

export interface JaegerChartProps extends ChartProps {
  /** @default SYSTEM_NAMESPACE */
  readonly namespace?: string;
  /** Also emit the Namespace object. @default true */
  readonly createNamespace?: boolean;
  /** @default IMAGES.jaeger */
  readonly image?: string;
  /** @default requests 100m / 256Mi, limits 1 / 1Gi */
  readonly resources?: ResourceProps;
  /** @default { type: 'memory' } */
  readonly storage?: JaegerStorageProps;
}

export class JaegerChart extends Chart {
  readonly config: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: JaegerChartProps = {}) {
    super(scope, id, { ...props, namespace: undefined });
    const namespace = checkDnsLabel('namespace', props.namespace ?? SYSTEM_NAMESPACE);
    const image = checkImage('image', props.image ?? IMAGES.jaeger);
    const resources = containerResources(
      'resources',
      props.resources ?? { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    );
    const storageProps = props.storage ?? { type: 'memory' };
    let storage: JaegerStorage;
    if (storageProps.type === 'memory') {
      storage = {
        type: 'memory',
        maxTraces: checkPositiveInteger(
          'storage.maxTraces',
          storageProps.maxTraces ?? JAEGER_STORAGE_DEFAULTS.maxTraces,
        ),
      };
    } else if (storageProps.type === 'badger') {
      checkQuantity('storage.size', storageProps.size ?? JAEGER_STORAGE_DEFAULTS.size);
      if (storageProps.storageClassName)
        checkDnsSubdomain('storage.storageClassName', storageProps.storageClassName);
      storage = { type: 'badger', directory: DATA_DIR, ttl: storageProps.ttl ?? JAEGER_STORAGE_DEFAULTS.ttl };
    } else {
      throw new ChartPropsError(
        'storage.type',
        `"${(storageProps as { type: string }).type}" is unknown`,
        'Use "memory" or "badger"',
      );
    }
    try {
      this.config = jaegerConfig({ storage });
    } catch (error) {
      // Surface the config generator's message as a prop error (e.g. a malformed ttl).
      throw new ChartPropsError('storage', (error as Error).message, 'Fix the storage props');
    }
    const name = JAEGER_SERVICE;
    const labels = standardLabels({
      name: 'jaeger',
      instance: name,
      component: 'all-in-one',
      version: imageTag(image),
    });
    const selector = selectorLabels({ name: 'jaeger', instance: name });

    if (props.createNamespace ?? true) systemNamespace(this, namespace);

    const configText = stringify(this.config);
    new ApiObject(this, 'config', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${name}-config`, namespace, labels },
      data: { [CONFIG_KEY]: configText },
    });
    if (storageProps.type === 'badger') {
      new ApiObject(this, 'data', {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: `${name}-data`, namespace, labels },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: storageProps.size ?? JAEGER_STORAGE_DEFAULTS.size } },
          ...(storageProps.storageClassName ? { storageClassName: storageProps.storageClassName } : {}),
        },
      });
    }
    new ApiObject(this, 'service', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace, labels },
      spec: {
        selector,
        ports: [
          {
            name: 'query',
            port: JAEGER_PORTS.query,
            targetPort: 'query',
            protocol: 'TCP',
            appProtocol: 'http',
          },
          {
            name: 'otlp-grpc',
            port: JAEGER_PORTS.otlpGrpc,
            targetPort: 'otlp-grpc',
            protocol: 'TCP',
            appProtocol: 'grpc',
          },
          {
            name: 'otlp-http',
            port: JAEGER_PORTS.otlpHttp,
            targetPort: 'otlp-http',
            protocol: 'TCP',
            appProtocol: 'http',
          },
        ],
      },
    });

    const probe = { httpGet: { path: '/status', port: 'health' }, periodSeconds: 10, timeoutSeconds: 2 };
    const podSpec: V1PodSpec = {
      securityContext: restrictedPodSecurityContext(JAEGER_UID),
      containers: [
        {
          name: 'jaeger',
          image,
          args: [`--config=file:${CONFIG_DIR}/${CONFIG_KEY}`],
          ports: [
            { name: 'query', containerPort: JAEGER_PORTS.query, protocol: 'TCP' },
            { name: 'query-grpc', containerPort: JAEGER_PORTS.queryGrpc, protocol: 'TCP' },
            { name: 'otlp-grpc', containerPort: JAEGER_PORTS.otlpGrpc, protocol: 'TCP' },
            { name: 'otlp-http', containerPort: JAEGER_PORTS.otlpHttp, protocol: 'TCP' },
            { name: 'health', containerPort: JAEGER_PORTS.health, protocol: 'TCP' },
          ],
          livenessProbe: { ...probe, failureThreshold: 3 },
          readinessProbe: { ...probe, failureThreshold: 2 },
          resources,
          securityContext: restrictedContainerSecurityContext(),
          volumeMounts: [
            { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
            ...(storageProps.type === 'badger' ? [{ name: 'data', mountPath: DATA_DIR }] : []),
          ],
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: `${name}-config` } },
        ...(storageProps.type === 'badger'
          ? [{ name: 'data', persistentVolumeClaim: { claimName: `${name}-data` } }]
          : []),
      ],
    };
    new ApiObject(this, 'deployment', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, labels },
      spec: {
        replicas: 1,
        // One store: in-memory traces are per pod, and a badger volume is ReadWriteOnce.
        strategy: { type: 'Recreate' },
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
