// Prometheus Operator monitors (monitoring.coreos.com/v1), so a kube-prometheus-stack Prometheus
// scrapes what the shipped Grafana dashboard queries without further setup: a PodMonitor for every
// model's runtime pods, in any namespace, and a ServiceMonitor for the collector gateway's
// prometheus exporter (the spanmetrics series). Optional and separate from the install: these kinds
// exist only where the Prometheus Operator's CRDs are installed (`npm run synth` writes
// dist/manifests/optional/monitoring.yaml; the Helm chart's `monitoring.enabled`, off by default).
import { ApiObject, App, Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { COLLECTOR_APP, COLLECTOR_PROMETHEUS_PORT_NAME } from './collector.js';
import { COLLECTOR_SERVICE, SYSTEM_NAMESPACE } from './images.js';
import { selectorLabels, standardLabels } from './labels.js';
import { RUNTIME_PATHS } from './runtime-contract.js';
import { checkDnsLabel } from './validate.js';
import { LABEL_KEYS, LLAMA_MODEL_APP, WORKLOAD_PORT_NAME } from './workload-contract.js';

export const MONITORING_API_VERSION = 'monitoring.coreos.com/v1';

export interface MonitoringChartProps extends ChartProps {
  /** Where the monitors live (the collector's namespace). @default SYSTEM_NAMESPACE */
  readonly namespace?: string;
  /**
   * Labels the Prometheus selects monitors by; kube-prometheus-stack's default Prometheus selects
   * `release: <its Helm release>`. @default { release: 'kube-prometheus-stack' }
   */
  readonly selectorLabels?: Readonly<Record<string, string>>;
  /** @default '30s' */
  readonly interval?: string;
}

export class MonitoringChart extends Chart {
  constructor(scope: Construct, id: string, props: MonitoringChartProps = {}) {
    super(scope, id, { ...props, namespace: undefined });
    const namespace = checkDnsLabel('namespace', props.namespace ?? SYSTEM_NAMESPACE);
    const interval = props.interval ?? '30s';
    const labels = {
      ...standardLabels({ name: 'kubellama-monitoring', instance: 'kubellama', component: 'monitoring' }),
      ...(props.selectorLabels ?? { release: 'kube-prometheus-stack' }),
    };
    new ApiObject(this, 'models', {
      apiVersion: MONITORING_API_VERSION,
      kind: 'PodMonitor',
      metadata: { name: 'kubellama-models', namespace, labels },
      spec: {
        // Models live in their users' namespaces.
        namespaceSelector: { any: true },
        selector: { matchLabels: { [LABEL_KEYS.name]: LLAMA_MODEL_APP } },
        podMetricsEndpoints: [{ port: WORKLOAD_PORT_NAME, path: RUNTIME_PATHS.metrics, interval }],
      },
    });
    new ApiObject(this, 'collector', {
      apiVersion: MONITORING_API_VERSION,
      kind: 'ServiceMonitor',
      metadata: { name: COLLECTOR_SERVICE, namespace, labels },
      spec: {
        namespaceSelector: { matchNames: [namespace] },
        selector: { matchLabels: selectorLabels({ name: COLLECTOR_APP, instance: COLLECTOR_SERVICE }) },
        // The exporter serves the default path, /metrics.
        endpoints: [{ port: COLLECTOR_PROMETHEUS_PORT_NAME, interval }],
      },
    });
  }
}

/** The monitors as their own App (one chart, id `monitoring`). */
export function monitoringApp(props: MonitoringChartProps = {}): App {
  const app = new App();
  new MonitoringChart(app, 'monitoring', props);
  return app;
}
