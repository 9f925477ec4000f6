// etcd, kube-apiserver, kube-controller-manager and kube-scheduler inside the node's network
// namespace. The namespace is new and ours, so the well-known ports are free there; etcd and the
// controllers' health ports stay on its loopback, and the API server listens on the node IP only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerProcess } from '../server-process.js';
import { httpGet, waitFor } from '../wait.js';
import type { ClusterAuth } from './auth.js';
import { nodeBinary } from './binaries.js';
import { NODE_NETWORK } from './network.js';
import { startNodeProcess, waitHealthyInNodeNetns, withLogTail } from './node-process.js';

export const API_SERVER_PORT = 6443;
const ETCD_CLIENT = 'http://127.0.0.1:2379';
const ETCD_PEER = 'http://127.0.0.1:2380';
const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** Every process started is handed to `track` at once, so a failed start still stops it. */
export type Track = (process: ServerProcess) => void;

export async function startEtcdInNode(dir: string, logDir: string, track: Track): Promise<ServerProcess> {
  const etcd = startNodeProcess({
    name: 'etcd',
    binary: nodeBinary('etcd'),
    logDir,
    args: [
      '--name=node',
      `--data-dir=${join(dir, 'etcd-data')}`,
      `--listen-client-urls=${ETCD_CLIENT}`,
      `--advertise-client-urls=${ETCD_CLIENT}`,
      `--listen-peer-urls=${ETCD_PEER}`,
      `--initial-advertise-peer-urls=${ETCD_PEER}`,
      `--initial-cluster=node=${ETCD_PEER}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
  });
  track(etcd);
  await waitHealthyInNodeNetns(etcd, `${ETCD_CLIENT}/health`);
  return etcd;
}

export interface ApiServer {
  readonly process: ServerProcess;
  readonly url: string;
  readonly caFile: string;
  readonly caCert: string;
}

export async function startApiServer(
  dir: string,
  logDir: string,
  auth: ClusterAuth,
  track: Track,
  extraArgs: readonly string[] = [],
): Promise<ApiServer> {
  const url = `https://${NODE_NETWORK.nodeIp}:${API_SERVER_PORT}`;
  const certDir = join(dir, 'certs');
  const apiserver = startNodeProcess({
    name: 'kube-apiserver',
    binary: nodeBinary('kube-apiserver'),
    logDir,
    args: [
      `--etcd-servers=${ETCD_CLIENT}`,
      `--bind-address=${NODE_NETWORK.nodeIp}`,
      `--advertise-address=${NODE_NETWORK.nodeIp}`,
      `--secure-port=${API_SERVER_PORT}`,
      `--cert-dir=${certDir}`,
      `--service-cluster-ip-range=${NODE_NETWORK.serviceCidr}`,
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${auth.serviceAccountPub}`,
      `--service-account-signing-key-file=${auth.serviceAccountKey}`,
      `--token-auth-file=${auth.tokensFile}`,
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NodeRestriction',
      '--allow-privileged=true',
      '--profiling=false',
      // Else it dials the kubelet by hostname, resolved through the host's resolver (outside).
      '--kubelet-preferred-address-types=InternalIP',
      ...extraArgs,
    ],
  });
  track(apiserver);
  try {
    // The self-signed serving certificate (its own CA) appears once the server starts listening.
    const caFile = join(certDir, 'apiserver.crt');
    const caCert = await waitFor(async () => readFileSync(caFile, 'utf8'), {
      description: `kube-apiserver's certificate in ${certDir}`,
      abortIf: () => apiserver.assertRunning(),
    });
    // From the host, through the veth: the path every client of the cluster takes.
    await waitFor(
      async () =>
        (
          await httpGet(`${url}/readyz`, {
            ca: caCert,
            headers: { Authorization: `Bearer ${auth.adminToken}` },
          })
        ).status === 200,
      {
        description: `kube-apiserver /readyz at ${url}`,
        timeoutMs: 120_000,
        intervalMs: 200,
        abortIf: () => apiserver.assertRunning(),
      },
    );
    return { process: apiserver, url, caFile, caCert };
  } catch (error) {
    throw withLogTail(error, apiserver);
  }
}

/** Controller-manager and scheduler with the admin kubeconfig; resolves once both are healthy. */
export async function startControllers(
  logDir: string,
  auth: ClusterAuth,
  adminKubeconfig: string,
  caFile: string,
  track: Track,
): Promise<ServerProcess[]> {
  const delegated = [
    `--kubeconfig=${adminKubeconfig}`,
    `--authentication-kubeconfig=${adminKubeconfig}`,
    `--authorization-kubeconfig=${adminKubeconfig}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
  ];
  const manager = startNodeProcess({
    name: 'kube-controller-manager',
    binary: nodeBinary('kube-controller-manager'),
    logDir,
    args: [
      ...delegated,
      '--secure-port=10257',
      `--service-account-private-key-file=${auth.serviceAccountKey}`,
      `--root-ca-file=${caFile}`,
      '--use-service-account-credentials=false',
      '--controllers=*',
    ],
  });
  track(manager);
  const scheduler = startNodeProcess({
    name: 'kube-scheduler',
    binary: nodeBinary('kube-scheduler'),
    logDir,
    args: [...delegated, '--secure-port=10259'],
  });
  track(scheduler);
  await Promise.all([
    waitHealthyInNodeNetns(manager, 'https://127.0.0.1:10257/healthz'),
    waitHealthyInNodeNetns(scheduler, 'https://127.0.0.1:10259/healthz'),
  ]);
  return [manager, scheduler];
}
