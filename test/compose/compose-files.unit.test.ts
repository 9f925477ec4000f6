// compose.yaml and compose/ are generated from charts/compose.ts: the checked-in files are current,
// name exactly the images charts/images.ts pins, publish on loopback only, and the collector's
// own `validate` accepts the collector config.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  COMPOSE_FILE,
  COMPOSE_SERVICES,
  COMPOSE_VARS,
  composeCollectorConfig,
  composeFiles,
} from '../../charts/compose.js';
import { IMAGES } from '../../charts/images.js';
import { RUNTIME_ENV } from '../../charts/runtime-contract.js';
import { validateCollectorConfig } from '../harness/index.js';
import { REPO_ROOT } from '../harness/podman.js';

interface ComposeService {
  image: string;
  ports?: string[];
  volumes?: string[];
  command?: string[];
}

const compose = parse(readFileSync(join(REPO_ROOT, COMPOSE_FILE), 'utf8')) as {
  services: Record<string, ComposeService>;
};

describe('compose.yaml and compose/ are generated from charts/compose.ts', () => {
  it.each(Object.keys(composeFiles()))('%s equals what npm run compose:config writes', (path) => {
    const checkedIn = readFileSync(join(REPO_ROOT, path), 'utf8');
    expect(checkedIn, `${path} is stale: run \`npm run compose:config\``).toBe(composeFiles()[path]);
  });

  it('names exactly the images of charts/images.ts', () => {
    const images = Object.fromEntries(Object.entries(compose.services).map(([name, s]) => [name, s.image]));
    expect(images).toEqual({
      [COMPOSE_SERVICES.runtime]: IMAGES.runtime,
      [COMPOSE_SERVICES.collector]: IMAGES.collector,
      [COMPOSE_SERVICES.jaeger]: IMAGES.jaeger,
    });
  });

  it('publishes ports on 127.0.0.1 only, each overridable by a variable', () => {
    const ports = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    expect(ports).toEqual([
      `127.0.0.1:\${${COMPOSE_VARS.apiPort.name}:-${COMPOSE_VARS.apiPort.default}}:8080`,
      `127.0.0.1:\${${COMPOSE_VARS.jaegerPort.name}:-${COMPOSE_VARS.jaegerPort.default}}:16686`,
    ]);
  });

  it('mounts only generated configs from the repository, and passes them as --config', () => {
    const files = composeFiles();
    for (const service of [COMPOSE_SERVICES.collector, COMPOSE_SERVICES.jaeger]) {
      const [source, target] = compose.services[service]!.volumes![0]!.split(':') as [string, string];
      expect(Object.keys(files)).toContain(source.replace(/^\.\//, ''));
      expect(compose.services[service]!.command).toEqual([`--config=file:${target}`]);
    }
  });

  it('its variables are not the runtime’s own environment variables', () => {
    const runtimeVars = new Set<string>(Object.values(RUNTIME_ENV));
    for (const variable of Object.values(COMPOSE_VARS)) expect(runtimeVars.has(variable.name)).toBe(false);
  });

  it('the collector accepts its config (otelcol validate)', () => {
    const result = validateCollectorConfig(composeCollectorConfig());
    expect(result.ok, result.output).toBe(true);
  });
});
