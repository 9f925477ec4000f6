// Helpers for suites that use the run's shared kube-apiserver (started by global-setup.ts).
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { printLogsOnFailure } from './logs.js';

/** A client config for the shared API server (admin credentials). */
export function sharedKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(inject('kubeconfigPath'));
  return kc;
}

/** Prints the shared API server's and etcd's logs when a test of the calling suite fails. */
export function printKubeLogsOnFailure(): void {
  printLogsOnFailure(() => inject('kubeApiServerLogs'));
}

/** Creates a uniquely named namespace, so suites sharing the API server never see each other's objects. */
export async function createTestNamespace(kc: KubeConfig, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}
