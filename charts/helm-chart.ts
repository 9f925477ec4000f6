// A Helm chart of the same objects `npm run synth` writes: one template per install chart (each
// switchable in values), images as values, the CRD in the chart's crds/ folder (Helm installs it
// first), and the shared Namespace once. No other templating: the cdk8s props stay the one place
// where the install is shaped.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, Yaml } from 'cdk8s';
import { stringify } from 'yaml';
import { IMAGES, KUBELLAMA_VERSION } from './images.js';

export const HELM_CHART_NAME = 'kubellama';

/** values.yaml keys of the chart switches, by cdk8s chart id. */
export const HELM_CHART_SWITCHES: Readonly<Record<string, string>> = {
  operator: 'operator',
  'otel-collector': 'otelCollector',
  jaeger: 'jaeger',
  dashboards: 'dashboards',
};

type ImageKey = keyof typeof IMAGES;

/** Escapes Go-template delimiters in literal text (e.g. Grafana's `{{instance}}` legends). */
export function escapeHelm(text: string): string {
  return text.replace(/\{\{|\}\}/g, (delimiter) => `{{ "${delimiter}" }}`);
}

/** Replaces each pinned image with its value reference: `image: {{ .Values.images.jaeger }}`. */
function templateImages(text: string): string {
  let out = text;
  for (const [key, image] of Object.entries(IMAGES) as [ImageKey, string][]) {
    out = out.split(image).join(`{{ .Values.images.${key} }}`);
  }
  return out;
}

interface K8sObject {
  readonly kind: string;
  readonly metadata: { readonly name: string };
}

/** Writes `<outDir>/<HELM_CHART_NAME>/` from the install App; returns the chart folder. */
export function writeHelmChart(outDir: string, app: App): string {
  const chartDir = join(outDir, HELM_CHART_NAME);
  rmSync(chartDir, { recursive: true, force: true });
  mkdirSync(join(chartDir, 'templates'), { recursive: true });
  mkdirSync(join(chartDir, 'crds'), { recursive: true });

  let namespace: K8sObject | undefined;
  const values: Record<string, unknown> = { namespace: { create: true }, images: { ...IMAGES } };
  for (const chart of app.charts) {
    const key = HELM_CHART_SWITCHES[chart.node.id];
    if (!key) throw new Error(`no Helm values key for chart ${chart.node.id}: add it to HELM_CHART_SWITCHES`);
    values[key] = { enabled: true };
    const objects = chart.toJson() as K8sObject[];
    namespace ??= objects.find((o) => o.kind === 'Namespace');
    const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
    for (const crd of crds)
      writeFileSync(join(chartDir, 'crds', `${crd.metadata.name}.yaml`), Yaml.stringify(crd));
    const rest = objects.filter((o) => o.kind !== 'Namespace' && o.kind !== 'CustomResourceDefinition');
    const body = templateImages(escapeHelm(Yaml.stringify(...rest)));
    writeFileSync(
      join(chartDir, 'templates', `${chart.node.id}.yaml`),
      `{{- if .Values.${key}.enabled }}\n${body}{{- end }}\n`,
    );
  }
  if (namespace) {
    writeFileSync(
      join(chartDir, 'templates', 'namespace.yaml'),
      `{{- if .Values.namespace.create }}\n${escapeHelm(Yaml.stringify(namespace))}{{- end }}\n`,
    );
  }
  writeFileSync(
    join(chartDir, 'Chart.yaml'),
    stringify({
      apiVersion: 'v2',
      name: HELM_CHART_NAME,
      description:
        'kubellama: the LlamaModel operator, a cluster-wide OpenTelemetry Collector, Jaeger and a Grafana dashboard',
      type: 'application',
      version: KUBELLAMA_VERSION,
      appVersion: KUBELLAMA_VERSION,
    }),
  );
  writeFileSync(join(chartDir, 'values.yaml'), stringify(values));
  return chartDir;
}
