// `npm run synth -- [--registry R] [--image KEY=REF ...] [OUT_DIR]`: writes
// OUT_DIR/manifests/<chart>.yaml (one file per chart, each applyable on its own with
// `kubectl apply -f`), OUT_DIR/dashboards/kubellama-runtime.json for importing into Grafana, and
// OUT_DIR/helm/kubellama, a Helm chart of the same objects. OUT_DIR defaults to dist.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Yaml } from 'cdk8s';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { RUNTIME_DASHBOARD_FILE, runtimeDashboard } from './dashboards/runtime-dashboard.js';
import { writeHelmChart } from './helm-chart.js';
import { IMAGES, type ImageKey, resolveImages } from './images.js';
import { type InstallProps, installApp } from './install.js';
import { monitoringApp } from './monitoring.js';
import { checkImage, checkRegistry } from './validate.js';

export interface SynthResult {
  /** The install, one file per chart, in apply order. */
  readonly manifests: string[];
  /** Not part of the install: `optional/monitoring.yaml` (needs the Prometheus Operator's CRDs). */
  readonly optional: string[];
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
  const optionalDir = join(manifestDir, 'optional');
  mkdirSync(optionalDir, { recursive: true });
  const monitoring = monitoringApp({ namespace: props.namespace });
  const optional = monitoring.charts.map((chart) => {
    const file = join(optionalDir, `${chart.node.id}.yaml`);
    writeFileSync(file, Yaml.stringify(...chart.toJson()));
    return file;
  });
  const dashboard = join(dashboardDir, RUNTIME_DASHBOARD_FILE);
  writeFileSync(dashboard, `${JSON.stringify(runtimeDashboard(), null, 2)}\n`);
  const helmChart = writeHelmChart(join(outDir, 'helm'), props.images ?? IMAGES);
  return { manifests, optional, dashboard, helmChart };
}

const IMAGE_KEYS = Object.keys(IMAGES) as ImageKey[];

/** `KEY=REF` of `--image`, added to the overrides seen so far. */
function imageOverride(
  value: string,
  previous: Partial<Record<ImageKey, string>>,
): Partial<Record<ImageKey, string>> {
  const equals = value.indexOf('=');
  const key = value.slice(0, Math.max(equals, 0));
  if (!IMAGE_KEYS.includes(key as ImageKey)) {
    const problem = equals < 0 ? `"${value}" is not KEY=REF` : `unknown image key "${key}"`;
    throw new InvalidArgumentError(`${problem}; KEY is one of ${IMAGE_KEYS.join(', ')}`);
  }
  return { ...previous, [key]: asArgument(() => checkImage(`--image ${key}`, value.slice(equals + 1))) };
}

/** Turns a ChartPropsError into commander's error for a bad option value. */
function asArgument<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** The synth CLI: parses argv (without node and the script), writes, and answers the exit code. */
export function synthCommand(argv: readonly string[]): number {
  const program = new Command('synth')
    .description('Writes the install manifests, the Grafana dashboard and the Helm chart.')
    .argument('[outDir]', 'output folder', 'dist')
    .option(
      '--registry <registry>',
      "registry of kubellama's own images (runtime, runtimeCuda, operator), e.g. localhost:5000/kubellama",
      (value: string) => asArgument(() => checkRegistry('--registry', value)),
    )
    .option(
      '--image <KEY=REF>',
      `one image, by key (${IMAGE_KEYS.join(', ')}); repeatable, wins over --registry`,
      imageOverride,
      {},
    )
    .exitOverride();
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    // Commander already printed the message (or the help).
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const options = program.opts<{ registry?: string; image: Partial<Record<ImageKey, string>> }>();
  const outDir = resolve(program.processedArgs[0] as string);
  const result = synthInstall(outDir, { images: resolveImages(options.registry, options.image) });
  for (const file of [...result.manifests, ...result.optional, result.dashboard, result.helmChart])
    console.log(`wrote ${file}`);
  return 0;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  process.exitCode = synthCommand(process.argv.slice(2));
}
