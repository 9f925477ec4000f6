// startLocalCluster(): a real single-node Kubernetes (v1.37.2 control plane, kubelet, kube-proxy,
// containerd v2, CoreDNS) inside a network namespace of its own, for end-to-end tests. Needs root.
// See ../../../../shared/local-cluster.md for the recipe it follows and network.ts for the layout.
//
//   const cluster = await startLocalCluster();
//   await cluster.loadImage('localhost/kubellama/operator:dev');   // from the harness's podman
//   await cluster.kubectl(['apply', '-f', '-'], { input: manifests });
//   await cluster.addFakeGpus(1);
//   await cluster.stop();                                           // the host is as it was
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, runOk } from '../exec.js';
import type { ServerProcess } from '../server-process.js';
import { httpGet, waitFor } from '../wait.js';
import { makeWorkDir, removeWorkDir } from '../workdir.js';
import { writeClusterAuth, writeKubeconfigs } from './auth.js';
import { nodeBinary } from './binaries.js';
import { startApiServer, startControllers, startEtcdInNode } from './control-plane.js';
import { corednsManifests } from './coredns.js';
import { CLUSTER_DIR_PREFIX, HOST_PATHS, readSysctls } from './host-state.js';
import {
  acquireLock,
  LOCK_FILE,
  LockHeldError,
  type LockRecord,
  readLock,
  releaseLock,
  updateLock,
} from './lock.js';
import {
  createNodeNetwork,
  deleteNodeNetwork,
  inNodeNetns,
  NODE_NETWORK,
  nodeNetnsExists,
} from './network.js';
import {
  CNI_BIN_DIR,
  kubeProxyConfigFile,
  nodePaths,
  RUNC,
  startContainerd,
  startKubelet,
  startKubeProxy,
} from './node.js';
import { ensureCorednsImage, ensurePauseImage, imageArchive, importArchive } from './node-images.js';
import {
  killClusterProcesses,
  removeClusterCgroups,
  removeHostKubeChains,
  removeNewHostPaths,
  removeOurEntriesInHostPaths,
  restoreRunNetns,
  restoreSysctls,
  runNetnsState,
  staleClusterDirs,
  unmountUnder,
} from './teardown.js';

export interface LocalClusterOptions {
  /** @default 'kubellama-node' */
  readonly nodeName?: string;
  /** Progress lines (each step with its elapsed time). */
  readonly log?: (line: string) => void;
  /** Deploy CoreDNS (kube-dns at 198.19.0.10) and wait for it. @default true */
  readonly dns?: boolean;
  /** Extra kube-apiserver flags. */
  readonly apiServerArgs?: readonly string[];
  /** Extra KubeletConfiguration fields. */
  readonly kubeletConfig?: Readonly<Record<string, unknown>>;
  /**
   * How long to wait for another process's cluster to go (one cluster per host) before failing
   * with its PID. A process's own second start fails at once. @default 0
   */
  readonly lockWaitMs?: number;
}

export interface TeardownReport {
  readonly ms: number;
  /** What the teardown found and removed beyond stopping its own processes (leftovers). */
  readonly actions: readonly string[];
}

export interface LocalCluster {
  /** Admin (system:masters) kubeconfig; the server is `apiServerUrl`, reached from the host through the veth. */
  readonly kubeconfigPath: string;
  readonly nodeName: string;
  /** The node's InternalIP: also the API server's bind and advertise address. */
  readonly nodeIp: string;
  readonly apiServerUrl: string;
  /** The API server's self-signed certificate (its own CA), and the admin token of the kubeconfig. */
  readonly caFile: string;
  readonly adminToken: string;
  /** Work folder (logs in `logDir`): removed by stop() unless KUBELLAMA_KEEP_HARNESS=1. */
  readonly dir: string;
  readonly logDir: string;
  readonly processes: readonly ServerProcess[];
  readonly bringUpMs: number;
  /** Imports an image of the harness's podman (e.g. `localhost/…:tag`) into the node's containerd. */
  loadImage(ref: string): Promise<void>;
  /** Sets the Node's capacity and allocatable `nvidia.com/gpu` to `count`. */
  addFakeGpus(count: number): Promise<void>;
  /**
   * Stops the API server (SIGTERM, SIGKILL after 15 s) and starts it again with the same flags,
   * certificates and etcd, as a control-plane upgrade or crash does; resolves with the ms it was
   * away once /readyz answers again.
   */
  restartApiServer(): Promise<number>;
  /** Runs the built kubectl with the admin kubeconfig; resolves to its stdout, throws with its stderr. */
  kubectl(args: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<string>;
  /** GET on the API server as admin, parsed JSON (throws on a non-2xx status). */
  apiGet<T = unknown>(path: string): Promise<T>;
  /** Stops everything and puts the host back as it was (see teardown.ts). Idempotent. */
  stop(): Promise<TeardownReport>;
}

const NODE_BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'kube-proxy',
  'kubectl',
  'containerd',
  'containerd-shim-runc-v2',
  'ctr',
  'coredns',
] as const;

