// A Helm chart of the objects `npm run synth` writes, following Helm's conventions: one template per
// install chart (each switchable), the release namespace everywhere the cdk8s output names the
// system namespace, the usual values at known object paths (helm-values.ts), the collector's mode
// and Jaeger's storage as cdk8s-rendered alternatives, NOTES.txt, a `helm test` hook,
// values.schema.json, and the CRD in crds/ (Helm installs it first). The cdk8s charts stay the one
// description of every object: the chart is rendered from them with sentinel props (a sentinel
// namespace, sentinel numbers) that become template actions.
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { type App, Yaml } from 'cdk8s';
import { Document, isMap, type Scalar, stringify } from 'yaml';
import packageJson from '../package.json' with { type: 'json' };
import { helmNotes } from './helm-notes.js';
import { HelmTemplater } from './helm-templater.js';
import { checkInstallPod } from './helm-test-hook.js';
import {
  collectorDaemonSetValues,
  collectorGatewayValues,
  type HelmObject,
  jaegerBadgerVolumeValues,
  jaegerValues,
  operatorValues,
} from './helm-values.js';
import { HELM_VALUES_SCHEMA } from './helm-values-schema.js';
import { IMAGES, type ImageKey, KUBELLAMA_VERSION, OWN_IMAGES, type OwnImageKey } from './images.js';
import { installApp } from './install.js';
import { JAEGER_STORAGE_DEFAULTS } from './jaeger.js';
import { monitoringApp } from './monitoring.js';
import { CONFIG_CHECKSUM_ANNOTATION } from './workload-defaults.js';

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

/** The oldest Kubernetes the chart installs on: the CRD's CEL rules (x-kubernetes-validations) are GA from 1.29. */
export const HELM_KUBE_VERSION = '>=1.29.0-0';

// Sentinel props: valid for the cdk8s checks, unlikely anywhere else, replaced by template actions.
const NAMESPACE = 'helm-release-namespace-x';
const MAX_TRACES = 987_654_321;
const TTL = '987654h';

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

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** One way of rendering a template's objects and the values it templates. */
interface Body {
  readonly objects: HelmObject[];
  /** The define names' prefix, unique in the chart. */
  readonly id: string;
  readonly values?: (t: HelmTemplater, objects: HelmObject[]) => Record<string, unknown>;
  /** Sentinels this alternative's props put in (each exactly once), and their template expressions. */
  readonly literals?: readonly [string, string][];
}

interface RenderedBody {
  readonly text: string;
  readonly defines: string;
  readonly values: Record<string, unknown>;
}

/**
 * A mounted config (ConfigMap data whose sha256 is a pod's config-checksum annotation) becomes a
 * named template: the ConfigMap includes it and the annotation is its `sha256sum`, so a value
 * templated inside the config still rolls the pods, and the defaults give cdk8s's exact checksum.
 */
function templateConfigs(t: HelmTemplater, objects: HelmObject[], id: string): string[] {
  const templates = objects
    .map((o) => (o.spec as { template?: V1PodTemplateSpec } | undefined)?.template)
    .filter((template): template is V1PodTemplateSpec => template !== undefined);
  const defines: string[] = [];
  for (const configMap of objects.filter((o) => o.kind === 'ConfigMap')) {
    const data = configMap.data as Record<string, string>;
    for (const [key, text] of Object.entries(data)) {
      const users = templates.filter(
        (tpl) => tpl.metadata?.annotations?.[CONFIG_CHECKSUM_ANNOTATION] === sha256(text),
      );
      if (users.length === 0) continue;
      const name = `kubellama.config.${id}.${configMap.metadata.name}.${key}`;
      defines.push(`{{ define "${name}" }}${escapeHelm(text)}{{ end }}`);
      data[key] = t.line(
        (indent, head) => `${indent}${head}|\n{{ include "${name}" $ | indent ${indent.length + 2} }}`,
      );
      for (const tpl of users)
        tpl.metadata!.annotations![CONFIG_CHECKSUM_ANNOTATION] = t.value(`include "${name}" $ | sha256sum`);
    }
  }
  return defines;
}

/** The template text of `body`'s objects, but the Namespace and CRDs (written apart). */
function renderBody(body: Body, images: Readonly<Record<ImageKey, string>>): RenderedBody {
  const t = new HelmTemplater();
  t.literal(NAMESPACE, '$.Release.Namespace');
  for (const [literal, expression] of body.literals ?? []) t.literal(literal, expression, true);
  const objects = body.objects.filter((o) => o.kind !== 'Namespace' && o.kind !== 'CustomResourceDefinition');
  const values = body.values?.(t, objects) ?? {};
  const defines = templateConfigs(t, objects, body.id);
  const [text = '', ...defineTexts] = t.render(
    templateImages(escapeHelm(Yaml.stringify(...objects)), images),
    ...defines,
  );
  return { text, defines: defineTexts.join('\n'), values };
}

