// `npm run tools [-- NAME...]`: builds the upstream servers the harness runs (the Kubernetes control
// plane and node binaries, etcd, Jaeger, helm, the OpenTelemetry Collector, CoreDNS, containerd,
// crictl) from the Go module proxy, once per pinned version, into the cache folder that catalog.ts
// names, with the build settings catalog.ts declares for each. A cached tool is reused as it is.
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  COMPLETE_MARKER,
  goBuildFlags,
  goModTools,
  isBuilt,
  TOOLS,
  type Tool,
  toolDir,
  toolsRoot,
} from './catalog.js';

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...env },
    });
    child.on('error', (error) => reject(new Error(`cannot run ${command}: ${error.message}`)));
    child.on('exit', (code, signal) =>
      code === 0
        ? resolvePromise()
        : reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}) in ${cwd}`)),
    );
  });
}

/** Prints a heartbeat while a long step runs, so a log never sits silent for minutes. */
async function step<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  console.log(`  … ${label}`);
  const timer = setInterval(
    () => console.log(`  … ${label} (${Math.round((Date.now() - started) / 1000)} s)`),
    30_000,
  );
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

async function buildGoModuleTool(tool: Tool, outDir: string): Promise<void> {
  // Each tool's go.mod lists its commands as `tool` lines (etcd has its own main package).
  const packages = goModTools(readFileSync(join(tool.moduleDir, 'go.mod'), 'utf8'));
  if (packages.length === 0) packages.push('.');
  const output =
    packages.length === 1 && packages[0] === '.' ? join(outDir, tool.binaries[0]!) : `${outDir}/`;
  const { args, env } = goBuildFlags(tool);
  await step(`go build ${packages.join(' ')}`, () =>
    run('go', ['build', ...args, '-o', output, ...packages], tool.moduleDir, {
      ...env,
      GOFLAGS: '-mod=readonly',
    }),
  );
}

/**
 * The collector's sources come from the OpenTelemetry Collector Builder (manifest.yaml lists the
 * components); its dependency versions come from our checked-in go.mod/go.sum, not from the
 * builder's own `go mod tidy`, which asks for module versions the proxy does not serve (see go.mod).
 */
async function buildCollector(tool: Tool, outDir: string): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'kubellama-otelcol-'));
  try {
    const gobin = join(work, 'bin');
    await step(`go install go.opentelemetry.io/collector/cmd/builder@${tool.version}`, () =>
      run('go', ['install', `go.opentelemetry.io/collector/cmd/builder@${tool.version}`], work, {
        GOBIN: gobin,
      }),
    );
    const source = join(work, 'build');
    const manifest = readFileSync(join(tool.moduleDir, 'manifest.yaml'), 'utf8').replace(
      /^(\s+output_path:).*$/m,
      `$1 ${source}`,
    );
    writeFileSync(join(work, 'manifest.yaml'), manifest);
    await step('builder: generate the collector sources', () =>
      run(
        join(gobin, 'builder'),
        ['--config', 'manifest.yaml', '--skip-compilation', '--skip-get-modules'],
        work,
      ),
    );
    for (const file of ['go.mod', 'go.sum']) copyFileSync(join(tool.moduleDir, file), join(source, file));
    const { args, env } = goBuildFlags(tool);
    await step(`go build ${tool.binaries[0]}`, () =>
      run('go', ['build', ...args, '-o', join(outDir, tool.binaries[0]!), '.'], source, {
        ...env,
        GOFLAGS: '-mod=readonly',
      }),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function buildTool(tool: Tool, root: string): Promise<void> {
  const finalDir = toolDir(tool, root);
  const partialDir = `${finalDir}.partial-${process.pid}`;
  rmSync(partialDir, { recursive: true, force: true });
  mkdirSync(partialDir, { recursive: true });
  try {
    if (tool.name === 'otelcol') await buildCollector(tool, partialDir);
    else await buildGoModuleTool(tool, partialDir);
    writeFileSync(
      join(partialDir, COMPLETE_MARKER),
      `${tool.name} ${tool.version} built ${new Date().toISOString()}\n`,
    );
    rmSync(finalDir, { recursive: true, force: true });
    renameSync(partialDir, finalDir);
  } catch (error) {
    rmSync(partialDir, { recursive: true, force: true });
    throw error;
  }
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !TOOLS.some((t) => t.name === name));
  if (unknown.length > 0) {
    throw new Error(`unknown tool ${unknown.join(', ')}: choose from ${TOOLS.map((t) => t.name).join(', ')}`);
  }
  const selected = TOOLS.filter((t) => wanted.length === 0 || wanted.includes(t.name));
  const root = toolsRoot();
  console.log(`kubellama tools → ${root}`);
  const started = Date.now();
  for (const [index, tool] of selected.entries()) {
    const label = `[${index + 1}/${selected.length}] ${tool.name} ${tool.version}`;
    if (isBuilt(tool, root)) {
      console.log(`${label}: cached in ${toolDir(tool, root)}`);
      continue;
    }
    console.log(`${label}: building ${tool.binaries.join(', ')}`);
    const toolStarted = Date.now();
    await buildTool(tool, root);
    console.log(`${label}: built in ${Math.round((Date.now() - toolStarted) / 1000)} s`);
  }
  console.log(`kubellama tools ready in ${Math.round((Date.now() - started) / 1000)} s`);
}

main().catch((error: unknown) => {
  console.error(`npm run tools: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
