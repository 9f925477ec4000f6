// `npm run images [-- --engine docker|podman] [--registry R] [--push R] [--only KEY,…] [--dry-run]`:
// builds kubellama's own images with whichever engine is present, tags them as charts/images.ts
// pins them (or under R), pushes them with --push, and prints each image's size against its budget.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command as Cli, InvalidArgumentError, Option } from 'commander';
import { type OwnImageKey, ownImage } from '../charts/images.js';
import {
  type Command,
  detectEngine,
  ENGINES,
  type Engine,
  formatSize,
  imageBuildCommands,
  imageSizeCommand,
  OWN_IMAGE_KEYS,
  SIZE_BUDGETS,
} from './build-images.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function keys(value: string): OwnImageKey[] {
  const list = value.split(',').map((k) => k.trim());
  for (const key of list)
    if (!OWN_IMAGE_KEYS.includes(key as OwnImageKey))
      throw new InvalidArgumentError(`unknown image "${key}" (one of: ${OWN_IMAGE_KEYS.join(', ')})`);
  return list as OwnImageKey[];
}

function git(args: string[]): string | undefined {
  const result = spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() || undefined : undefined;
}

function show(command: Command): string {
  return `$ ${[command.cmd, ...command.args].map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`;
}

function main(argv: string[]): number {
  const program = new Cli('npm run images --')
    .description("Builds kubellama's own images (runtime, runtime CUDA, operator) from the Dockerfile.")
    .exitOverride()
    .addOption(
      new Option('--engine <engine>', 'container engine (default: docker, else podman)').choices(ENGINES),
    )
    .addOption(new Option('--registry <registry>', 'registry/path for the tags (default ghcr.io/kubellama)'))
    .addOption(new Option('--push <registry>', 'tag under this registry and push'))
    .addOption(
      new Option('--only <keys>', `comma-separated subset of: ${OWN_IMAGE_KEYS.join(', ')}`).argParser(keys),
    )
    .addOption(new Option('--dry-run', 'print the commands without running them'));
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode ?? 2;
    return code === 0 ? 0 : 2;
  }
  const o = program.opts<{
    engine?: Engine;
    registry?: string;
    push?: string;
    only?: OwnImageKey[];
    dryRun?: boolean;
  }>();
  if (o.registry && o.push && o.registry !== o.push) {
    console.error('--registry and --push name different registries: give one of them');
    return 2;
  }
  const engine = o.dryRun ? (o.engine ?? 'docker') : detectEngine(o.engine);
  if (!engine) {
    console.error(
      o.engine
        ? `${o.engine} is not on PATH`
        : 'no container engine: install Docker (https://docs.docker.com/engine/install/) or podman (apt-get install podman)',
    );
    return 2;
  }
  const registry = o.push ?? o.registry;
  const only = o.only ?? OWN_IMAGE_KEYS;
  const commands = imageBuildCommands({
    engine,
    registry,
    keys: only,
    push: Boolean(o.push),
    contextDir: REPO_ROOT,
    revision: git(['rev-parse', 'HEAD']),
    source: git(['config', '--get', 'remote.origin.url']),
  });
  for (const command of commands) {
    console.log(show(command));
    if (o.dryRun) continue;
    const result = spawnSync(command.cmd, command.args, { stdio: 'inherit' });
    if (result.status !== 0) {
      console.error(`${command.cmd} ${command.args[0]} failed (exit ${result.status ?? result.signal})`);
      return 1;
    }
  }
  if (o.dryRun) return 0;
  for (const key of only) {
    const ref = ownImage(key, registry);
    const size = imageSizeCommand(engine, ref);
    const bytes = Number(spawnSync(size.cmd, size.args, { encoding: 'utf8' }).stdout.trim());
    const budget = SIZE_BUDGETS[key];
    const verdict =
      budget === undefined ? '' : ` (budget ${formatSize(budget)}${bytes > budget ? ': OVER' : ''})`;
    console.log(`${ref}  ${Number.isFinite(bytes) ? formatSize(bytes) : 'size unknown'}${verdict}`);
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
