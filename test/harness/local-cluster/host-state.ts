// What a local cluster can leave behind on the host, as plain data: a test takes a snapshot before
// `startLocalCluster()` and asserts the one after `stop()` equals it.
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { runCommand } from '../exec.js';
import { LOCK_FILE } from './lock.js';
import { NODE_NETWORK } from './network.js';

/** Every cluster's work folder starts with this (see `makeWorkDir('cluster')`). */
export const CLUSTER_DIR_PREFIX = join(tmpdir(), 'kubellama-cluster-');

/**
 * Host-wide (not per network namespace) kernel settings the kubelet sets when
 * `protectKernelDefaults` is false (its `setupKernelTunables`): recorded before the start and
 * written back by the teardown. Forwarding and bridge-netfilter settings are per namespace: the
 * cluster sets them inside its own only (and the host's are podman's to change, not ours to reset).
 */
export const HOST_SYSCTLS = [
  'vm.overcommit_memory',
  'vm.panic_on_oom',
  'kernel.panic',
  'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys',
  'kernel.keys.root_maxbytes',
] as const;

/**
 * Paths outside the work folder that containerd, libcni or the kubelet create whatever their
 * configuration says (libcni's result cache, the shims' sockets in /run/containerd/s, the kubelet's
 * device-plugin socket and /var/log/containers links), and other defaults the configuration moves.
 */
export const HOST_PATHS = [
  '/var/lib/cni',
  '/var/lib/cni/results',
  '/run/containerd',
  '/run/containerd/s',
  '/var/run/nri',
  '/opt/containerd',
  '/var/lib/containerd',
  '/var/lib/kubelet',
  '/var/lib/kubelet/device-plugins',
  '/var/log/pods',
  '/var/log/containers',
  '/etc/kubernetes',
  '/run/kubernetes',
] as const;

/** Binaries only the local cluster runs. */
const CLUSTER_BINARIES = new Set([
  'kubelet',
  'kube-proxy',
  'containerd',
  'containerd-shim-runc-v2',
  'coredns',
  'pause',
]);

/**
 * Binaries other harnesses run too (the vitest global set-up's etcd and API server): ours when their
 * command line names a cluster work folder. A shell or `tail -f` on a cluster's log is not ours.
 */
const SHARED_BINARIES = new Set([
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'ctr',
  'crictl',
  'nsenter',
]);

export interface HostState {
  /** `PID NAME` of every process of a local cluster (its binaries, its work folder, its cgroups or netns). */
  readonly processes: readonly string[];
  /** Mount points under cluster work folders, /run/netns, /run/containerd and the kubelet/containerd defaults. */
  readonly mounts: readonly string[];
  /** Network interfaces of the host's namespace. */
  readonly interfaces: readonly string[];
  /** Named network namespaces (/run/netns). */
  readonly netns: readonly string[];
  /** `iptables|ip6tables:TABLE:CHAIN` for the filter, nat and mangle tables of the host's namespace. */
  readonly iptablesChains: readonly string[];
  readonly sysctls: Readonly<Record<string, string>>;
  /** Top-level cgroups of every hierarchy that a kubelet or containerd makes (`memory/kubepods`, …). */
  readonly cgroups: readonly string[];
  /** Which of `HOST_PATHS` (and the lock file) exist. */
  readonly paths: readonly string[];
}

export function sysctlPath(key: string): string {
  return join('/proc/sys', ...key.split('.'));
}

export function readSysctls(keys: readonly string[] = HOST_SYSCTLS): Record<string, string> {
  const values: Record<string, string> = {};
  for (const key of keys) {
    const path = sysctlPath(key);
    if (existsSync(path)) values[key] = readFileSync(path, 'utf8').trim();
  }
  return values;
}

