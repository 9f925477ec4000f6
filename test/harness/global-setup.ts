// vitest global setup: one kube-apiserver (+ etcd) for the whole run, shared by every suite that
// injects `kubeconfigPath`. Sharing is safe because suites work in their own namespaces
// (see `createTestNamespace`); a suite that needs cluster-scoped isolation starts its own server.
import type { TestProject } from 'vitest/node';
import { type KubeApiServer, startKubeApiServer } from './kube-apiserver.js';

let apiserver: KubeApiServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  const started = Date.now();
  apiserver = await startKubeApiServer();
  console.log(
    `[harness] kube-apiserver ready at ${apiserver.url} in ${Date.now() - started} ms (${apiserver.dir})`,
  );
  project.provide('kubeconfigPath', apiserver.kubeconfigPath);
  project.provide(
    'kubeApiServerLogs',
    apiserver.processes.map((p) => p.logFile),
  );
}

export async function teardown(): Promise<void> {
  await apiserver?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfigPath: string;
    kubeApiServerLogs: string[];
  }
}
