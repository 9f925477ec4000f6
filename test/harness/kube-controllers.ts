// The real kube-controller-manager and kube-scheduler against a harness API server, for suites
// that need Deployments to become ReplicaSets and Pods, ServiceAccounts to appear, or owner-based
// garbage collection. No kubelet runs here: Pods are created and scheduled but never start.
import { join } from 'node:path';
import { binaryPath } from '../tools/catalog.js';
import type { KubeApiServer } from './kube-apiserver.js';
import { freePorts } from './ports.js';
import { ServerProcess } from './server-process.js';
import { httpGet, waitFor } from './wait.js';

export interface KubeControllers {
  readonly processes: readonly ServerProcess[];
  stop(): Promise<void>;
}

export async function startKubeControllers(apiserver: KubeApiServer): Promise<KubeControllers> {
  const [managerPort, schedulerPort] = (await freePorts(2)) as [number, number];
  const kubeconfig = apiserver.kubeconfigPath;
  const delegated = [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
  ];
  const manager = ServerProcess.start({
    name: 'kube-controller-manager',
    command: binaryPath('kube-controller-manager'),
    logFile: join(apiserver.dir, 'kube-controller-manager.log'),
    args: [
      ...delegated,
      `--secure-port=${managerPort}`,
      `--service-account-private-key-file=${join(apiserver.dir, 'sa.key')}`,
      `--root-ca-file=${join(apiserver.dir, 'certs', 'apiserver.crt')}`,
      '--use-service-account-credentials=false',
      '--controllers=*',
    ],
  });
  const scheduler = ServerProcess.start({
    name: 'kube-scheduler',
    command: binaryPath('kube-scheduler'),
    logFile: join(apiserver.dir, 'kube-scheduler.log'),
    args: [...delegated, `--secure-port=${schedulerPort}`],
  });
  const processes = [manager, scheduler];
  try {
    for (const [process, port] of [
      [manager, managerPort],
      [scheduler, schedulerPort],
    ] as const) {
      await waitFor(
        async () => (await httpGet(`https://127.0.0.1:${port}/healthz`, { insecure: true })).status === 200,
        {
          description: `${process.name} /healthz`,
          abortIf: () => process.assertRunning(),
        },
      );
    }
  } catch (error) {
    await Promise.all(processes.map((p) => p.stop()));
    throw error;
  }
  return {
    processes,
    async stop() {
      await Promise.all(processes.map((p) => p.stop()));
    },
  };
}
