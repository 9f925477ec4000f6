// `npm run demo [-- [up] [--model tiny|gemma|NAME|FILE] [--engine docker|podman] [--dry-run]]` and
// `npm run demo -- down`: a kind cluster with kubellama installed, one model served, one request
// traced, and the port-forwards left running until Ctrl-C. Exit 2: a missing tool or a bad argument.
// `--local` (before or after the command): the same on the test harness's local node instead of kind
// (Linux, root, no Docker; local-cluster.ts), default model tiny, torn down on Ctrl-C.
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { ENGINES, type Engine } from '../../images/build-images.js';
import { fetchJaegerTrace, formatTraceTree } from '../../lib/jaeger-trace.js';
import { UsageError } from './errors.js';
import { DEMO_DIR, deleteKindCluster, ensureKindCluster } from './kind-cluster.js';
import { localPrerequisites, startLocalDemoCluster, stopLocalDemoCluster } from './local-cluster.js';
import { checkPrerequisites } from './prerequisites.js';
import { DryRunRunner, ProcessRunner, type Runner } from './runner.js';
import { DEFAULT_SAMPLE, sampleFile, sampleNames, TINY_SAMPLE } from './samples.js';
import { runDemoSteps } from './steps.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface CommonOptions {
  readonly engine?: Engine;
  readonly dryRun?: boolean;
  readonly local?: boolean;
}

function runnerFor(options: CommonOptions): Runner {
  if (options.dryRun) return new DryRunRunner();
  mkdirSync(DEMO_DIR, { recursive: true });
  return new ProcessRunner(process.cwd());
}

/** Ctrl-C or SIGTERM (`npm run demo -- --local down` sends it). */
function interrupted(): Promise<void> {
  return new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

async function up(options: CommonOptions & { readonly model?: string }): Promise<void> {
  if (options.local) return upLocal(options);
  const model = modelFile(options.model ?? DEFAULT_SAMPLE);
  const file = model;
  const engine = checkPrerequisites({
    engine: options.engine,
    dryRun: Boolean(options.dryRun),
    tools: ['kind', 'kubectl'],
  });
  const runner = runnerFor(options);
  const cluster = await ensureKindCluster(runner, engine);
  const result = await runDemoSteps(runner, cluster, { engine, sampleFile: file, workDir: DEMO_DIR });
  console.log('');
  console.log(`answer:   ${result.answer}`);
  console.log(`trace id: ${result.traceId}`);
  if (result.spans.length > 0) console.log(`spans:    ${result.spans.join(', ')}`);
  console.log(`trace:    ${result.traceUrl}`);
  console.log('');
  if (options.dryRun) return;
  await printTraceTree(result.traceUrl, result.traceId);
  console.log('The port-forwards run until Ctrl-C; `npm run demo -- down` deletes the cluster.');
  await interrupted();
  await result.stop();
}

/** `--model`: a sample name or a file, relative to where the person typed the command (npm runs in the root). */
function modelFile(model: string): string {
  const path =
    /^[a-z0-9-]+$/.test(model) || isAbsolute(model)
      ? model
      : resolve(process.env.INIT_CWD ?? process.cwd(), model);
  try {
    return sampleFile(path);
  } catch (error) {
    throw new UsageError([(error as Error).message]);
  }
}

/** The trace as a tree with durations, from Jaeger's API behind the port-forward. */
async function printTraceTree(traceUrl: string, traceId: string): Promise<void> {
  const jaeger = new URL(traceUrl).origin;
  const trace = await fetchJaegerTrace(jaeger, traceId);
  if (!trace) return;
  for (const line of formatTraceTree(trace)) console.log(`  ${line}`);
  console.log('');
}

/** `--local`: the same steps on the test harness's local node; the node goes with the process. */
async function upLocal(options: CommonOptions & { readonly model?: string }): Promise<void> {
  const file = modelFile(options.model ?? TINY_SAMPLE);
  const dryRun = Boolean(options.dryRun);
  const hints = dryRun ? [] : localPrerequisites();
  if (hints.length > 0) throw new UsageError(hints);
  const runner = runnerFor(options);
  const cluster = await startLocalDemoCluster(runner, dryRun);
  // Ctrl-C at any point tears the node down (no kind container keeps it: it lives in this process).
  const stopOnSignal = interrupted().then(async () => {
    await cluster.stop();
    process.exit(130);
  });
  try {
    const result = await runDemoSteps(runner, cluster, {
      engine: 'podman',
      sampleFile: file,
      workDir: DEMO_DIR,
      ...cluster.imageOptions,
    });
    console.log('');
    console.log(`answer:   ${result.answer}`);
    console.log(`trace id: ${result.traceId}`);
    console.log('');
    if (dryRun) return;
    await printTraceTree(result.traceUrl, result.traceId);
    console.log(
      `kubeconfig: ${cluster.kubeconfig}. Running until Ctrl-C (or \`npm run demo -- --local down\`), which tears the node down.`,
    );
    await stopOnSignal;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

async function down(options: CommonOptions): Promise<void> {
  if (options.local) {
    if (!options.dryRun && process.getuid?.() !== 0)
      throw new UsageError(['--local down needs root, like --local']);
    if (options.dryRun) {
      console.log('# signal the demo that holds the local cluster, or remove what a crashed one left');
      return;
    }
    await stopLocalDemoCluster(runnerFor(options));
    return;
  }
  const engine = checkPrerequisites({
    engine: options.engine,
    dryRun: Boolean(options.dryRun),
    tools: ['kind'],
  });
  await deleteKindCluster(runnerFor(options), engine);
}

function program(): Command {
  const engine = () =>
    new Option('--engine <engine>', 'container engine (default: docker, else podman)').choices(ENGINES);
  const dryRun = () => new Option('--dry-run', 'print the commands and steps without running anything');
  const local = () =>
    new Option(
      '--local',
      "the test harness's local node instead of kind (Linux, root, no Docker; default model tiny)",
    );
  const cli = new Command('npm run demo --')
    .description('kubellama on a local kind cluster: one model, one request, its trace in Jaeger.')
    .addOption(local())
    .exitOverride();
  // `--local` before the command belongs to the program, after it to the command: either counts.
  const withGlobal =
    <T extends CommonOptions>(action: (options: T) => Promise<void>) =>
    (options: T) =>
      action({ ...options, local: Boolean(options.local || cli.opts<{ local?: boolean }>().local) });
  cli
    .command('up', { isDefault: true })
    .description('create the cluster (or reuse it), install kubellama, serve a model and trace one request')
    .addOption(
      new Option(
        '--model <model>',
        `a sample (${sampleNames().join(', ')}) or a LlamaModel YAML file (default: ${DEFAULT_SAMPLE}, ${TINY_SAMPLE} with --local)`,
      ),
    )
    .addOption(engine())
    .addOption(dryRun())
    .addOption(local())
    .action(withGlobal(up));
  cli
    .command('down')
    .description('delete the kind cluster (with --local: tear the local node down)')
    .addOption(engine())
    .addOption(dryRun())
    .addOption(local())
    .action(withGlobal(down));
  return cli;
}

async function main(argv: readonly string[]): Promise<number> {
  process.chdir(REPO_ROOT);
  try {
    await program().parseAsync([...argv], { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      for (const hint of error.hints) console.error(`demo: ${hint}`);
      return 2;
    }
    console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
