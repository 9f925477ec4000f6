// `npm run demo [-- [up] [--model tiny|gemma|NAME|FILE] [--engine docker|podman] [--dry-run]]` and
// `npm run demo -- down`: a kind cluster with kubellama installed, one model served, one request
// traced, and the port-forwards left running until Ctrl-C. Exit 2: a missing tool or a bad argument.
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { ENGINES, type Engine } from '../../images/build-images.js';
import { UsageError } from './errors.js';
import { DEMO_DIR, deleteKindCluster, ensureKindCluster } from './kind-cluster.js';
import { checkPrerequisites } from './prerequisites.js';
import { DryRunRunner, ProcessRunner, type Runner } from './runner.js';
import { DEFAULT_SAMPLE, sampleFile, sampleNames } from './samples.js';
import { runDemoSteps } from './steps.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface CommonOptions {
  readonly engine?: Engine;
  readonly dryRun?: boolean;
}

function runnerFor(options: CommonOptions): Runner {
  if (options.dryRun) return new DryRunRunner();
  mkdirSync(DEMO_DIR, { recursive: true });
  return new ProcessRunner(process.cwd());
}

async function up(options: CommonOptions & { readonly model: string }): Promise<void> {
  // npm runs scripts in the package root; a FILE is relative to where the person typed the command.
  const model =
    /^[a-z0-9-]+$/.test(options.model) || isAbsolute(options.model)
      ? options.model
      : resolve(process.env.INIT_CWD ?? process.cwd(), options.model);
  let file: string;
  try {
    file = sampleFile(model);
  } catch (error) {
    throw new UsageError([(error as Error).message]);
  }
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
  console.log('The port-forwards run until Ctrl-C; `npm run demo -- down` deletes the cluster.');
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await result.stop();
}

async function down(options: CommonOptions): Promise<void> {
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
  const cli = new Command('npm run demo --')
    .description('kubellama on a local kind cluster: one model, one request, its trace in Jaeger.')
    .exitOverride();
  cli
    .command('up', { isDefault: true })
    .description('create the cluster (or reuse it), install kubellama, serve a model and trace one request')
    .addOption(
      new Option(
        '--model <model>',
        `a sample (${sampleNames().join(', ')}) or a LlamaModel YAML file`,
      ).default(DEFAULT_SAMPLE),
    )
    .addOption(engine())
    .addOption(dryRun())
    .action(up);
  cli
    .command('down')
    .description('delete the kind cluster')
    .addOption(engine())
    .addOption(dryRun())
    .action(down);
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
