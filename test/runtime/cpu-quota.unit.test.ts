// Threads from the cgroup CPU quota (v1 and v2), on cgroup trees written to a temp folder.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cgroupCpuLimit, defaultThreads } from '../../runtime/engine/cpu-quota.js';

const roots: string[] = [];
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'kubellama-cgroup-'));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('cgroup CPU quota', () => {
  it('reads cgroup v2 cpu.max of the process cgroup', () => {
    const root = tree({ 'kubepods/pod1/cpu.max': '200000 100000\n', 'cpu.max': 'max 100000\n' });
    expect(cgroupCpuLimit({ root, procSelfCgroup: '0::/kubepods/pod1\n' })).toBe(2);
    expect(defaultThreads({ root, procSelfCgroup: '0::/kubepods/pod1\n' }, 16)).toBe(2);
  });

  it('takes the tightest limit along the path and rounds down', () => {
    const root = tree({ 'a/cpu.max': '150000 100000', 'a/b/cpu.max': '400000 100000' });
    expect(cgroupCpuLimit({ root, procSelfCgroup: '0::/a/b' })).toBe(1.5);
    expect(defaultThreads({ root, procSelfCgroup: '0::/a/b' }, 16)).toBe(1);
  });

  it('reads cgroup v1 cfs quota and period', () => {
    const root = tree({
      'cpu,cpuacct/kubepods/x/cpu.cfs_quota_us': '300000',
      'cpu,cpuacct/kubepods/x/cpu.cfs_period_us': '100000',
    });
    const procSelfCgroup = '12:memory:/kubepods/x\n4:cpu,cpuacct:/kubepods/x\n';
    expect(cgroupCpuLimit({ root, procSelfCgroup })).toBe(3);
  });

  it('treats quota -1 (v1) and max (v2) as unlimited: the available CPUs', () => {
    const v1 = tree({ 'cpu/cpu.cfs_quota_us': '-1', 'cpu/cpu.cfs_period_us': '100000' });
    expect(cgroupCpuLimit({ root: v1, procSelfCgroup: '3:cpu:/' })).toBeUndefined();
    const v2 = tree({ 'cpu.max': 'max 100000' });
    expect(defaultThreads({ root: v2, procSelfCgroup: '0::/' }, 6)).toBe(6);
  });

  it('never goes below one thread or above the CPUs the process may use', () => {
    const small = tree({ 'cpu.max': '10000 100000' });
    expect(defaultThreads({ root: small, procSelfCgroup: '0::/' }, 8)).toBe(1);
    const big = tree({ 'cpu.max': '6400000 100000' });
    expect(defaultThreads({ root: big, procSelfCgroup: '0::/' }, 8)).toBe(8);
  });

  it('finds nothing when there is no cgroup file system', () => {
    expect(cgroupCpuLimit({ root: '/nonexistent', procSelfCgroup: '0::/' })).toBeUndefined();
  });
});
