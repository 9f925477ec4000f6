// A Helm chart of the same objects `npm run synth` writes: one template per install chart (each
// switchable in values), images as values (plus `imageRegistry`, which moves kubellama's own
// images), the CRD in the chart's crds/ folder (Helm installs it first), and the shared Namespace
// once. No other templating: the cdk8s props stay the one place where the install is shaped.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, Yaml } from 'cdk8s';
import { stringify } from 'yaml';
import { IMAGES, type ImageKey, KUBELLAMA_VERSION, OWN_IMAGES, type OwnImageKey } from './images.js';

export const HELM_CHART_NAME = 'kubellama';

/** values.yaml keys of the chart switches, by cdk8s chart id. */
export const HELM_CHART_SWITCHES: Readonly<Record<string, string>> = {
  operator: 'operator',
  'otel-collector': 'otelCollector',
  jaeger: 'jaeger',
  dashboards: 'dashboards',
  monitoring: 'monitoring',
};

/** Charts a default install leaves out: the monitors need the Prometheus Operator's CRDs. */
const HELM_CHARTS_OFF_BY_DEFAULT: ReadonlySet<string> = new Set(['monitoring']);

/** The named template that renders one of kubellama's own images, honouring `imageRegistry`. */
const OWN_IMAGE_TEMPLATE = 'kubellama.ownImage';

// An own image moves to `imageRegistry` only while its images.* value is still the chart's default,
// so an image set explicitly wins over the registry, as in resolveImages().
const HELPERS = `{{/* <imageRegistry>/<repository>:<tag> when imageRegistry is set and images.<key> is unchanged */}}
{{- define "${OWN_IMAGE_TEMPLATE}" -}}
{{- $ref := index .root.Values.images .key -}}
{{- if and .root.Values.imageRegistry (eq $ref .default) -}}
{{- printf "%s/%s" (trimSuffix "/" .root.Values.imageRegistry) .path -}}
{{- else -}}
{{- $ref -}}
{{- end -}}
{{- end -}}
`;

/** Escapes Go-template delimiters in literal text (e.g. Grafana's `{{instance}}` legends). */
export function escapeHelm(text: string): string {
  return text.replace(/\{\{|\}\}/g, (delimiter) => `{{ "${delimiter}" }}`);
}

function isOwnImage(key: ImageKey): key is OwnImageKey {
  return key in OWN_IMAGES;
}

/** The template expression that renders image `key` (default `image`). */
function imageExpression(key: ImageKey, image: string): string {
  if (!isOwnImage(key)) return `{{ .Values.images.${key} }}`;
  const { repository, tag } = OWN_IMAGES[key];
  return `{{ include "${OWN_IMAGE_TEMPLATE}" (dict "root" $ "key" "${key}" "default" "${image}" "path" "${repository}:${tag}") }}`;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replaces each image, where it is a whole YAML value (`image: REF`, `value: REF`), with its
 * template expression. Whole values only: the runtime image is a prefix of the CUDA one.
 */
function templateImages(text: string, images: Readonly<Record<ImageKey, string>>): string {
  let out = text;
  for (const [key, image] of Object.entries(images) as [ImageKey, string][]) {
    const pattern = new RegExp(`^(\\s*(?:- )?[A-Za-z]+: )${escapeRegExp(image)}$`, 'gm');
    out = out.replace(pattern, (_match, prefix: string) => `${prefix}${imageExpression(key, image)}`);
  }
  return out;
}

interface K8sObject {
  readonly kind: string;
  readonly metadata: { readonly name: string };
}

/**
 * Writes `<outDir>/<HELM_CHART_NAME>/` from the install App, whose images are `images` (the
 * default values of `images.*`); returns the chart folder.
 */
export function writeHelmChart(
  outDir: string,
  app: App,
  images: Readonly<Record<ImageKey, string>> = IMAGES,
  /** Charts that are not part of the install App (charts/monitoring.ts), switched off by default. */
  optional?: App,
): string {
  const chartDir = join(outDir, HELM_CHART_NAME);
  rmSync(chartDir, { recursive: true, force: true });
  mkdirSync(join(chartDir, 'templates'), { recursive: true });
  mkdirSync(join(chartDir, 'crds'), { recursive: true });

  let namespace: K8sObject | undefined;
  const values: Record<string, unknown> = {
    namespace: { create: true },
    imageRegistry: '',
    images: { ...images },
  };
  for (const chart of [...app.charts, ...(optional?.charts ?? [])]) {
    const key = HELM_CHART_SWITCHES[chart.node.id];
    if (!key) throw new Error(`no Helm values key for chart ${chart.node.id}: add it to HELM_CHART_SWITCHES`);
    values[key] = { enabled: !HELM_CHARTS_OFF_BY_DEFAULT.has(chart.node.id) };
    const objects = chart.toJson() as K8sObject[];
    namespace ??= objects.find((o) => o.kind === 'Namespace');
    const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
    for (const crd of crds)
      writeFileSync(join(chartDir, 'crds', `${crd.metadata.name}.yaml`), Yaml.stringify(crd));
    const rest = objects.filter((o) => o.kind !== 'Namespace' && o.kind !== 'CustomResourceDefinition');
    const body = templateImages(escapeHelm(Yaml.stringify(...rest)), images);
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
  writeFileSync(join(chartDir, 'templates', '_helpers.tpl'), HELPERS);
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
