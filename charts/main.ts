// `npm run synth`: writes dist/manifests/<chart>.yaml (one file per chart, each applyable on its own
// with `kubectl apply -f`), dist/dashboards/kubellama-runtime.json for importing into Grafana, and
// dist/helm/kubellama, a Helm chart of the same objects.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Yaml } from 'cdk8s';
import { RUNTIME_DASHBOARD_FILE, runtimeDashboard } from './dashboards/runtime-dashboard.js';
import { writeHelmChart } from './helm-chart.js';
import { type InstallProps, installApp } from './install.js';

export interface SynthResult {
  readonly manifests: string[];
  readonly dashboard: string;
  readonly helmChart: string;
}

/** Writes the charts to `<outDir>/manifests`, the dashboard to `<outDir>/dashboards`, the Helm chart to `<outDir>/helm`. */
export function synthInstall(outDir: string, props: InstallProps = {}): SynthResult {
  const app = installApp(props);
  const manifestDir = join(outDir, 'manifests');
  const dashboardDir = join(outDir, 'dashboards');
  mkdirSync(manifestDir, { recursive: true });
  mkdirSync(dashboardDir, { recursive: true });
  const manifests = app.charts.map((chart) => {
    const file = join(manifestDir, `${chart.node.id}.yaml`);
    writeFileSync(file, Yaml.stringify(...chart.toJson()));
    return file;
  });
  const dashboard = join(dashboardDir, RUNTIME_DASHBOARD_FILE);
  writeFileSync(dashboard, `${JSON.stringify(runtimeDashboard(), null, 2)}\n`);
  const helmChart = writeHelmChart(join(outDir, 'helm'), app);
  return { manifests, dashboard, helmChart };
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  const outDir = resolve(process.argv[2] ?? 'dist');
  const result = synthInstall(outDir);
  for (const file of [...result.manifests, result.dashboard, result.helmChart]) console.log(`wrote ${file}`);
}
