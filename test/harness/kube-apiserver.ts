// A real kube-apiserver (with its etcd) on loopback: the envtest approach, in TypeScript.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { binaryPath } from '../tools/catalog.js';
import { type Etcd, startEtcd } from './etcd.js';
import { freePort } from './ports.js';
import { ServerProcess } from './server-process.js';
import { httpGet, waitFor } from './wait.js';
import { makeWorkDir, removeWorkDir } from './workdir.js';

export interface KubeApiServerOptions {
  /**
   * Keep the ServiceAccount admission plugin. Without a controller-manager nobody creates the
   * `default` ServiceAccount, so (like envtest) it is off unless a test asks for it.
   * @default false
   */
  readonly serviceAccountAdmission?: boolean;
  /** Extra kube-apiserver flags, e.g. `--feature-gates=…`. */
  readonly extraArgs?: readonly string[];
}

export interface KubeApiServer {
  /** https://127.0.0.1:PORT */
  readonly url: string;
  /** Path of a kubeconfig with admin (system:masters) credentials. */
  readonly kubeconfigPath: string;
  /** The serving CA, to verify the server as a client would. */
  readonly caCert: string;
  /** The admin bearer token in the kubeconfig. */
  readonly adminToken: string;
  readonly dir: string;
  readonly processes: readonly ServerProcess[];
  /** A fresh client-node KubeConfig for this server. */
  kubeConfig(): KubeConfig;
  stop(): Promise<void>;
}

const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export function writeKubeconfig(path: string, server: string, caFile: string, token: string): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'harness', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: 'harness-admin', user: { token } }],
    contexts: [
      { name: 'harness', context: { cluster: 'harness', user: 'harness-admin', namespace: 'default' } },
    ],
    'current-context': 'harness',
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
}

export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const dir = makeWorkDir('kube');
  let etcd: Etcd | undefined;
  let apiserver: ServerProcess | undefined;
  try {
    etcd = await startEtcd(dir);
    const port = await freePort();
    const url = `https://127.0.0.1:${port}`;
    const certDir = join(dir, 'certs');

    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const adminToken = randomBytes(24).toString('hex');
    writeFileSync(join(dir, 'tokens.csv'), `${adminToken},harness-admin,harness-admin,"system:masters"\n`);

    const disabledPlugins = options.serviceAccountAdmission
      ? []
      : ['--disable-admission-plugins=ServiceAccount'];
    apiserver = ServerProcess.start({
      name: 'kube-apiserver',
      command: binaryPath('kube-apiserver'),
      logFile: join(dir, 'kube-apiserver.log'),
      args: [
        `--etcd-servers=${etcd.clientUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${port}`,
        `--cert-dir=${certDir}`,
        // Room for the thousands of Services a benchmark creates.
        '--service-cluster-ip-range=10.0.0.0/16',
        `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
        `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
        '--authorization-mode=RBAC',
        '--allow-privileged=true',
        '--profiling=false',
        // The endpoint reconciler refuses loopback addresses; no Pods talk to this server anyway.
        '--endpoint-reconciler-type=none',
        ...disabledPlugins,
        ...(options.extraArgs ?? []),
      ],
    });
    const running = apiserver;
    // The self-signed serving certificate (with its CA) appears once the server starts listening.
    const caFile = join(certDir, 'apiserver.crt');
    const caCert = await waitFor(async () => readFileSync(caFile, 'utf8'), {
      description: `kube-apiserver's certificate in ${certDir}`,
      abortIf: () => running.assertRunning(),
    });
    await waitFor(
      async () => {
        const response = await httpGet(`${url}/readyz`, {
          ca: caCert,
          headers: { Authorization: `Bearer ${adminToken}` },
        });
        return response.status === 200;
      },
      {
        description: `kube-apiserver /readyz at ${url}`,
        timeoutMs: 120_000,
        abortIf: () => running.assertRunning(),
      },
    );

    const kubeconfigPath = join(dir, 'kubeconfig');
    writeKubeconfig(kubeconfigPath, url, caFile, adminToken);
    const stoppable = { etcd, apiserver };
    return {
      url,
      kubeconfigPath,
      caCert,
      adminToken,
      dir,
      processes: [apiserver, etcd.process],
      kubeConfig() {
        const kc = new KubeConfig();
        kc.loadFromFile(kubeconfigPath);
        return kc;
      },
      async stop() {
        await stoppable.apiserver.stop();
        await stoppable.etcd.stop();
        removeWorkDir(dir);
      },
    };
  } catch (error) {
    await apiserver?.stop();
    await etcd?.stop();
    removeWorkDir(dir);
    throw error;
  }
}
