// Images for the tests, built with podman (./podman.ts): kubellama's own from the real Dockerfile
// through the same commands `npm run images` runs, and stand-ins for the two upstream images the
// install uses (collector, Jaeger) built from the binaries `npm run tools` made, under the names the
// manifests and compose.yaml give them.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGES, type OwnImageKey, ownImage } from '../../charts/images.js';
import { imageBuildCommands } from '../../images/build-images.js';
import { binaryPath } from '../tools/catalog.js';
import { ensureStandInBases, podman, REPO_ROOT } from './podman.js';
import { makeWorkDir, removeWorkDir } from './workdir.js';

/**
 * Builds kubellama's own images from the Dockerfile (stand-in bases first). Returns their refs.
 * The build reaches the npm registry and Debian's mirror (npm ci, tini), as a user's build does.
 */
export async function buildOwnImages(
  keys: readonly OwnImageKey[],
  log: (line: string) => void = () => undefined,
): Promise<Record<OwnImageKey, string>> {
  await ensureStandInBases(log);
  for (const command of imageBuildCommands({
    engine: 'podman',
    keys,
    contextDir: REPO_ROOT,
    // RUN steps share the host's network: no netavark bridge just to reach the registries.
    extraBuildArgs: ['--network=host'],
  })) {
    log(`podman ${command.args.slice(0, 3).join(' ')} …`);
    await podman(command.args, { timeoutMs: 1_500_000 });
  }
  return Object.fromEntries(keys.map((key) => [key, ownImage(key)])) as Record<OwnImageKey, string>;
}

/** Uncompressed size in bytes. */
export async function imageSize(ref: string): Promise<number> {
  return Number((await podman(['image', 'inspect', '--format', '{{.Size}}', ref])).trim());
}

/** The stand-ins of the upstream images, named as the install names them. */
export const TOOL_IMAGES = { collector: IMAGES.collector, jaeger: IMAGES.jaeger } as const;

/**
 * Builds the collector and Jaeger stand-ins: our collector build and the pinned Jaeger binary on the
 * stand-in Debian base, non-root like the official images (UID 10001), binary as the entry point.
 */
export async function buildToolImages(): Promise<typeof TOOL_IMAGES> {
  const { base } = await ensureStandInBases();
  const work = makeWorkDir('tool-images');
  try {
    const sources = { collector: binaryPath('otelcol-kubellama'), jaeger: binaryPath('jaeger') };
    for (const [key, binary] of Object.entries(sources) as [keyof typeof TOOL_IMAGES, string][]) {
      const dir = join(work, key);
      mkdirSync(dir);
      copyFileSync(binary, join(dir, 'binary'));
      writeFileSync(
        join(dir, 'Containerfile'),
        `FROM ${base}\nCOPY binary /usr/local/bin/${key}\nUSER 10001:10001\nENTRYPOINT ["/usr/local/bin/${key}"]\n`,
      );
      await podman(['build', '--network=none', '-q', '-t', TOOL_IMAGES[key], dir]);
    }
    return TOOL_IMAGES;
  } finally {
    removeWorkDir(work);
  }
}
