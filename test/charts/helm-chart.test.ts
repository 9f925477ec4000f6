// The Helm chart that `npm run synth` writes renders, with the real `helm` binary (built by
// `npm run tools`), exactly the objects of the cdk8s charts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { escapeHelm, HELM_CHART_SWITCHES, writeHelmChart } from '../../charts/helm-chart.js';
import { IMAGES, resolveImages } from '../../charts/images.js';
import { installApp } from '../../charts/install.js';
import { monitoringApp } from '../../charts/monitoring.js';
import { binaryPath } from '../tools/catalog.js';
import type { Manifest } from './helpers/manifest.js';

const HELM = binaryPath('helm');

const outDir = mkdtempSync(join(tmpdir(), 'kubellama-helm-'));
const app = installApp();
const chartDir = writeHelmChart(outDir, app, IMAGES, monitoringApp());
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

function helm(...args: string[]): string {
  const run = spawnSync(HELM, args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${run.stdout}${run.stderr}`);
  return run.stdout;
}

const key = (o: Manifest) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function byKey(objects: Manifest[]): Map<string, Manifest> {
  return new Map(objects.map((o) => [key(o), o]));
}

function synthesized(from = app): Manifest[] {
  return from.charts.flatMap((chart) => chart.toJson() as Manifest[]);
}

function template(...args: string[]): Manifest[] {
  return parseAllDocuments(helm('template', 'kubellama', chartDir, ...args))
    .map((d) => d.toJS() as Manifest)
    .filter(Boolean);
}

describe('Helm chart', () => {
  it('escapes template delimiters in literal text', () => {
    expect(escapeHelm('legend {{instance}} }}')).toBe('legend {{ "{{" }}instance{{ "}}" }} {{ "}}" }}');
    expect(readFileSync(join(chartDir, 'templates', 'dashboards.yaml'), 'utf8')).toContain(
      '{{ "{{" }}instance{{ "}}" }}',
    );
  });

  it('has a values switch per chart and every image as a value', () => {
    const values = parseAllDocuments(readFileSync(join(chartDir, 'values.yaml'), 'utf8'))[0]?.toJS();
    expect(values.images).toEqual(IMAGES);
    expect(values.imageRegistry).toBe('');
    for (const chart of app.charts)
      expect(values[HELM_CHART_SWITCHES[chart.node.id] ?? '']).toEqual({ enabled: true });
  });

  it('leaves the Prometheus Operator monitors out unless monitoring.enabled', () => {
    const values = parseAllDocuments(readFileSync(join(chartDir, 'values.yaml'), 'utf8'))[0]?.toJS();
    expect(values.monitoring).toEqual({ enabled: false });
    const kinds = (objects: Manifest[]) => objects.map((o) => o.kind);
    expect(kinds(template())).not.toContain('PodMonitor');
    const on = template('--set', 'monitoring.enabled=true');
    expect(byKey(on.filter((o) => o.kind === 'PodMonitor' || o.kind === 'ServiceMonitor'))).toEqual(
      byKey(synthesized(monitoringApp())),
    );
  });

  it('passes `helm lint`', () => {
    expect(helm('lint', chartDir)).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('renders exactly the synthesized objects (the Namespace once, the CRD from crds/)', () => {
    const rendered = parseAllDocuments(helm('template', 'kubellama', chartDir, '--include-crds'))
      .map((d) => d.toJS() as Manifest)
      .filter(Boolean);
    const expected = byKey(synthesized());
    expect(rendered).toHaveLength(expected.size);
    expect(byKey(rendered)).toEqual(expected);
  });

  it('turns charts off and swaps images through values', () => {
    const rendered = template(
      '--set',
      'jaeger.enabled=false',
      '--set',
      'images.collector=registry.local/otelcol:1.0.0',
    );
    expect(rendered.some((o) => o.metadata.name === 'jaeger')).toBe(false);
    const gateway = rendered.find((o) => o.kind === 'Deployment' && o.metadata.name === 'otel-collector');
    expect(gateway?.spec.template.spec.containers[0].image).toBe('registry.local/otelcol:1.0.0');
  });

  it("moves only kubellama's own images with imageRegistry, exactly as synth --registry does", () => {
    const registry = 'registry.local:5000/team';
    const rendered = template('--include-crds', '--set', `imageRegistry=${registry}/`);
    const expected = byKey(synthesized(installApp({ images: resolveImages(registry) })));
    expect(byKey(rendered)).toEqual(expected);
    const operator = rendered.find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'kubellama-operator',
    );
    const container = operator?.spec.template.spec.containers[0];
    expect(container.image).toBe(`${registry}/operator:${IMAGES.operator.split(':').pop()}`);
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    );
    expect(env.KUBELLAMA_RUNTIME_IMAGE).toMatch(new RegExp(`^${registry}/runtime:[^-]+$`));
    expect(env.KUBELLAMA_RUNTIME_CUDA_IMAGE).toMatch(new RegExp(`^${registry}/runtime:.+-cuda$`));
    const gateway = rendered.find((o) => o.kind === 'Deployment' && o.metadata.name === 'otel-collector');
    expect(gateway?.spec.template.spec.containers[0].image).toBe(IMAGES.collector);
  });

  it('lets an image set explicitly win over imageRegistry', () => {
    const rendered = template(
      '--set',
      'imageRegistry=registry.local/team',
      '--set',
      'images.operator=other.local/operator:9.9.9',
    );
    const operator = rendered.find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'kubellama-operator',
    );
    const container = operator?.spec.template.spec.containers[0];
    expect(container.image).toBe('other.local/operator:9.9.9');
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    );
    expect(env.KUBELLAMA_RUNTIME_IMAGE).toBe(resolveImages('registry.local/team').runtime);
  });
});
