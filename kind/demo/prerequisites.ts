// What the demo needs on PATH, found without running anything (a dry run must not execute the
// tools), and the one-line install hint for each one that is missing.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { detectEngine, ENGINES, type Engine } from '../../images/build-images.js';
import { UsageError } from './errors.js';

export const INSTALL_HINTS = {
  engine:
    'no container engine: install Docker (https://docs.docker.com/engine/install/) or podman (https://podman.io/docs/installation) and pass --engine podman',
  kind: 'kind is not on PATH: install it (https://kind.sigs.k8s.io/docs/user/quick-start/#installation, e.g. `go install sigs.k8s.io/kind@latest`)',
  kubectl: 'kubectl is not on PATH: install it (https://kubernetes.io/docs/tasks/tools/)',
} as const;

/** The full path of an executable named `name` on `path` (PATH's format), or undefined. */
export function findOnPath(name: string, path: string = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/**
 * The container engine: `preferred` if on PATH, else docker, else podman. A dry run only looks at
 * PATH; a real run also asks docker's daemon (images/build-images.ts detectEngine).
 */
export function chooseEngine(preferred: Engine | undefined, dryRun: boolean): Engine | undefined {
  if (!dryRun) return detectEngine(preferred);
  if (preferred) return findOnPath(preferred) ? preferred : undefined;
  return ENGINES.find((engine) => findOnPath(engine));
}

/** Throws a UsageError listing every missing tool; answers the engine to use. */
export function checkPrerequisites(options: {
  readonly engine: Engine | undefined;
  readonly dryRun: boolean;
  readonly tools: readonly ('kind' | 'kubectl')[];
}): Engine {
  const engine = chooseEngine(options.engine, options.dryRun);
  const hints: string[] = [];
  if (!engine) {
    if (options.engine) hints.push(`${options.engine} is not on PATH: ${INSTALL_HINTS.engine}`);
    else if (findOnPath('docker'))
      hints.push(
        'docker is on PATH but `docker info` fails: start the Docker daemon, or pass --engine podman',
      );
    else hints.push(INSTALL_HINTS.engine);
  }
  for (const tool of options.tools) if (!findOnPath(tool)) hints.push(INSTALL_HINTS[tool]);
  if (hints.length > 0 || !engine) throw new UsageError(hints);
  return engine;
}
