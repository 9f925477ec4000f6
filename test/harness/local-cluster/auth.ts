// Credentials of the local cluster: static bearer tokens (admin, the node, kube-proxy) and the
// ServiceAccount signing key pair. No CSR flow, no client certificates: the kubelet authenticates
// as system:node:NAME in system:nodes, which the Node authorizer and NodeRestriction understand.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeKubeconfig } from '../kube-apiserver.js';

export interface ClusterAuth {
  readonly dir: string;
  readonly tokensFile: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
  readonly adminToken: string;
  readonly nodeToken: string;
  readonly proxyToken: string;
}

export function writeClusterAuth(dir: string, nodeName: string): ClusterAuth {
  mkdirSync(dir, { recursive: true });
  const token = () => randomBytes(24).toString('hex');
  const auth = {
    dir,
    tokensFile: join(dir, 'tokens.csv'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
    adminToken: token(),
    nodeToken: token(),
    proxyToken: token(),
  };
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(auth.serviceAccountKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(auth.serviceAccountPub, publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(
    auth.tokensFile,
    [
      `${auth.adminToken},kubellama-admin,kubellama-admin,"system:masters"`,
      `${auth.nodeToken},system:node:${nodeName},system:node:${nodeName},"system:nodes"`,
      // system:kube-proxy is bound to the system:node-proxier ClusterRole by default.
      `${auth.proxyToken},system:kube-proxy,system:kube-proxy`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return auth;
}

export interface Kubeconfigs {
  readonly admin: string;
  readonly kubelet: string;
  readonly proxy: string;
}

/** Kubeconfigs for `server`, trusting the API server's self-signed certificate in `caFile`. */
export function writeKubeconfigs(auth: ClusterAuth, server: string, caFile: string): Kubeconfigs {
  const paths = {
    admin: join(auth.dir, 'admin.kubeconfig'),
    kubelet: join(auth.dir, 'kubelet.kubeconfig'),
    proxy: join(auth.dir, 'kube-proxy.kubeconfig'),
  };
  writeKubeconfig(paths.admin, server, caFile, auth.adminToken);
  writeKubeconfig(paths.kubelet, server, caFile, auth.nodeToken);
  writeKubeconfig(paths.proxy, server, caFile, auth.proxyToken);
  return paths;
}