/** Why a local cluster cannot run here, or undefined when it can. */
export function localClusterSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux (network namespaces, cgroups)';
  if (process.getuid?.() !== 0) return 'needs root (network namespace, iptables, mounts, cgroups)';
  for (const tool of ['ip', 'nsenter', 'iptables', 'sysctl', 'curl', 'gcc', 'podman', 'umount'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  if (!existsSync(RUNC)) return `${RUNC} is missing (apt-get install runc)`;
  for (const plugin of ['bridge', 'host-local', 'portmap', 'loopback'])
    if (!existsSync(join(CNI_BIN_DIR, plugin)))
      return `CNI plugin ${plugin} is missing in ${CNI_BIN_DIR} (apt-get install containernetworking-plugins)`;
  if (!existsSync('/sys/fs/cgroup')) return 'no /sys/fs/cgroup';
  for (const binary of NODE_BINARIES) {
    try {
      nodeBinary(binary);
    } catch (error) {
      return (error as Error).message;
    }
  }
  return undefined;
}

type Before = Pick<LockRecord, 'sysctls' | 'paths' | 'runNetnsExisted' | 'runNetnsMounted'>;

/** The host-level half of the teardown (no process of ours is left to stop gracefully). */
async function cleanHost(
  before: Before,
  dirs: readonly string[],
): Promise<{ actions: string[]; errors: string[] }> {
  const actions: string[] = [];
  const errors: string[] = [];
  const step = async (name: string, action: () => Promise<string[]> | string[]) => {
    try {
      for (const done of await action()) actions.push(`${name}: ${done}`);
    } catch (error) {
      errors.push(`${name}: ${(error as Error).message}`);
    }
  };
  await step('killed', killClusterProcesses);
  await step('unmounted', () => unmountUnder(CLUSTER_DIR_PREFIX));
  await step('removed cgroup', removeClusterCgroups);
  await step('network', async () => {
    const existed = nodeNetnsExists();
    await deleteNodeNetwork();
    return existed ? [`deleted netns ${NODE_NETWORK.netns} and ${NODE_NETWORK.hostVeth}`] : [];
  });
  await step('removed host chain', removeHostKubeChains);
  await step('restored sysctl', () => restoreSysctls(before.sysctls));
  await step('removed path', () => removeNewHostPaths(before.paths));
  await step('removed', removeOurEntriesInHostPaths);
  await step('/run/netns', () => restoreRunNetns(before.runNetnsExisted, before.runNetnsMounted));
  await step('work folder', () => {
    for (const dir of dirs) removeWorkDir(dir);
    return [];
  });
  return { actions, errors };
}

/**
 * Removes what a crashed cluster left (processes, mounts, cgroups, netns, chains, sysctls, paths,
 * work folders, the lock), using the host state its lock recorded. Refuses while the lock's holder
 * lives. `startLocalCluster()` does the same by itself; this is for a `down` command.
 */
export async function cleanUpCrashedCluster(): Promise<{ holderPid?: number; actions: string[] }> {
  const holder = readLock();
  if (holder) {
    let alive = true;
    try {
      process.kill(holder.pid, 0);
    } catch (error) {
      alive = (error as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (alive) throw new Error(`PID ${holder.pid} holds ${LOCK_FILE}: stop its cluster first`);
  }
  const before: Before = holder ?? {
    sysctls: readSysctls(),
    paths: HOST_PATHS.filter((path) => existsSync(path)),
    ...runNetnsState(),
  };
  const { actions, errors } = await cleanHost(before, staleClusterDirs());
  if (errors.length) throw new Error(`could not clean up after a crashed cluster:\n${errors.join('\n')}`);
  rmSync(LOCK_FILE, { force: true });
  return { ...(holder ? { holderPid: holder.pid } : {}), actions };
}

async function stopGently(process: ServerProcess | undefined, graceMs: number): Promise<void> {
  await process?.stop(graceMs);
}

export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const reason = localClusterSkipReason();
  if (reason) throw new Error(`startLocalCluster: ${reason}`);
  let started = Date.now();
  const log = (line: string) =>
    options.log?.(`[local-cluster +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);
  const nodeName = options.nodeName ?? 'kubellama-node';

  const dir = makeWorkDir('cluster');
  // The host as it is before this cluster: read again on every attempt, so never while another runs.
  const hostNow = (): Before => ({
    sysctls: readSysctls(),
    paths: HOST_PATHS.filter((path) => existsSync(path)),
    ...runNetnsState(),
  });
  let before = hostNow();
  let record: LockRecord = { pid: process.pid, workDir: dir, startedAt: new Date().toISOString(), ...before };
  let stale: LockRecord | undefined;
  const lockDeadline = Date.now() + (options.lockWaitMs ?? 0);
  for (;;) {
    try {
      before = hostNow();
      record = { ...record, startedAt: new Date().toISOString(), ...before };
      stale = acquireLock(record);
      started = Date.now(); // bring-up time without the wait for another cluster
      break;
    } catch (error) {
      const waitable =
        error instanceof LockHeldError && error.holder.pid !== process.pid && Date.now() < lockDeadline;
      if (!waitable) {
        removeWorkDir(dir);
        throw error;
      }
      log(`waiting for PID ${error.holder.pid}'s cluster to go`);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
  if (stale || nodeNetnsExists()) {
    // A crashed run: undo it with what it recorded about the host before it started.
    const previous: Before = stale ?? before;
    const cleaned = await cleanHost(
      previous,
      staleClusterDirs().filter((d) => d !== dir),
    );
    log(
      `cleaned up after a crashed cluster (PID ${stale?.pid ?? '?'}): ${cleaned.actions.join('; ') || 'nothing'}`,
    );
    if (cleaned.errors.length) {
      releaseLock();
      removeWorkDir(dir);
      throw new Error(`could not clean up after an earlier cluster:\n${cleaned.errors.join('\n')}`);
    }
    record = {
      ...record,
      sysctls: previous.sysctls,
      paths: previous.paths,
      runNetnsExisted: previous.runNetnsExisted,
      runNetnsMounted: previous.runNetnsMounted,
    };
    updateLock(record);
  }

  const logDir = join(dir, 'logs');
  const paths = nodePaths(dir);
  const processes: ServerProcess[] = [];
  const track = (p: ServerProcess) => processes.push(p);
  const named = (name: string) => processes.find((p) => p.name === name);
  let adminKubeconfig = '';
  let apiServerUrl = '';
  let caFile = '';
  let caCert = '';
  const auth = writeClusterAuth(join(dir, 'auth'), nodeName);
  mkdirSync(logDir, { recursive: true });

  // Clients only while the node's veth and host routes exist: without them the API server's address
  // would be routed out of the machine through the host's default route.
  let networkUp = false;
  const assertNetworkUp = () => {
    if (!networkUp)
      throw new Error(`the local cluster's network is down (stopped?): no request to ${apiServerUrl}`);
  };
  const kubectl = (args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}) => {
    assertNetworkUp();
    return runOk(nodeBinary('kubectl'), ['--kubeconfig', adminKubeconfig, ...args], opts);
  };
  const apiGet = async <T>(path: string): Promise<T> => {
    assertNetworkUp();
    const response = await httpGet(`${apiServerUrl}${path}`, {
      ca: caCert,
      headers: { Authorization: `Bearer ${auth.adminToken}` },
    });
    if (response.status < 200 || response.status > 299)
      throw new Error(`GET ${path}: ${response.status} ${response.body.slice(0, 500)}`);
    return JSON.parse(response.body) as T;
  };
  const loadImage = async (ref: string) => importArchive(paths.containerdSocket, await imageArchive(ref));

  let stopped: Promise<TeardownReport> | undefined;
  const stop = (): Promise<TeardownReport> => {
    stopped ??= (async () => {
      const t0 = Date.now();
      const errors: string[] = [];
      const actions: string[] = [];
      const attempt = async (name: string, action: () => Promise<unknown>) => {
        try {
          await action();
        } catch (error) {
          errors.push(`${name}: ${(error as Error).message}`);
        }
      };
      const apiUp = () => named('kube-apiserver') && adminKubeconfig;
      // No controller may recreate what is deleted next; no scheduler may place it.
      await attempt('stop controllers', async () => {
        await Promise.all([
          stopGently(named('kube-controller-manager'), 5_000),
          stopGently(named('kube-scheduler'), 5_000),
        ]);
      });
      // Delete every Pod while the kubelet still runs: it unmounts volumes and calls CNI DEL.
      if (apiUp() && named('kubelet')) {
        await attempt('delete pods', async () => {
          await kubectl(['delete', 'pods', '--all', '--all-namespaces', '--grace-period=1', '--wait=false']);
          await waitFor(async () => (await apiGet<{ items: unknown[] }>('/api/v1/pods')).items.length === 0, {
            description: 'every Pod to be deleted by the kubelet',
            timeoutMs: 60_000,
            intervalMs: 250,
          });
        });
      }
      await attempt('stop kubelet', () => stopGently(named('kubelet'), 10_000));
      // Sandboxes the kubelet did not get to remove.
      if (named('containerd')) {
        await attempt('remove sandboxes', async () => {
          let crictl: string | undefined;
          try {
            crictl = nodeBinary('crictl');
          } catch {
            crictl = undefined;
          }
          if (crictl) {
            const endpoint = `unix://${paths.containerdSocket}`;
            const left = await runOk(crictl, ['--runtime-endpoint', endpoint, 'pods', '-q']);
            if (left.trim()) {
              actions.push(`removed sandboxes: ${left.trim().split('\n').length}`);
              await runOk(crictl, ['--runtime-endpoint', endpoint, 'rmp', '-fa'], { timeoutMs: 60_000 });
            }
          } else {
            const ctr = (args: string[]) =>
              runCommand(nodeBinary('ctr'), [
                '--address',
                paths.containerdSocket,
                '--namespace',
                'k8s.io',
                ...args,
              ]);
            const ids = (await ctr(['containers', 'list', '-q'])).stdout.split('\n').filter(Boolean);
            if (ids.length) actions.push(`removed containers: ${ids.length}`);
            for (const id of ids) {
              await ctr(['tasks', 'kill', '--signal', 'SIGKILL', id]);
              await ctr(['tasks', 'delete', '--force', id]);
              await ctr(['containers', 'delete', id]);
            }
          }
        });
      }
      await attempt('stop kube-proxy', async () => {
        const proxy = named('kube-proxy');
        await stopGently(proxy, 5_000);
        if (proxy && nodeNetnsExists()) {
          const [cmd, args] = inNodeNetns(nodeBinary('kube-proxy'), [
            '--cleanup',
            `--config=${kubeProxyConfigFile(dir, nodeName, join(auth.dir, 'kube-proxy.kubeconfig'))}`,
          ]);
          await runOk(cmd, args, { timeoutMs: 60_000 });
        }
      });
      await attempt('stop containerd', () => stopGently(named('containerd'), 10_000));
      // A SIGTERMed kube-apiserver here stops listening at once but can linger a minute: SIGKILL after 15 s.
      await attempt('stop kube-apiserver', () => stopGently(named('kube-apiserver'), 15_000));
      await attempt('stop etcd', () => stopGently(named('etcd'), 5_000));
      await attempt('stop the rest', () => Promise.all(processes.map((p) => p.stop(2_000))));
      networkUp = false;
      const host = await cleanHost(record, [dir]);
      actions.push(...host.actions);
      errors.push(...host.errors);
      releaseLock();
      const report = { ms: Date.now() - t0, actions };
      if (errors.length)
        throw new Error(
          `local cluster teardown left problems:\n${errors.join('\n')}\nactions: ${actions.join('; ')}`,
        );
      return report;
    })();
    return stopped;
  };

  try {
    log(`work folder ${dir}`);
    await createNodeNetwork();
    networkUp = true;
    log(
      `netns ${NODE_NETWORK.netns}: node ${NODE_NETWORK.nodeIp}, Pods ${NODE_NETWORK.podCidr}, Services ${NODE_NETWORK.serviceCidr}`,
    );

    // Images and the runtime in parallel with the control plane.
    const pauseArchive = ensurePauseImage().then(async (ref) => ({ ref, archive: await imageArchive(ref) }));
    const corednsArchive =
      options.dns === false
        ? undefined
        : ensureCorednsImage().then(async (ref) => ({ ref, archive: await imageArchive(ref) }));
    pauseArchive.catch(() => undefined);
    corednsArchive?.catch(() => undefined);

    const controlPlane = (async () => {
      await startEtcdInNode(dir, logDir, track);
      log('etcd healthy');
      const apiserver = await startApiServer(dir, logDir, auth, track, options.apiServerArgs);
      apiServerUrl = apiserver.url;
      caFile = apiserver.caFile;
      caCert = apiserver.caCert;
      const kubeconfigs = writeKubeconfigs(auth, apiServerUrl, caFile);
      adminKubeconfig = kubeconfigs.admin;
      log(`kube-apiserver ready at ${apiServerUrl}`);
      await startControllers(logDir, auth, adminKubeconfig, caFile, track);
      log('controller-manager and scheduler healthy');
      return kubeconfigs;
    })();
    const runtime = (async () => {
      const pause = await pauseArchive;
      await startContainerd(dir, logDir, pause.ref, track);
      await importArchive(paths.containerdSocket, pause.archive);
      log(`containerd ready, ${pause.ref} imported`);
      if (corednsArchive) {
        const coredns = await corednsArchive;
        await importArchive(paths.containerdSocket, coredns.archive);
        return coredns.ref;
      }
      return undefined;
    })();
    // Both settle before anything is torn down: no process may start after a failed start's stop().
    const [controlPlaneDone, runtimeDone] = await Promise.allSettled([controlPlane, runtime]);
    if (controlPlaneDone.status === 'rejected') throw controlPlaneDone.reason;
    if (runtimeDone.status === 'rejected') throw runtimeDone.reason;
    const kubeconfigs = controlPlaneDone.value;
    const corednsRef = runtimeDone.value;
    if (corednsRef) await kubectl(['apply', '-f', '-'], { input: corednsManifests(corednsRef) });
    await Promise.all([
      startKubelet(
        dir,
        logDir,
        { nodeName, kubeconfig: kubeconfigs.kubelet, config: options.kubeletConfig },
        track,
      ),
      startKubeProxy(dir, logDir, nodeName, kubeconfigs.proxy, track),
    ]);
    log('kubelet and kube-proxy healthy');

    type Node = { status?: { conditions?: { type: string; status: string; message?: string }[] } };
    const kubelet = named('kubelet')!;
    await waitFor(
      async () =>
        (await apiGet<Node>(`/api/v1/nodes/${nodeName}`)).status?.conditions?.some(
          (c) => c.type === 'Ready' && c.status === 'True',
        ),
      {
        description: `Node ${nodeName} Ready`,
        timeoutMs: 90_000,
        intervalMs: 250,
        abortIf: () => kubelet.assertRunning(),
      },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- kubelet log (tail):\n${kubelet.logTail(40)}`);
    });
    log(`Node ${nodeName} Ready`);
    // Pods need their namespace's default ServiceAccount (made by the controller-manager).
    await waitFor(async () => apiGet('/api/v1/namespaces/default/serviceaccounts/default'), {
      description: 'the default ServiceAccount',
      intervalMs: 250,
    });
    if (corednsRef) {
      type Deployment = { status?: { readyReplicas?: number } };
      await waitFor(
        async () =>
          ((await apiGet<Deployment>('/apis/apps/v1/namespaces/kube-system/deployments/coredns')).status
            ?.readyReplicas ?? 0) >= 1,
        {
          description: 'CoreDNS ready',
          timeoutMs: 90_000,
          intervalMs: 250,
          abortIf: () => kubelet.assertRunning(),
        },
      ).catch(async (error: Error) => {
        const pods = [
          await kubectl(['-n', 'kube-system', 'describe', 'pods']).catch((e: Error) => e.message),
          await kubectl(['-n', 'kube-system', 'logs', 'deploy/coredns', '--tail=20']).catch(
            (e: Error) => e.message,
          ),
        ].join('\n--- CoreDNS log:\n');
        throw new Error(
          `${error.message}\n--- kube-system pods:\n${pods.slice(-3000)}\n--- kubelet log (tail):\n${kubelet.logTail(30)}`,
        );
      });
      log('CoreDNS ready');
    }
  } catch (error) {
    await stop().catch((teardownError: Error) => {
      (error as Error).message += `\n(and the teardown after the failed start: ${teardownError.message})`;
    });
    throw error;
  }

  const bringUpMs = Date.now() - started;
  log(`up in ${(bringUpMs / 1000).toFixed(1)} s`);
  return {
    kubeconfigPath: adminKubeconfig,
    nodeName,
    nodeIp: NODE_NETWORK.nodeIp,
    apiServerUrl,
    caFile,
    adminToken: auth.adminToken,
    dir,
    logDir,
    processes,
    bringUpMs,
    loadImage,
    async addFakeGpus(count: number) {
      const gpus = { 'nvidia.com/gpu': String(count) };
      // Allocatable too: else the scheduler waits for the kubelet's next status sync (~10 s).
      await kubectl([
        'patch',
        'node',
        nodeName,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status: { capacity: gpus, allocatable: gpus } }),
      ]);
    },
    async restartApiServer() {
      const old = named('kube-apiserver');
      if (!old) throw new Error('restartApiServer: the cluster has no kube-apiserver (stopped?)');
      const t0 = Date.now();
      await old.stop(15_000);
      processes.splice(processes.indexOf(old), 1);
      await startApiServer(dir, logDir, auth, track, options.apiServerArgs);
      return Date.now() - t0;
    },
    kubectl,
    apiGet,
    stop,
  };
}
