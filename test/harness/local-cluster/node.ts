// The node's own processes, inside its network namespace: containerd v2 (with Debian's runc and CNI
// plugins), the kubelet and kube-proxy (iptables mode). Their files all live in the work folder,
// except what is hard-coded upstream (see teardown.ts for how those are removed).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { runCommand } from '../exec.js';
import type { ServerProcess } from '../server-process.js';
import { waitFor } from '../wait.js';
import { nodeBinary } from './binaries.js';
import type { Track } from './control-plane.js';
import { NODE_NETWORK } from './network.js';
import { startNodeProcess, waitHealthyInNodeNetns, withLogTail } from './node-process.js';

export const CNI_BIN_DIR = '/usr/lib/cni';
export const RUNC = '/usr/bin/runc';

export interface NodePaths {
  readonly containerdDir: string;
  readonly containerdSocket: string;
  readonly cniConfDir: string;
  readonly kubeletRoot: string;
  readonly podLogsDir: string;
}

export function nodePaths(dir: string): NodePaths {
  return {
    containerdDir: join(dir, 'containerd'),
    containerdSocket: join(dir, 'containerd', 'containerd.sock'),
    cniConfDir: join(dir, 'cni', 'net.d'),
    kubeletRoot: join(dir, 'kubelet'),
    podLogsDir: join(dir, 'pod-logs'),
  };
}

