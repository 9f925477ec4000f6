// The node's network: a network namespace the harness creates, joined to the host by a veth pair.
// Every node process (etcd, the control plane, containerd, kubelet, kube-proxy) and every Pod lives
// behind it, so their iptables rules, bridge, routes and per-namespace sysctls vanish with it.
//
//   host netns                         node netns "kubellama-node"
//   kubellama-host 198.18.0.1/30  <->  eth0 198.18.0.2/30 (node IP, API server address)
//   routes 198.18.1.0/24, 198.19.0.0/16     cni0 198.18.1.1/24 (the CNI bridge, made by the plugin)
//          via 198.18.0.2                   Pods 198.18.1.0/24, Services 198.19.0.0/16
//
// Addresses come from the benchmarking range 198.18.0.0/15, never 10.x. The node namespace has no
// default route (Pods reach nothing but the node, other Pods and the host end of the veth); a guard
// chain inside it drops anything leaving through eth0 that is not for the host's veth address, and
// the host's veth never forwards (per-interface `forwarding=0`), so nothing can leave the machine.
import { existsSync, writeFileSync } from 'node:fs';
import { runCommand, runOk } from '../exec.js';

export const NODE_NETWORK = {
  netns: 'kubellama-node',
  netnsPath: '/run/netns/kubellama-node',
  hostVeth: 'kubellama-host',
  nodeVeth: 'eth0',
  hostIp: '198.18.0.1',
  nodeIp: '198.18.0.2',
  linkPrefixLength: 30,
  podCidr: '198.18.1.0/24',
  podGateway: '198.18.1.1',
  bridge: 'cni0',
  serviceCidr: '198.19.0.0/16',
  kubernetesServiceIp: '198.19.0.1',
  dnsServiceIp: '198.19.0.10',
  guardChain: 'KUBELLAMA-GUARD',
} as const;

const N = NODE_NETWORK;

/** `nsenter` arguments that run a command in the node's network namespace (and nothing else). */
export function inNodeNetns(command: string, args: readonly string[] = []): [string, string[]] {
  // Not `ip netns exec`: that also makes a new mount namespace per call, and the kubelet's volume
  // mounts must stay visible to containerd and runc.
  return ['nsenter', [`--net=${N.netnsPath}`, '--', command, ...args]];
}

export function runInNodeNetns(command: string, args: readonly string[], timeoutMs?: number) {
  const [cmd, full] = inNodeNetns(command, args);
  return runOk(cmd, full, timeoutMs ? { timeoutMs } : {});
}

/** The HTTP status of a GET made from inside the node's namespace (0 when it could not connect). */
export async function httpStatusInNodeNetns(url: string): Promise<number> {
  const [cmd, args] = inNodeNetns('curl', [
    '-sk',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '--max-time',
    '3',
    '--noproxy',
    '*',
    url,
  ]);
  const result = await runCommand(cmd, args, { timeoutMs: 10_000 });
  return Number(result.stdout.trim()) || 0;
}

export function nodeNetnsExists(): boolean {
  return existsSync(N.netnsPath);
}

function writeSysctlInNetns(key: string, value: string): Promise<string> {
  return runInNodeNetns('sysctl', ['-qw', `${key}=${value}`]);
}

/** Creates the namespace, the veth pair, host routes and the guard. Throws if any step fails. */
export async function createNodeNetwork(): Promise<void> {
  await runOk('ip', ['netns', 'add', N.netns]);
  await runOk('ip', [
    'link',
    'add',
    N.hostVeth,
    'type',
    'veth',
    'peer',
    'name',
    N.nodeVeth,
    'netns',
    N.netns,
  ]);
  // The host end never forwards what arrives on it (the host's ip_forward is left as it is).
  writeFileSync(`/proc/sys/net/ipv4/conf/${N.hostVeth}/forwarding`, '0');
  writeFileSync(`/proc/sys/net/ipv6/conf/${N.hostVeth}/disable_ipv6`, '1');
  await runOk('ip', ['addr', 'add', `${N.hostIp}/${N.linkPrefixLength}`, 'dev', N.hostVeth]);
  await runOk('ip', ['link', 'set', N.hostVeth, 'up']);

  await runOk('ip', ['-n', N.netns, 'link', 'set', 'lo', 'up']);
  await runOk('ip', ['-n', N.netns, 'addr', 'add', `${N.nodeIp}/${N.linkPrefixLength}`, 'dev', N.nodeVeth]);
  await runOk('ip', ['-n', N.netns, 'link', 'set', N.nodeVeth, 'up']);
  // Per-namespace: Pod -> ClusterIP (DNAT back onto the bridge) and host -> Pod need forwarding.
  await writeSysctlInNetns('net.ipv4.ip_forward', '1');
  await writeSysctlInNetns('net.ipv6.conf.all.disable_ipv6', '1');
  await writeSysctlInNetns('net.ipv6.conf.default.disable_ipv6', '1');
  const guard = N.guardChain;
  await runInNodeNetns('iptables', ['-w', '-t', 'mangle', '-N', guard]);
  await runInNodeNetns('iptables', [
    '-w',
    '-t',
    'mangle',
    '-A',
    guard,
    '-o',
    N.nodeVeth,
    '-d',
    `${N.hostIp}/32`,
    '-j',
    'RETURN',
  ]);
  await runInNodeNetns('iptables', ['-w', '-t', 'mangle', '-A', guard, '-o', N.nodeVeth, '-j', 'DROP']);
  await runInNodeNetns('iptables', ['-w', '-t', 'mangle', '-I', 'POSTROUTING', '1', '-j', guard]);

  for (const cidr of [N.podCidr, N.serviceCidr])
    await runOk('ip', ['route', 'add', cidr, 'via', N.nodeIp, 'dev', N.hostVeth]);
}

async function hostLinkExists(name: string): Promise<boolean> {
  return (await runCommand('ip', ['link', 'show', 'dev', name])).status === 0;
}

/**
 * Deletes the namespace (its bridge, iptables rules and sysctls go with it) and the host's veth end
 * (its routes go with it). Idempotent. The caller has stopped every process inside first.
 */
export async function deleteNodeNetwork(): Promise<void> {
  if (nodeNetnsExists()) await runOk('ip', ['netns', 'delete', N.netns]);
  // The kernel frees a namespace (and with it the veth pair) asynchronously.
  for (let i = 0; i < 50 && (await hostLinkExists(N.hostVeth)); i++)
    await new Promise((resolve) => setTimeout(resolve, 100));
  if (await hostLinkExists(N.hostVeth)) await runOk('ip', ['link', 'delete', N.hostVeth]);
}
