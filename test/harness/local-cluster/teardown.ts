// Undoing what a local cluster did to the host, step by step; every step is idempotent, so the
// same steps clean up after a crashed run (found through the lock file) as after a normal stop.
import {
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../exec.js';
import {
  CLUSTER_DIR_PREFIX,
  clusterProcesses,
  HOST_PATHS,
  mountPointsUnder,
  readSysctls,
  sysctlPath,
} from './host-state.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SIGKILLs every process still belonging to a cluster (shims, container processes); waits for them. */
export async function killClusterProcesses(): Promise<string[]> {
  const killed: string[] = [];
  for (let round = 0; round < 50; round++) {
    const left = clusterProcesses();
    if (left.length === 0) break;
    for (const { pid, name } of left) {
      try {
        process.kill(pid, 'SIGKILL');
        if (round === 0) killed.push(`${pid} ${name}`);
      } catch {
        // already gone
      }
    }
    await sleep(100);
  }
  return killed;
}

/** Unmounts every mount point under `prefix`, deepest first (lazily if a plain umount fails). */
export async function unmountUnder(prefix: string): Promise<string[]> {
  const unmounted: string[] = [];
  for (let round = 0; round < 5; round++) {
    const points = mountPointsUnder([prefix]).sort((a, b) => b.length - a.length);
    if (points.length === 0) break;
    for (const point of points) {
      const plain = await runCommand('umount', [point]);
      if (plain.status !== 0) await runCommand('umount', ['-l', point]);
      unmounted.push(point);
    }
  }
  return [...new Set(unmounted)];
}

function cgroupDirsDeepestFirst(root: string): string[] {
  const dirs: string[] = [];
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry);
      try {
        if (statSync(path).isDirectory()) walk(path);
      } catch {
        // gone meanwhile
      }
    }
    dirs.push(dir);
  };
  walk(root);
  return dirs;
}

/** Removes the kubelet's `kubepods` cgroups (and any a runtime made at a hierarchy's root). */
export async function removeClusterCgroups(): Promise<string[]> {
  const root = '/sys/fs/cgroup';
  const removed: string[] = [];
  if (!existsSync(root)) return removed;
  for (const hierarchy of readdirSync(root)) {
    let tops: string[];
    try {
      tops = readdirSync(join(root, hierarchy)).filter((entry) =>
        /^(kubepods|k8s\.io|containerd)/.test(entry),
      );
    } catch {
      continue;
    }
    for (const top of tops) {
      const topDir = join(root, hierarchy, top);
      for (let attempt = 0; attempt < 20 && existsSync(topDir); attempt++) {
        for (const dir of cgroupDirsDeepestFirst(topDir)) {
          for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
            try {
              process.kill(Number(pid), 'SIGKILL');
            } catch {
              // gone
            }
          }
          try {
            rmdirSync(dir);
          } catch {
            // busy for a moment while its tasks exit; retried
          }
        }
        if (existsSync(topDir)) await sleep(100);
      }
      if (existsSync(topDir)) throw new Error(`could not remove cgroup ${topDir}`);
      removed.push(join(hierarchy, top));
    }
  }
  return removed;
}

/** Chains a cluster component may leave in the host's own tables (never CNI-*: podman's CNI backend owns those). */
const OUR_CHAIN = /^(KUBE-|KUBELLAMA-)/;

/** Deletes KUBE-* and KUBELLAMA-* chains (and the rules that jump to them) from the host's tables. */
export async function removeHostKubeChains(): Promise<string[]> {
  const removed: string[] = [];
  for (const tool of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle', 'raw']) {
      const listing = await runCommand(tool, ['-w', '-t', table, '-S']);
      if (listing.status !== 0) continue;
      const lines = listing.stdout.split('\n');
      const chains = lines
        .map((line) => /^-N (\S+)/.exec(line)?.[1])
        .filter((chain): chain is string => !!chain && OUR_CHAIN.test(chain));
      if (chains.length === 0) continue;
      // Rules in other chains that jump to ours.
      for (const line of lines) {
        const match = /^-A (\S+) (.*)$/.exec(line);
        if (!match?.[1] || !match[2] || OUR_CHAIN.test(match[1])) continue;
        const target = /-[jg] (\S+)/.exec(match[2])?.[1];
        if (target && OUR_CHAIN.test(target))
          await runCommand('sh', ['-c', `${tool} -w -t ${table} -D ${match[1]} ${match[2]}`]);
      }
      for (const chain of chains) await runCommand(tool, ['-w', '-t', table, '-F', chain]);
      for (const chain of chains) {
        await runCommand(tool, ['-w', '-t', table, '-X', chain]);
        removed.push(`${tool}:${table}:${chain}`);
      }
    }
  }
  return removed;
}

