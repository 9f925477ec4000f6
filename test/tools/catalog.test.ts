import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { binaryPath, COMPLETE_MARKER, TOOLS, toolDir, toolsRoot } from './catalog.js';

describe('tool catalog', () => {
  const temp = mkdtempSync(join(tmpdir(), 'kubellama-catalog-'));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it('reads each version from the pins in test/tools/go', () => {
    expect(Object.fromEntries(TOOLS.map((t) => [t.name, t.version]))).toEqual({
      etcd: 'v3.6.16',
      kube: 'v1.37.2',
      jaeger: 'v1.76.0',
      helm: 'v3.22.0',
      otelcol: 'v0.165.0',
    });
  });

  it('puts the cache under KUBELLAMA_TOOLS, else under XDG_CACHE_HOME or ~/.cache', () => {
    expect(toolsRoot({ KUBELLAMA_TOOLS: '/opt/tools' })).toBe('/opt/tools');
    expect(toolsRoot({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/kubellama/tools');
    expect(toolsRoot({ HOME: '/home/u' })).toMatch(/\.cache\/kubellama\/tools$/);
  });

  it('keys each tool folder by name, version and a hash of its inputs', () => {
    const jaeger = TOOLS.find((t) => t.name === 'jaeger')!;
    expect(toolDir(jaeger, '/cache')).toMatch(/^\/cache\/jaeger-v1\.76\.0-[0-9a-f]{10}$/);
  });

  it('refuses an unbuilt or interrupted build with the command that fixes it', () => {
    const etcd = TOOLS.find((t) => t.name === 'etcd')!;
    expect(() => binaryPath('etcd', temp)).toThrow(/npm run tools/);
    mkdirSync(toolDir(etcd, temp), { recursive: true });
    writeFileSync(join(toolDir(etcd, temp), 'etcd'), '');
    expect(() => binaryPath('etcd', temp)).toThrow(/npm run tools/);
    writeFileSync(join(toolDir(etcd, temp), COMPLETE_MARKER), '');
    expect(binaryPath('etcd', temp)).toBe(join(toolDir(etcd, temp), 'etcd'));
    expect(() => binaryPath('no-such-binary', temp)).toThrow(/unknown tool binary/);
  });
});

describe('collector pins', () => {
  it('compiles exactly the component versions the builder manifest lists', () => {
    const dir = TOOLS.find((t) => t.name === 'otelcol')!.moduleDir;
    const manifest = readFileSync(join(dir, 'manifest.yaml'), 'utf8');
    const goMod = readFileSync(join(dir, 'go.mod'), 'utf8');
    const components = [...manifest.matchAll(/gomod:\s*(\S+)\s+(v\S+)/g)].map((m) => [m[1]!, m[2]!] as const);
    expect(components.length).toBe(13);
    for (const [module, version] of components) {
      expect(goMod, `${module} in go.mod`).toMatch(
        new RegExp(`^\\s*${module.replaceAll('.', '\\.')} ${version}(\\s|$)`, 'm'),
      );
    }
  });
});
