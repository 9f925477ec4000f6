// The whole install as one cdk8s App: the operator, the collector, Jaeger and the dashboard, each
// its own chart (and file), sharing one namespace.
import { App } from 'cdk8s';
import { CollectorChart, type CollectorChartProps } from './collector.js';
import { DashboardChart } from './dashboard.js';
import { IMAGES, type ImageKey, SYSTEM_NAMESPACE } from './images.js';
import { JaegerChart, type JaegerChartProps } from './jaeger.js';
import { OperatorChart, type OperatorChartProps } from './operator.js';

export interface InstallProps {
  /** @default SYSTEM_NAMESPACE */
  readonly namespace?: string;
  /**
   * Every image of the install, by key (`resolveImages(registry, overrides)`); an image set in a
   * chart's own props below wins. @default IMAGES
   */
  readonly images?: Readonly<Record<ImageKey, string>>;
  readonly operator?: Omit<OperatorChartProps, 'namespace'>;
  readonly collector?: Omit<CollectorChartProps, 'namespace'>;
  readonly jaeger?: Omit<JaegerChartProps, 'namespace'>;
}

/** Chart ids double as file names: `dist/manifests/<id>.yaml`. */
export const INSTALL_CHARTS = ['operator', 'otel-collector', 'jaeger', 'dashboards'] as const;

export function installApp(props: InstallProps = {}): App {
  const app = new App();
  const namespace = props.namespace ?? SYSTEM_NAMESPACE;
  const images = props.images ?? IMAGES;
  new OperatorChart(app, 'operator', {
    ...props.operator,
    image: props.operator?.image ?? images.operator,
    runtimeImage: props.operator?.runtimeImage ?? images.runtime,
    runtimeCudaImage: props.operator?.runtimeCudaImage ?? images.runtimeCuda,
    namespace,
  });
  new CollectorChart(app, 'otel-collector', {
    ...props.collector,
    image: props.collector?.image ?? images.collector,
    namespace,
  });
  new JaegerChart(app, 'jaeger', { ...props.jaeger, image: props.jaeger?.image ?? images.jaeger, namespace });
  new DashboardChart(app, 'dashboards', { namespace });
  return app;
}
