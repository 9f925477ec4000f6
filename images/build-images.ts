// The commands that build kubellama's own images from the root Dockerfile with docker or podman,
// tagged exactly as charts/images.ts pins them (or under a registry override), and pushed when
// asked. Pure: callers run the commands (`npm run images`, the demo, the tests), so a dry run
// prints exactly what a real run executes.
import { spawnSync } from 'node:child_process';
import { KUBELLAMA_VERSION, OWN_IMAGES, type OwnImageKey, ownImage } from '../charts/images.js';

export type Engine = 'docker' | 'podman';
export const ENGINES: readonly Engine[] = ['docker', 'podman'];

export interface Command {
  readonly cmd: string;
  readonly args: readonly string[];
}

/** Uncompressed size budgets (bytes) that `npm run images` reports against. */
export const SIZE_BUDGETS: Readonly<Record<OwnImageKey, number | undefined>> = {
  runtime: 350 * 1024 ** 2,
  // The CUDA base alone is ~3 GB; no budget beyond "the CPU image plus the CUDA prebuilts".
  runtimeCuda: undefined,
  operator: 200 * 1024 ** 2,
};

export interface BuildOptions {
  readonly engine: Engine;
  /** Registry (and path) for kubellama's own images. @default DEFAULT_REGISTRY */
  readonly registry?: string;
  /** @default every own image */
  readonly keys?: readonly OwnImageKey[];
  /** Push each image after building it. @default false */
  readonly push?: boolean;
  /** The build context: the repository root. */
  readonly contextDir: string;
  /** The git commit, for the OCI revision label. */
  readonly revision?: string;
  /** The repository URL, for the OCI source label. */
  readonly source?: string;
  /** More `build` arguments (e.g. `--build-arg BASE_IMAGE=…`, `--network=host`). */
  readonly extraBuildArgs?: readonly string[];
}

export const OWN_IMAGE_KEYS = Object.keys(OWN_IMAGES) as OwnImageKey[];

/** The engine commands that build (and with push, push) kubellama's own images, in order. */
export function imageBuildCommands(options: BuildOptions): Command[] {
  const commands: Command[] = [];
  for (const key of options.keys ?? OWN_IMAGE_KEYS) {
    const ref = ownImage(key, options.registry);
    commands.push({
      cmd: options.engine,
      args: [
        'build',
        '--target',
        OWN_IMAGES[key].target,
        '--tag',
        ref,
        '--build-arg',
        `VERSION=${KUBELLAMA_VERSION}`,
        '--build-arg',
        `REVISION=${options.revision ?? 'unknown'}`,
        ...(options.source ? ['--build-arg', `SOURCE=${options.source}`] : []),
        ...(options.extraBuildArgs ?? []),
        '--file',
        `${options.contextDir}/Dockerfile`,
        options.contextDir,
      ],
    });
    if (options.push) commands.push({ cmd: options.engine, args: ['push', ref] });
  }
  return commands;
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Which engine to use: `preferred` when it is on PATH; else docker when its daemon answers (a
 * docker CLI without an engine is common), then podman. Undefined when neither works.
 */
export function detectEngine(preferred?: Engine): Engine | undefined {
  if (preferred) return onPath(preferred) ? preferred : undefined;
  if (onPath('docker') && spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 }).status === 0)
    return 'docker';
  if (onPath('podman')) return 'podman';
  return undefined;
}

/** Uncompressed size of a local image, in bytes. */
export function imageSizeCommand(engine: Engine, ref: string): Command {
  return { cmd: engine, args: ['image', 'inspect', '--format', '{{.Size}}', ref] };
}

export function formatSize(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}
