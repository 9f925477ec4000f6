// Where the API server is and how to authenticate, without client-node: its KubeConfig loads the
// whole generated API (~20 MiB of RSS in the bundle) to read a token and a CA. The in-cluster
// service account and kubeconfig files with a token or client certificate are read here; any other
// auth (exec plugins, auth providers) falls back to client-node, imported only then.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { type Connection, KubeClient } from './kube-client.js';
import type { RateLimit } from './rate-limiter.js';

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

interface NamedCluster {
  name: string;
  cluster: {
    server: string;
    'certificate-authority'?: string;
    'certificate-authority-data'?: string;
    'insecure-skip-tls-verify'?: boolean;
  };
}
interface NamedUser {
  name: string;
  user?: {
    token?: string;
    tokenFile?: string;
    'client-certificate'?: string;
    'client-certificate-data'?: string;
    'client-key'?: string;
    'client-key-data'?: string;
    [other: string]: unknown;
  };
}
interface KubeconfigFile {
  'current-context'?: string;
  contexts?: Array<{ name: string; context: { cluster: string; user: string } }>;
  clusters?: NamedCluster[];
  users?: NamedUser[];
}

const KNOWN_USER_FIELDS = new Set([
  'token',
  'tokenFile',
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
]);

function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token.trim()}` };
}

/** The pod's service account: the token file is read again on every header refresh (it rotates). */
export function inClusterConnection(
  env: NodeJS.ProcessEnv = process.env,
  root = SERVICE_ACCOUNT,
): Connection {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    tls: { ca: readFileSync(join(root, 'ca.crt')) },
    headers: async () => bearer(readFileSync(join(root, 'token'), 'utf8')),
  };
}

/** The current context of a kubeconfig file; undefined when its user needs client-node's auth. */
export async function kubeconfigConnection(path: string): Promise<Connection | undefined> {
  const { parse } = await import('yaml');
  const file = parse(readFileSync(path, 'utf8')) as KubeconfigFile;
  const context = file.contexts?.find((c) => c.name === file['current-context'])?.context;
  if (!context) throw new Error(`kubeconfig ${path}: no current context`);
  const cluster = file.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster) throw new Error(`kubeconfig ${path}: no cluster ${context.cluster}`);
  const user = file.users?.find((u) => u.name === context.user)?.user ?? {};
  if (Object.keys(user).some((k) => !KNOWN_USER_FIELDS.has(k))) return undefined;
  const resolve = (p: string) => (isAbsolute(p) ? p : join(dirname(path), p));
  const data = (inline: string | undefined, file: string | undefined) =>
    inline ? Buffer.from(inline, 'base64') : file ? readFileSync(resolve(file)) : undefined;
  const tokenFile = user.tokenFile;
  return {
    server: cluster.server,
    tls: {
      ca: data(cluster['certificate-authority-data'], cluster['certificate-authority']),
      cert: data(user['client-certificate-data'], user['client-certificate']),
      key: data(user['client-key-data'], user['client-key']),
      ...(cluster['insecure-skip-tls-verify'] ? { rejectUnauthorized: false } : {}),
    },
    headers: async () =>
      tokenFile ? bearer(readFileSync(resolve(tokenFile), 'utf8')) : user.token ? bearer(user.token) : {},
  };
}

/**
 * client-node's loading rules: the given kubeconfig, else in-cluster when KUBERNETES_SERVICE_HOST is
 * set, else ~/.kube/config.
 */
export async function connect(kubeconfig: string | undefined, limit: RateLimit): Promise<KubeClient> {
  if (!kubeconfig && process.env.KUBERNETES_SERVICE_HOST) {
    return KubeClient.fromConnection(inClusterConnection(), limit);
  }
  const path = kubeconfig ?? join(homedir(), '.kube', 'config');
  const connection = await kubeconfigConnection(path);
  if (connection) return KubeClient.fromConnection(connection, limit);
  // The module itself, not the package index: a dynamic import of the index bundles all of it.
  const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return KubeClient.fromKubeConfig(kc, limit);
}
