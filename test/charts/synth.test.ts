import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { RUNTIME_DASHBOARD_FILE, runtimeDashboard } from '../../charts/dashboards/runtime-dashboard.js';
import { IMAGES, resolveImages } from '../../charts/images.js';
import { INSTALL_CHARTS } from '../../charts/install.js';
import { synthInstall } from '../../charts/main.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubellama-synth-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('synth', () => {
  it('writes one applyable YAML file per chart, each starting with its namespace', () => {
    const out = tempDir();
    const result = synthInstall(out);
    expect(result.manifests.map((f) => basename(f, '.yaml')).sort()).toEqual([...INSTALL_CHARTS].sort());
    const images = new Set<string>();
    for (const file of result.manifests) {
      const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
      expect(docs[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'kubellama-system' } });
      for (const doc of docs) {
        expect(doc.apiVersion, `${file}: ${doc.kind}`).toBeTruthy();
        expect(doc.metadata.name, `${file}: ${doc.kind}`).toBeTruthy();
        for (const c of doc.spec?.template?.spec?.containers ?? []) images.add(c.image);
      }
    }
    // Every image comes from the one pinned list.
    expect([...images].sort()).toEqual([IMAGES.collector, IMAGES.jaeger, IMAGES.operator].sort());
    expect(JSON.parse(readFileSync(result.dashboard, 'utf8'))).toEqual(runtimeDashboard());
  });

  it('runs as the `npm run synth` entry point', () => {
    const out = tempDir();
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'charts/main.ts', out], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(readdirSync(join(out, 'manifests')).sort()).toEqual(
      [...INSTALL_CHARTS.map((c) => `${c}.yaml`), 'optional'].sort(),
    );
    // The monitors are not part of the install: they need the Prometheus Operator's CRDs.
    expect(readdirSync(join(out, 'manifests', 'optional'))).toEqual(['monitoring.yaml']);
    expect(readdirSync(join(out, 'dashboards'))).toEqual([RUNTIME_DASHBOARD_FILE]);
    expect(readdirSync(join(out, 'helm', 'kubellama')).sort()).toEqual([
      'Chart.yaml',
      'crds',
      'templates',
      'values.schema.json',
      'values.yaml',
    ]);
  });

  it('moves images with --registry and --image, naming valid keys when one is wrong', () => {
    const out = tempDir();
    const synth = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'charts/main.ts', ...args], { encoding: 'utf8' });
    const run = synth(
      '--registry',
      'localhost:5000/kl',
      '--image',
      'jaeger=registry.local/jaeger:2.13.0',
      out,
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const expected = resolveImages('localhost:5000/kl', { jaeger: 'registry.local/jaeger:2.13.0' });
    const text = (file: string) => readFileSync(join(out, 'manifests', file), 'utf8');
    expect(text('operator.yaml')).toContain(`image: ${expected.operator}\n`);
    expect(text('operator.yaml')).toContain(`value: ${expected.runtime}\n`);
    expect(text('operator.yaml')).toContain(`value: ${expected.runtimeCuda}\n`);
    expect(text('jaeger.yaml')).toContain('image: registry.local/jaeger:2.13.0\n');
    expect(text('otel-collector.yaml')).toContain(`image: ${IMAGES.collector}\n`);
    const values = parseAllDocuments(
      readFileSync(join(out, 'helm', 'kubellama', 'values.yaml'), 'utf8'),
    )[0]?.toJS();
    expect(values.images).toEqual(expected);

    const badKey = synth('--image', 'otelcol=registry.local/otelcol:1.0.0', tempDir());
    expect(badKey.status).toBe(2);
    expect(badKey.stderr).toContain('runtime, runtimeCuda, operator, collector, jaeger');
    const badRegistry = synth('--registry', 'https://registry.local', tempDir());
    expect(badRegistry.status).toBe(2);
    expect(badRegistry.stderr).toMatch(/--registry.*not a registry/);
  });
});