function objectsOf(app: App, id: string): HelmObject[] {
  const chart = app.charts.find((c) => c.node.id === id);
  if (!chart) throw new Error(`no chart ${id} in the install App`);
  return chart.toJson() as HelmObject[];
}

/** `if` / `else if` / `else` over the alternatives (the one without a condition comes last). */
function alternatives(rendered: readonly (readonly [string | undefined, RenderedBody])[]): string {
  if (rendered.length === 1) return rendered[0]![1].text;
  const branches = rendered.map(([condition, body], i) => {
    const action = condition ? `${i === 0 ? 'if' : 'else if'} ${condition}` : 'else';
    return `{{- ${action} }}\n${body.text}`;
  });
  return `${branches.join('')}{{- end }}\n`;
}

/** package.json's homepage and repository, when it declares them, become Chart.yaml's home and sources. */
function projectLinks(): { home?: string; sources?: string[] } {
  const pkg = packageJson as { homepage?: string; repository?: string | { url?: string } };
  const repository = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  return {
    ...(pkg.homepage ? { home: pkg.homepage } : {}),
    ...(repository ? { sources: [repository.replace(/^git\+/, '')] } : {}),
  };
}

/** values.yaml with each key's schema description as the comment above it (what `helm show values` shows). */
function commentedValues(values: Record<string, unknown>): string {
  const document = new Document(values);
  const comment = (node: unknown, schema: Record<string, unknown> | undefined) => {
    if (!isMap(node) || !schema) return;
    const properties = schema.properties as Record<string, Record<string, unknown>> | undefined;
    for (const pair of node.items) {
      const key = pair.key as Scalar;
      const property = properties?.[String(key.value)];
      if (typeof property?.description === 'string') key.commentBefore = ` ${property.description}`;
      comment(pair.value, property);
    }
  };
  comment(document.contents, HELM_VALUES_SCHEMA);
  return document.toString();
}

/** The template files of the install and monitoring charts, each with its alternatives. */
function templateFiles(images: Readonly<Record<ImageKey, string>>) {
  const app = installApp({ namespace: NAMESPACE, images });
  const variant = (props: Parameters<typeof installApp>[0]) =>
    installApp({ namespace: NAMESPACE, images, ...props });
  const memory = variant({ jaeger: { storage: { type: 'memory', maxTraces: MAX_TRACES } } });
  const badger = variant({ jaeger: { storage: { type: 'badger', ttl: TTL } } });
  const files: { id: string; alternatives: [string | undefined, Body][] }[] = [
    {
      id: 'operator',
      alternatives: [
        [
          undefined,
          {
            objects: objectsOf(app, 'operator'),
            id: 'operator',
            values: (t, o) => operatorValues(t, o, NAMESPACE),
          },
        ],
      ],
    },
    {
      id: 'otel-collector',
      alternatives: [
        [
          'eq .Values.otelCollector.mode "daemonset"',
          {
            objects: objectsOf(variant({ collector: { mode: 'daemonset' } }), 'otel-collector'),
            id: 'collector-daemonset',
            values: collectorDaemonSetValues,
          },
        ],
        [
          undefined,
          {
            objects: objectsOf(app, 'otel-collector'),
            id: 'collector-gateway',
            values: collectorGatewayValues,
          },
        ],
      ],
    },
    {
      id: 'jaeger',
      alternatives: [
        [
          'eq .Values.jaeger.storage.type "badger"',
          {
            objects: objectsOf(badger, 'jaeger'),
            id: 'jaeger-badger',
            values: (t, o) => ({ ...jaegerValues(t, o), badger: jaegerBadgerVolumeValues(t, o) }),
            literals: [[TTL, '$.Values.jaeger.storage.badger.ttl']],
          },
        ],
        [
          undefined,
          {
            objects: objectsOf(memory, 'jaeger'),
            id: 'jaeger-memory',
            values: jaegerValues,
            literals: [[String(MAX_TRACES), 'int64 $.Values.jaeger.storage.memory.maxTraces']],
          },
        ],
      ],
    },
    {
      id: 'dashboards',
      alternatives: [[undefined, { objects: objectsOf(app, 'dashboards'), id: 'dashboards' }]],
    },
    {
      id: 'monitoring',
      alternatives: [
        [
          undefined,
          { objects: objectsOf(monitoringApp({ namespace: NAMESPACE }), 'monitoring'), id: 'monitoring' },
        ],
      ],
    },
  ];
  return { app, files };
}

