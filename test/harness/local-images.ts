// kubellama's images for the local cluster (local-cluster/): built in the harness's podman (./images.ts:
// own images from the real Dockerfile on stand-in bases, collector and Jaeger stand-ins from the tool
// binaries) and tagged under `localhost/kubellama`, so that an accidental pull by the node can only
// reach loopback. The install gets these names through the registry override, unchanged otherwise.
import { type ImageKey, type OwnImageKey, ownImage, resolveImages } from '../../charts/images.js';
import { buildOwnImages, buildToolImages } from './images.js';
import { podman } from './podman.js';

/** The registry of every image the local cluster runs. */
export const LOCAL_REGISTRY = 'localhost/kubellama';

export interface LocalImages {
  /** `--registry` of `npm run synth` and the first argument of `resolveImages`. */
  readonly registry: string;
  /** `--image KEY=REF` overrides: the collector and Jaeger stand-ins under LOCAL_REGISTRY. */
  readonly overrides: Partial<Record<ImageKey, string>>;
  /** Every install image after the override (`installApp({ images })`). */
  readonly images: Record<ImageKey, string>;
  /** What the node must have: the own images asked for and the two stand-ins. */
  readonly refs: readonly string[];
}

/** `docker.io/otel/opentelemetry-collector-contrib:0.165.0` → `localhost/kubellama/opentelemetry-collector-contrib:0.165.0`. */
export function underLocalRegistry(ref: string): string {
  return `${LOCAL_REGISTRY}/${ref.slice(ref.lastIndexOf('/') + 1)}`;
}

/** Builds (layer cache: seconds when nothing changed) and tags the images of an install. */
export async function buildLocalImages(
  keys: readonly OwnImageKey[],
  log: (line: string) => void = () => undefined,
): Promise<LocalImages> {
  const own = await buildOwnImages(keys, log);
  const tools = await buildToolImages();
  const overrides = {
    collector: underLocalRegistry(tools.collector),
    jaeger: underLocalRegistry(tools.jaeger),
  };
  const tags: [string, string][] = [
    ...keys.map((key): [string, string] => [own[key], ownImage(key, LOCAL_REGISTRY)]),
    [tools.collector, overrides.collector],
    [tools.jaeger, overrides.jaeger],
  ];
  for (const [from, to] of tags) await podman(['tag', from, to]);
  return {
    registry: LOCAL_REGISTRY,
    overrides,
    images: resolveImages(LOCAL_REGISTRY, overrides),
    refs: tags.map(([, to]) => to),
  };
}
