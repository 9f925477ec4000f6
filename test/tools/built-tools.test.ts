// Smoke checks of the binaries `npm run tools` built for the test node: they report the pinned
// versions, CoreDNS has the plugin set main.go picks, and what goes into FROM scratch images or runs
// from the cache on any host is static. Runs where those tools are built; in CI (`.ci/run` builds
// them before the tests) it always runs, so a missing build fails there instead of skipping.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { binaryPath, isBuilt, TOOLS, type ToolName } from './catalog.js';

const tool = (name: ToolName) => TOOLS.find((t) => t.name === name)!;
const NODE_TOOLS: ToolName[] = ['kube', 'coredns', 'containerd', 'crictl'];
const built = NODE_TOOLS.every((name) => isBuilt(tool(name)));
if (!built && !process.env.CI) console.warn(`built-tools suite skipped: run \`npm run tools\` first`);

/** stdout and stderr of a binary that prints its version and exits. */
function output(binary: string, args: string[]): string {
  return execFileSync(binaryPath(binary), args, { encoding: 'utf8', timeout: 30_000, stdio: 'pipe' });
}

/** True when an ELF executable has no program interpreter (PT_INTERP), i.e. needs no libc at run time. */
function isStatic(path: string): boolean {
  const elf = readFileSync(path);
  expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  expect(elf[4]).toBe(2); // 64-bit
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    if (elf.readUInt32LE(phoff + i * phentsize) === 3) return false;
  }
  return true;
}

describe.runIf(built || process.env.CI)('the test node binaries', () => {
  it('report the pinned Kubernetes release, kube-apiserver included', () => {
    const { version } = tool('kube');
    expect(output('kubelet', ['--version'])).toContain(`Kubernetes ${version}`);
    expect(output('kube-proxy', ['--version'])).toContain(`Kubernetes ${version}`);
    expect(output('kube-apiserver', ['--version'])).toContain(`Kubernetes ${version}`);
    expect(output('kubectl', ['version', '--client'])).toContain(`Client Version: ${version}`);
  });

  it('CoreDNS serves the cluster zone and cannot forward anywhere', () => {
    // main.go's seven, plus the plugins those import themselves (metadata and transfer, and
    // plugin/metrics, registered as prometheus). None of them sends a query outside the cluster.
    const plugins = output('coredns', ['-plugins']).split('\n').filter(Boolean);
    expect(plugins).toEqual([
      'cache',
      'errors',
      'health',
      'kubernetes',
      'log',
      'metadata',
      'prometheus',
      'ready',
      'reload',
      'transfer',
    ]);
    expect(plugins).not.toContain('forward');
    expect(output('coredns', ['-version'])).toContain(`CoreDNS-${tool('coredns').version.replace(/^v/, '')}`);
  });

  it('containerd, its shim and ctr report the pinned release', () => {
    const { version } = tool('containerd');
    expect(output('containerd', ['--version'])).toContain(` ${version} `);
    expect(output('ctr', ['--version'])).toContain(` ${version}`);
    expect(output('containerd-shim-runc-v2', ['-v'])).toContain(`Version:  ${version}`);
    expect(output('crictl', ['--version'])).toContain(
      `crictl version ${tool('crictl').version.replace(/^v/, '')}`,
    );
  });

  it('builds CoreDNS, containerd and crictl static', () => {
    for (const binary of ['coredns', 'containerd', 'containerd-shim-runc-v2', 'ctr', 'crictl']) {
      expect(isStatic(binaryPath(binary)), binary).toBe(true);
    }
  });
});
