import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  binaryPath,
  COMPLETE_MARKER,
  goBuildFlags,
  goModTools,
  TOOLS,
  type ToolName,
  toolDir,
  toolsRoot,
} from './catalog.js';

const tool = (name: ToolName) => TOOLS.find((t) => t.name === name)!;

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
      coredns: 'v1.15.0',
      containerd: 'v2.4.2',
      crictl: 'v1.37.0',
    });
  });

  it("lists every binary a tool's go.mod builds, and nothing else", () => {
    for (const t of TOOLS.filter((t) => t.name !== 'otelcol')) {
      const packages = goModTools(readFileSync(join(t.moduleDir, 'go.mod'), 'utf8'));
      // No `tool` lines: the module's own main.go is the one binary, named after the tool.
      const built = packages.length > 0 ? packages.map((p) => p.split('/').at(-1)) : [t.name];
      expect(built.sort(), t.name).toEqual([...t.binaries].sort());
    }
    expect(tool('kube').binaries).toEqual(
      expect.arrayContaining(['kube-apiserver', 'kubelet', 'kube-proxy', 'kubectl']),
    );
    expect(tool('containerd').binaries).toEqual(['containerd', 'containerd-shim-runc-v2', 'ctr']);
  });

  it('pins every k8s.io staging module to the release of k8s.io/kubernetes', () => {
    const kube = tool('kube');
    const staging = `v0.${kube.version.replace(/^v1\./, '')}`;
    const goMod = readFileSync(join(kube.moduleDir, 'go.mod'), 'utf8');
    const replaced = [...goMod.matchAll(/^\s*(k8s\.io\/\S+) => (k8s\.io\/\S+) (v\S+)$/gm)];
    expect(replaced.length).toBeGreaterThan(30);
    for (const [, from, to, version] of replaced) expect(`${to} ${version}`, from).toBe(`${from} ${staging}`);
  });

  it('stamps the pinned Kubernetes release into the kube binaries (not v0.0.0-master)', () => {
    const kube = tool('kube');
    const [major, minor] = kube.version.replace(/^v/, '').split('.');
    const { args } = goBuildFlags(kube);
    const ldflags = args.find((a) => a.startsWith('-ldflags='))!;
    for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
      expect(ldflags).toContain(`-X ${pkg}.gitVersion=${kube.version} `);
      expect(ldflags).toContain(`-X ${pkg}.gitMajor=${major} `);
      expect(ldflags).toContain(`-X ${pkg}.gitMinor=${minor} `);
      expect(ldflags).toContain(`-X ${pkg}.gitTreeState=clean`);
    }
    expect(ldflags).toMatch(/^-ldflags=-s -w /);
  });

  it('builds CoreDNS, containerd and crictl static, containerd without the cgo snapshotters', () => {
    for (const name of ['coredns', 'containerd', 'crictl'] as const) {
      expect(goBuildFlags(tool(name)).env, name).toEqual({ CGO_ENABLED: '0' });
    }
    const containerd = tool('containerd');
    expect(goBuildFlags(containerd).args).toEqual([
      '-trimpath',
      `-ldflags=-s -w -X github.com/containerd/containerd/v2/version.Version=${containerd.version}`,
      '-tags=no_btrfs,no_zfs,no_devmapper',
    ]);
    // The tools without settings of their own keep the plain flags (and their cache folders).
    expect(goBuildFlags(tool('etcd'))).toEqual({ args: ['-trimpath', '-ldflags=-s -w'], env: {} });
  });

  it('gives CoreDNS only in-cluster plugins: kubernetes, never forward', () => {
    const main = readFileSync(join(tool('coredns').moduleDir, 'main.go'), 'utf8');
    const plugins = [...main.matchAll(/"github\.com\/coredns\/coredns\/plugin\/(\w+)"/g)].map((m) => m[1]);
    expect(plugins.sort()).toEqual(['cache', 'errors', 'health', 'kubernetes', 'log', 'ready', 'reload']);
  });

  it('puts the cache under KUBELLAMA_TOOLS, else under XDG_CACHE_HOME or ~/.cache', () => {
    expect(toolsRoot({ KUBELLAMA_TOOLS: '/opt/tools' })).toBe('/opt/tools');
    expect(toolsRoot({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/kubellama/tools');
    expect(toolsRoot({ HOME: '/home/u' })).toMatch(/\.cache\/kubellama\/tools$/);
  });

  it('keys each tool folder by name, version and a hash of its inputs', () => {
    const jaeger = TOOLS.find((t) => t.name === 'jaeger')!;
    expect(toolDir(jaeger, '/cache')).toMatch(/^\/cache\/jaeger-v1\.76\.0-[0-9a-f]{10}$/);
    const containerd = tool('containerd');
    expect(toolDir({ ...containerd, build: { ...containerd.build, tags: [] } }, '/cache')).not.toBe(
      toolDir(containerd, '/cache'),
    );
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
    expect(components.length).toBe(16);
    for (const [module, version] of components) {
      expect(goMod, `${module} in go.mod`).toMatch(
        new RegExp(`^\\s*${module.replaceAll('.', '\\.')} ${version}(\\s|$)`, 'm'),
      );
    }
  });
});
