// The container's CPU limit from its cgroup (v2 `cpu.max`, v1 `cpu.cfs_quota_us`/`cpu.cfs_period_us`),
// so llama.cpp gets as many threads as the pod may use rather than the host's core count.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

export interface CgroupFiles {
  /** Where the cgroup file systems are mounted. @default '/sys/fs/cgroup' */
  readonly root?: string;
  /** The contents of /proc/self/cgroup. @default read from /proc */
  readonly procSelfCgroup?: string;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Every ancestor of a cgroup path, deepest first: `/a/b` → `/a/b`, `/a`, `/`. */
function ancestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return Array.from({ length: parts.length + 1 }, (_, i) => `/${parts.slice(0, parts.length - i).join('/')}`);
}

function quotaFrom(quota: number, period: number): number | undefined {
  if (!Number.isFinite(quota) || !Number.isFinite(period) || quota <= 0 || period <= 0) return undefined;
  return quota / period;
}

/** The tightest limit along the cgroup path, in CPUs (may be fractional), or undefined when unlimited. */
export function cgroupCpuLimit(files: CgroupFiles = {}): number | undefined {
  const root = files.root ?? '/sys/fs/cgroup';
  const lines = (files.procSelfCgroup ?? read('/proc/self/cgroup') ?? '').split('\n');
  const limits: number[] = [];
  for (const line of lines) {
    const [, controllers, path] = line.split(':', 3) as [string, string | undefined, string | undefined];
    if (controllers === undefined || path === undefined) continue;
    if (controllers === '') {
      // cgroup v2: "0::/path"; the file system may be mounted at the root or at root/unified.
      for (const base of [root, join(root, 'unified')]) {
        for (const dir of ancestors(path)) {
          const [quota, period] = (read(join(base, dir, 'cpu.max')) ?? '').split(/\s+/);
          const limit = quota === 'max' ? undefined : quotaFrom(Number(quota), Number(period));
          if (limit !== undefined) limits.push(limit);
        }
      }
    } else if (controllers.split(',').includes('cpu')) {
      for (const mount of ['cpu', 'cpu,cpuacct', 'cpuacct,cpu']) {
        for (const dir of ancestors(path)) {
          const base = join(root, mount, dir);
          const limit = quotaFrom(
            Number(read(join(base, 'cpu.cfs_quota_us'))),
            Number(read(join(base, 'cpu.cfs_period_us'))),
          );
          if (limit !== undefined) limits.push(limit);
        }
      }
    }
  }
  return limits.length > 0 ? Math.min(...limits) : undefined;
}

/** Threads for llama.cpp: the quota rounded down (at least 1), capped by the CPUs this process may run on. */
export function defaultThreads(files: CgroupFiles = {}, cpus = availableParallelism()): number {
  const limit = cgroupCpuLimit(files);
  return Math.max(1, Math.min(cpus, limit === undefined ? cpus : Math.floor(limit)));
}