/** values.<key> of one template file: the switch, the default alternative's values, the selectors. */
function fileValues(id: string, rendered: readonly (readonly [string | undefined, RenderedBody])[]) {
  const defaults = rendered.at(-1)![1].values;
  const values: Record<string, unknown> = { enabled: !HELM_CHARTS_OFF_BY_DEFAULT.has(id), ...defaults };
  if (id === 'otel-collector') return { enabled: values.enabled, mode: 'gateway', ...defaults };
  if (id === 'jaeger') {
    const { badger } = rendered[0]![1].values as { badger: Record<string, unknown> };
    values.storage = {
      type: 'memory',
      memory: { maxTraces: JAEGER_STORAGE_DEFAULTS.maxTraces },
      badger: { ...badger, ttl: JAEGER_STORAGE_DEFAULTS.ttl },
    };
  }
  return values;
}

/**
 * Writes `<outDir>/<HELM_CHART_NAME>/` from the install charts (`installApp`) and the optional
 * monitors (`monitoringApp`), with `images` as the default values of `images.*`; returns the folder.
 */
export function writeHelmChart(outDir: string, images: Readonly<Record<ImageKey, string>> = IMAGES): string {
  const chartDir = join(outDir, HELM_CHART_NAME);
  rmSync(chartDir, { recursive: true, force: true });
  mkdirSync(join(chartDir, 'templates', 'tests'), { recursive: true });
  mkdirSync(join(chartDir, 'crds'), { recursive: true });

  const { app, files } = templateFiles(images);
  const values: Record<string, unknown> = {
    namespace: { create: false },
    imageRegistry: '',
    images: { ...images },
  };
  const defines: string[] = [];
  for (const file of files) {
    const key = HELM_CHART_SWITCHES[file.id];
    if (!key) throw new Error(`no Helm values key for chart ${file.id}: add it to HELM_CHART_SWITCHES`);
    const rendered = file.alternatives.map(
      ([condition, body]) => [condition, renderBody(body, images)] as const,
    );
    defines.push(...rendered.map(([, body]) => body.defines).filter(Boolean));
    values[key] = fileValues(file.id, rendered);
    writeFileSync(
      join(chartDir, 'templates', `${file.id}.yaml`),
      `{{- if .Values.${key}.enabled }}\n${alternatives(rendered)}{{- end }}\n`,
    );
  }

  const objects = app.charts.flatMap((chart) => chart.toJson() as HelmObject[]);
  for (const crd of objects.filter((o) => o.kind === 'CustomResourceDefinition'))
    writeFileSync(join(chartDir, 'crds', `${crd.metadata.name}.yaml`), Yaml.stringify(crd));
  const namespace = objects.find((o) => o.kind === 'Namespace');
  if (namespace) {
    const text = escapeHelm(Yaml.stringify(namespace)).split(NAMESPACE).join('{{ .Release.Namespace }}');
    writeFileSync(
      join(chartDir, 'templates', 'namespace.yaml'),
      `{{- if .Values.namespace.create }}\n${text}{{- end }}\n`,
    );
  }
  const hook = renderBody(
    { objects: [checkInstallPod(NAMESPACE, images.operator) as HelmObject], id: 'test' },
    images,
  );
  writeFileSync(
    join(chartDir, 'templates', 'tests', 'check-install.yaml'),
    `{{- if and .Values.otelCollector.enabled .Values.jaeger.enabled }}\n${hook.text}{{- end }}\n`,
  );
  writeFileSync(join(chartDir, 'templates', '_helpers.tpl'), HELPERS);
  writeFileSync(join(chartDir, 'templates', '_configs.tpl'), `${defines.join('\n')}\n`);
  const operatorDeployment = objects.find(
    (o) => o.kind === 'Deployment' && o.metadata.name.includes('operator'),
  );
  writeFileSync(
    join(chartDir, 'templates', 'NOTES.txt'),
    helmNotes(operatorDeployment?.metadata.name ?? 'kubellama-operator', escapeHelm),
  );
  writeFileSync(
    join(chartDir, 'Chart.yaml'),
    stringify({
      apiVersion: 'v2',
      name: HELM_CHART_NAME,
      description:
        'kubellama: the LlamaModel operator (GGUF models on llama.cpp), an OpenTelemetry Collector, Jaeger and a Grafana dashboard',
      type: 'application',
      version: KUBELLAMA_VERSION,
      appVersion: KUBELLAMA_VERSION,
      kubeVersion: HELM_KUBE_VERSION,
      keywords: ['llm', 'llama.cpp', 'gguf', 'inference', 'operator', 'opentelemetry', 'jaeger'],
      ...projectLinks(),
    }),
  );
  writeFileSync(join(chartDir, 'values.yaml'), commentedValues(values));
  writeFileSync(join(chartDir, 'values.schema.json'), `${JSON.stringify(HELM_VALUES_SCHEMA, null, 2)}\n`);
  return chartDir;
}
