// The runtime's Grafana dashboard as a ConfigMap that Grafana's dashboard sidecar (the
// kube-prometheus-stack convention: label grafana_dashboard=1) picks up from any namespace.
import { ApiObject, Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { RUNTIME_DASHBOARD_FILE, runtimeDashboard } from './dashboards/runtime-dashboard.js';
import { SYSTEM_NAMESPACE } from './images.js';
import { standardLabels } from './labels.js';
import { systemNamespace } from './system-namespace.js';
import { checkDnsLabel } from './validate.js';

export interface DashboardChartProps extends ChartProps {
  /** @default SYSTEM_NAMESPACE */
  readonly namespace?: string;
  /** Also emit the Namespace object. @default true */
  readonly createNamespace?: boolean;
  /** The label Grafana's sidecar watches for. @default { grafana_dashboard: '1' } */
  readonly sidecarLabel?: Readonly<Record<string, string>>;
}

export class DashboardChart extends Chart {
  constructor(scope: Construct, id: string, props: DashboardChartProps = {}) {
    super(scope, id, { ...props, namespace: undefined });
    const namespace = checkDnsLabel('namespace', props.namespace ?? SYSTEM_NAMESPACE);
    if (props.createNamespace ?? true) systemNamespace(this, namespace);
    new ApiObject(this, 'runtime-dashboard', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'kubellama-runtime-dashboard',
        namespace,
        labels: {
          ...standardLabels({ name: 'kubellama-dashboards', instance: 'runtime', component: 'dashboard' }),
          ...(props.sidecarLabel ?? { grafana_dashboard: '1' }),
        },
      },
      data: { [RUNTIME_DASHBOARD_FILE]: JSON.stringify(runtimeDashboard(), null, 2) },
    });
  }
}
