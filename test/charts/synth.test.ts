import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { RUNTIME_DASHBOARD_FILE, runtimeDashboard } from '../../charts/dashboards/runtime-dashboard.js';
import { IMAGES } from '../../charts/images.js';
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
    expect(readdirSync(join(out, 'manifests')).sort()).toEqual(INSTALL_CHARTS.map((c) => `${c}.yaml`).sort());
    expect(readdirSync(join(out, 'dashboards'))).toEqual([RUNTIME_DASHBOARD_FILE]);
    expect(readdirSync(join(out, 'helm', 'kubellama')).sort()).toEqual([
      'Chart.yaml',
      'crds',
      'templates',
      'values.yaml',
    ]);
  });
});