/** Writes back every recorded sysctl that differs now; returns `key: now -> before` for each. */
export function restoreSysctls(before: Readonly<Record<string, string>>): string[] {
  const now = readSysctls(Object.keys(before));
  const restored: string[] = [];
  for (const [key, value] of Object.entries(before)) {
    if (now[key] === undefined || now[key] === value) continue;
    writeFileSync(sysctlPath(key), value);
    restored.push(`${key}: ${now[key]} -> ${value}`);
  }
  return restored;
}

/** Removes the default-location paths (HOST_PATHS) that did not exist before the start. */
export function removeNewHostPaths(before: readonly string[]): string[] {
  const removed: string[] = [];
  for (const path of HOST_PATHS) {
    if (before.includes(path) || !existsSync(path)) continue;
    rmSync(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}

/**
 * Where those paths existed before (someone else's), only the cluster's entries: the kubelet's
 * /var/log/containers links into its work folder, libcni's cached results for its network.
 */
export function removeOurEntriesInHostPaths(): string[] {
  const removed: string[] = [];
  const logs = '/var/log/containers';
  if (existsSync(logs))
    for (const entry of readdirSync(logs)) {
      const path = join(logs, entry);
      try {
        if (readlinkSync(path).startsWith(CLUSTER_DIR_PREFIX)) {
          rmSync(path, { force: true });
          removed.push(path);
        }
      } catch {
        // not a link
      }
    }
  const results = '/var/lib/cni/results';
  if (existsSync(results)) {
    const entries = readdirSync(results);
    const ids = new Set(
      entries
        .map((entry) => /^kubellama-([0-9a-f]{64})-/.exec(entry)?.[1])
        .filter((id): id is string => !!id),
    );
    for (const entry of entries) {
      const id = /^cni-loopback-([0-9a-f]{64})-/.exec(entry)?.[1];
      if (entry.startsWith('kubellama-') || (id && ids.has(id))) {
        rmSync(join(results, entry), { force: true });
        removed.push(join(results, entry));
      }
    }
  }
  return removed;
}

function isMountPoint(path: string): boolean {
  return mountPointsUnder([path]).includes(path);
}

/** `ip netns add` turns /run/netns into a shared self-mount (and creates it): put it back as it was. */
export async function restoreRunNetns(existed: boolean, mounted: boolean): Promise<string[]> {
  const done: string[] = [];
  const dir = '/run/netns';
  // Only while no namespace (e.g. a podman container's) is left in it.
  const empty = () => !existsSync(dir) || readdirSync(dir).length === 0;
  if (!mounted && isMountPoint(dir) && empty()) {
    await runCommand('umount', [dir]);
    done.push(`unmounted ${dir}`);
  }
  if (!existed && existsSync(dir) && empty()) {
    rmdirSync(dir);
    done.push(`removed ${dir}`);
  }
  return done;
}

/** The state of /run/netns for the lock record. */
export function runNetnsState(): { runNetnsExisted: boolean; runNetnsMounted: boolean } {
  return { runNetnsExisted: existsSync('/run/netns'), runNetnsMounted: isMountPoint('/run/netns') };
}

/** Work folders of earlier clusters that a crash left behind (their mounts are gone by now). */
export function staleClusterDirs(): string[] {
  const parent = CLUSTER_DIR_PREFIX.slice(0, CLUSTER_DIR_PREFIX.lastIndexOf('/'));
  const base = CLUSTER_DIR_PREFIX.slice(CLUSTER_DIR_PREFIX.lastIndexOf('/') + 1);
  return readdirSync(parent)
    .filter((entry) => entry.startsWith(base))
    .map((entry) => join(parent, entry));
}
