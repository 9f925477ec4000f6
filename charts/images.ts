// Every container image kubellama deploys, pinned by version in this one place, and the registry
// override that moves kubellama's own images to another registry (a private one, kind's loaded
// images, or `localhost/…` names on a machine with no registry).
import packageJson from '../package.json' with { type: 'json' };

/** The one source of the version: package.json. */
export const KUBELLAMA_VERSION: string = packageJson.version;

/** The user kubellama's own images run as (the Dockerfile's `USER`, distroless "nonroot"). */
export const KUBELLAMA_UID = 65532;

/** Where kubellama's own images live unless a registry override says otherwise. */
export const DEFAULT_REGISTRY = 'ghcr.io/kubellama';

/**
 * The images kubellama builds itself (Dockerfile targets), by key: repository name and tag under
 * the registry. `npm run images` builds exactly these.
 */
export const OWN_IMAGES = {
  runtime: { repository: 'runtime', tag: KUBELLAMA_VERSION, target: 'runtime' },
  runtimeCuda: { repository: 'runtime', tag: `${KUBELLAMA_VERSION}-cuda`, target: 'runtime-cuda' },
  operator: { repository: 'operator', tag: KUBELLAMA_VERSION, target: 'operator' },
} as const;

export type OwnImageKey = keyof typeof OWN_IMAGES;

/** `<registry>/<repository>:<tag>` of one of kubellama's own images. */
export function ownImage(key: OwnImageKey, registry: string = DEFAULT_REGISTRY): string {
  const image = OWN_IMAGES[key];
  return `${registry.replace(/\/+$/, '')}/${image.repository}:${image.tag}`;
}

export const IMAGES = {
  runtime: ownImage('runtime'),
  runtimeCuda: ownImage('runtimeCuda'),
  operator: ownImage('operator'),
  /**
   * The upstream contrib distribution at the release our own collector build pins
   * (test/tools/go/otelcol/manifest.yaml): it holds every component the generated config uses,
   * users already trust it, and it is on a public registry. Our own build of the same release
   * becomes an image only where no registry can be reached (tests, the local cluster).
   */
  collector: 'docker.io/otel/opentelemetry-collector-contrib:0.165.0',
  jaeger: 'docker.io/jaegertracing/jaeger:2.13.0',
} as const;

export type ImageKey = keyof typeof IMAGES;

/**
 * The images of an install after overrides: `registry` moves kubellama's own images (runtime,
 * runtime CUDA, operator) under another registry; `overrides` replaces any single image by key.
 */
export function resolveImages(
  registry?: string,
  overrides: Partial<Record<ImageKey, string>> = {},
): Record<ImageKey, string> {
  const own = registry
    ? {
        runtime: ownImage('runtime', registry),
        runtimeCuda: ownImage('runtimeCuda', registry),
        operator: ownImage('operator', registry),
      }
    : {};
  return { ...IMAGES, ...own, ...overrides };
}

/** The namespace the install charts put the operator, collector and Jaeger in. */
export const SYSTEM_NAMESPACE = 'kubellama-system';

/** The collector Service every model pod exports to unless the LlamaModel or operator says otherwise. */
export const COLLECTOR_SERVICE = 'otel-collector';
/** The OTLP/gRPC endpoint of the collector Service installed in `namespace`. */
export function collectorOtlpEndpoint(namespace: string): string {
  return `http://${COLLECTOR_SERVICE}.${namespace}.svc:4317`;
}
export const DEFAULT_OTLP_ENDPOINT = collectorOtlpEndpoint(SYSTEM_NAMESPACE);