function writeCniConfig(dir: string, paths: NodePaths): void {
  mkdirSync(paths.cniConfDir, { recursive: true });
  const config = {
    cniVersion: '1.0.0',
    name: 'kubellama',
    plugins: [
      {
        type: 'bridge',
        bridge: NODE_NETWORK.bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          dataDir: join(dir, 'cni', 'ipam'),
          ranges: [[{ subnet: NODE_NETWORK.podCidr, gateway: NODE_NETWORK.podGateway }]],
          routes: [{ dst: '0.0.0.0/0' }],
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
  writeFileSync(join(paths.cniConfDir, '10-kubellama.conflist'), `${JSON.stringify(config, null, 2)}\n`);
}

function containerdConfig(paths: NodePaths, pauseImage: string): string {
  const c = paths.containerdDir;
  return `version = 3
root = "${c}/root"
state = "${c}/state"
[grpc]
  address = "${paths.containerdSocket}"
[ttrpc]
  address = "${paths.containerdSocket}.ttrpc"
[debug]
  level = "warn"
# Defaults outside the work folder: /opt/containerd, and NRI's socket in /var/run/nri.
[plugins."io.containerd.internal.v1.opt"]
  path = "${c}/opt"
[plugins."io.containerd.nri.v1.nri"]
  disable = true
[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "${pauseImage}"
[plugins."io.containerd.cri.v1.runtime"]
  disable_apparmor = true
  # root here lacks CAP_SYS_RESOURCE: the kubelet's oom_score_adj of -998 would be refused.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = "${RUNC}"
        Root = "${c}/runc"
        SystemdCgroup = false
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["${CNI_BIN_DIR}"]
    conf_dir = "${paths.cniConfDir}"
    max_conf_num = 1
[plugins."io.containerd.grpc.v1.cri"]
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
`;
}

/** containerd v2 with its own shim first in PATH; ready once `ctr version` answers on its socket. */
export async function startContainerd(
  dir: string,
  logDir: string,
  pauseImage: string,
  track: Track,
): Promise<ServerProcess> {
  const paths = nodePaths(dir);
  mkdirSync(paths.containerdDir, { recursive: true });
  writeCniConfig(dir, paths);
  const configFile = join(paths.containerdDir, 'config.toml');
  writeFileSync(configFile, containerdConfig(paths, pauseImage));
  const shimDir = dirname(nodeBinary('containerd-shim-runc-v2'));
  const containerd = startNodeProcess({
    name: 'containerd',
    binary: nodeBinary('containerd'),
    logDir,
    args: ['--config', configFile],
    env: { PATH: `${shimDir}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` },
  });
  track(containerd);
  try {
    await waitFor(
      async () =>
        existsSync(paths.containerdSocket) &&
        (await runCommand(nodeBinary('ctr'), ['--address', paths.containerdSocket, 'version'])).status === 0,
      {
        description: `containerd on ${paths.containerdSocket}`,
        intervalMs: 200,
        abortIf: () => containerd.assertRunning(),
      },
    );
  } catch (error) {
    throw withLogTail(error, containerd);
  }
  return containerd;
}

export interface KubeletOptions {
  readonly nodeName: string;
  readonly kubeconfig: string;
  /** Extra KubeletConfiguration fields, merged over the harness's. */
  readonly config?: Readonly<Record<string, unknown>>;
}

export function kubeletConfig(paths: NodePaths, extra: Readonly<Record<string, unknown>> = {}) {
  const endpoint = `unix://${paths.containerdSocket}`;
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // This host has cgroup v1 (hybrid); the kubelet only refuses it when failCgroupV1 is true.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    containerRuntimeEndpoint: endpoint,
    imageServiceEndpoint: endpoint,
    address: NODE_NETWORK.nodeIp,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    authentication: { anonymous: { enabled: true }, webhook: { enabled: false } },
    authorization: { mode: 'AlwaysAllow' },
    clusterDomain: 'cluster.local',
    clusterDNS: [NODE_NETWORK.dnsServiceIp],
    // Pods never get the host's (outside) nameservers.
    resolvConf: '',
    failSwapOn: false,
    // root lacks CAP_SYS_RESOURCE here.
    oomScoreAdj: 0,
    podLogsDir: paths.podLogsDir,
    // Imported images cannot be pulled again: never collect them.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: {
      'memory.available': '100Mi',
      'nodefs.available': '1%',
      'imagefs.available': '1%',
      'nodefs.inodesFree': '1%',
    },
    registerNode: true,
    serializeImagePulls: false,
    ...extra,
  };
}

export async function startKubelet(
  dir: string,
  logDir: string,
  options: KubeletOptions,
  track: Track,
): Promise<ServerProcess> {
  const paths = nodePaths(dir);
  mkdirSync(paths.kubeletRoot, { recursive: true });
  mkdirSync(paths.podLogsDir, { recursive: true });
  const configFile = join(dir, 'kubelet-config.yaml');
  writeFileSync(configFile, stringify(kubeletConfig(paths, options.config)));
  const kubelet = startNodeProcess({
    name: 'kubelet',
    binary: nodeBinary('kubelet'),
    logDir,
    args: [
      `--config=${configFile}`,
      `--kubeconfig=${options.kubeconfig}`,
      `--root-dir=${paths.kubeletRoot}`,
      // Its default is /var/lib/kubelet/pki whatever --root-dir says.
      `--cert-dir=${join(paths.kubeletRoot, 'pki')}`,
      `--hostname-override=${options.nodeName}`,
      `--node-ip=${NODE_NETWORK.nodeIp}`,
      '--v=1',
    ],
  });
  track(kubelet);
  await waitHealthyInNodeNetns(kubelet, 'http://127.0.0.1:10248/healthz', 90_000);
  return kubelet;
}

export function kubeProxyConfigFile(dir: string, nodeName: string, kubeconfig: string): string {
  const file = join(dir, 'kube-proxy-config.yaml');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      clientConnection: { kubeconfig },
      mode: 'iptables',
      clusterCIDR: NODE_NETWORK.podCidr,
      hostnameOverride: nodeName,
      bindAddress: NODE_NETWORK.nodeIp,
      healthzBindAddress: '127.0.0.1:10256',
      metricsBindAddress: '127.0.0.1:10249',
      nodePortAddresses: [`${NODE_NETWORK.nodeIp}/32`],
      // 0 = leave the (host-wide) conntrack settings alone.
      conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
      iptables: { localhostNodePorts: false },
    }),
  );
  return file;
}

export async function startKubeProxy(
  dir: string,
  logDir: string,
  nodeName: string,
  kubeconfig: string,
  track: Track,
): Promise<ServerProcess> {
  const proxy = startNodeProcess({
    name: 'kube-proxy',
    binary: nodeBinary('kube-proxy'),
    logDir,
    args: [`--config=${kubeProxyConfigFile(dir, nodeName, kubeconfig)}`, '--v=1'],
  });
  track(proxy);
  await waitHealthyInNodeNetns(proxy, 'http://127.0.0.1:10256/healthz', 90_000);
  return proxy;
}