function readOr(path: string, fallback = ''): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** PIDs (not ours) that belong to a local cluster, with their command names. */
export function clusterProcesses(): { pid: number; name: string }[] {
  const nodeNetns = inodeOf(NODE_NETWORK.netnsPath);
  const found: { pid: number; name: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const name = readOr(`/proc/${pid}/comm`).trim();
    if (!name) continue;
    let exe = '';
    try {
      exe = readlinkSync(`/proc/${pid}/exe`);
    } catch {
      // a kernel thread or a process that just exited
    }
    const cmdline = readOr(`/proc/${pid}/cmdline`).replaceAll('\0', ' ');
    const binary = basename(exe.replace(/ \(deleted\)$/, ''));
    const inClusterDir = cmdline.includes(CLUSTER_DIR_PREFIX);
    const ours =
      CLUSTER_BINARIES.has(binary) ||
      (inClusterDir && (SHARED_BINARIES.has(binary) || cmdline.includes('supervise.sh'))) ||
      readOr(`/proc/${pid}/cgroup`).includes('/kubepods') ||
      (nodeNetns !== undefined && inodeOf(`/proc/${pid}/ns/net`) === nodeNetns);
    if (ours) found.push({ pid, name });
  }
  return found;
}

/** Mount points (deepest last) under `prefixes`. */
export function mountPointsUnder(prefixes: readonly string[]): string[] {
  const points = readOr('/proc/self/mountinfo')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => !!point)
    .map((point) => point.replace(/\\040/g, ' '))
    .filter((point) => prefixes.some((prefix) => point === prefix || point.startsWith(prefix)));
  return [...new Set(points)];
}

export const WATCHED_MOUNT_PREFIXES = [
  CLUSTER_DIR_PREFIX,
  '/run/netns',
  '/run/containerd',
  '/var/lib/kubelet',
  '/var/lib/containerd',
] as const;

async function iptablesChains(): Promise<string[]> {
  const chains: string[] = [];
  for (const tool of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle']) {
      const result = await runCommand(tool, ['-w', '-t', table, '-S']);
      if (result.status !== 0) continue;
      for (const line of result.stdout.split('\n')) {
        const match = /^-[NP] (\S+)/.exec(line);
        if (match?.[1]) chains.push(`${tool}:${table}:${match[1]}`);
      }
    }
  }
  return chains.sort();
}

async function hostInterfaces(): Promise<string[]> {
  const result = await runCommand('ip', ['-o', 'link', 'show']);
  return result.stdout
    .split('\n')
    .map((line) => /^\d+: ([^:@]+)/.exec(line)?.[1])
    .filter((name): name is string => !!name)
    .sort();
}

export function clusterCgroups(): string[] {
  const root = '/sys/fs/cgroup';
  const found: string[] = [];
  if (!existsSync(root)) return found;
  for (const hierarchy of readdirSync(root)) {
    const dir = join(root, hierarchy);
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    for (const entry of entries)
      if (/^(kubepods|k8s\.io|containerd)/.test(entry) && statSync(join(dir, entry)).isDirectory())
        found.push(join(hierarchy, entry));
  }
  return found.sort();
}

export async function hostStateSnapshot(): Promise<HostState> {
  return {
    processes: clusterProcesses()
      .map((p) => `${p.pid} ${p.name}`)
      .sort(),
    mounts: mountPointsUnder(WATCHED_MOUNT_PREFIXES).sort(),
    interfaces: await hostInterfaces(),
    netns: existsSync('/run/netns') ? readdirSync('/run/netns').sort() : [],
    iptablesChains: await iptablesChains(),
    sysctls: readSysctls(),
    cgroups: clusterCgroups(),
    paths: [...HOST_PATHS, LOCK_FILE].filter((path) => existsSync(path)),
  };
}

/**
 * The state without what other podman users of this host (netavark networks, which come and go
 * while a cluster runs) own: `podmanN` bridges, their `vethN` ends, `netns-*` namespaces and their
 * mounts, NETAVARK chains. None of these names is ever a local cluster's.
 */
export function withoutPodmanNetworks(state: HostState): HostState {
  const podmanNetns = /^netns-[0-9a-f-]+$/;
  return {
    ...state,
    interfaces: state.interfaces.filter((name) => !/^(podman\d+|veth\d+)$/.test(name)),
    netns: state.netns.filter((name) => !podmanNetns.test(name)),
    mounts: state.mounts.filter((point) => !podmanNetns.test(point.replace(/^\/run\/netns\//, ''))),
    iptablesChains: state.iptablesChains.filter((chain) => !/:NETAVARK/.test(chain)),
  };
}
