// The floor under any operator's convergence time: the benchmark itself makes exactly the writes a
// reconcile makes (apply the Deployment and the Service at once, then write the status), for N
// existing LlamaModels, with C workers and no operator in between. What remains is the API
// server's own cost (e.g. ClusterIP allocation, one Service at a time).
import type { LlamaModel } from '../../../operator/api/llama-model.js';
import { applyIfChanged } from '../../../operator/kube/apply.js';
import type { KubeClient } from '../../../operator/kube/kube-client.js';
import { desiredState } from '../../../operator/llamamodel/desired-state.js';
import { modelPath } from '../../../operator/llamamodel/paths.js';
import { FIELD_MANAGER } from '../../../operator/llamamodel/reconciler.js';
import { computeStatus } from '../../../operator/llamamodel/status.js';

const DEFAULTS = {
  runtimeImages: { cpu: 'ghcr.io/kubellama/runtime:bench', cuda: 'ghcr.io/kubellama/runtime:bench-cuda' },
  telemetry: { endpoint: 'http://otel-collector.kubellama-system.svc:4317', samplingRatio: 1 },
};

export interface Floor {
  readonly workers: number;
  readonly allDeploymentsSeconds: number;
  readonly allServicesSeconds: number;
  readonly allStatusesSeconds: number;
  readonly servicesPerSecond: number;
  readonly deploymentsPerSecond: number;
  /** The same Services without a ClusterIP (clusterIP: None), created the same way: what the IP costs. */
  readonly headlessServicesPerSecond: number;
}

export async function measureFloor(
  client: KubeClient,
  models: LlamaModel[],
  workers: number,
): Promise<Floor> {
  const started = performance.now();
  const done = { deployment: 0, service: 0, status: 0 };
  const last = { deployment: 0, service: 0, status: 0 };
  const mark = (what: keyof typeof done) => {
    done[what]++;
    last[what] = performance.now();
  };
  let next = 0;
  const work = async () => {
    while (next < models.length) {
      const model = models[next++]!;
      const desired = desiredState(model, DEFAULTS);
      const [deployment] = await Promise.all([
        applyIfChanged(client, desired.deployment, undefined, FIELD_MANAGER).then((r) => {
          mark('deployment');
          return r.object;
        }),
        applyIfChanged(client, desired.service, undefined, FIELD_MANAGER).then(() => mark('service')),
      ]);
      const { namespace, name } = model.metadata;
      const status = computeStatus(model, deployment, [], undefined);
      await client.patch(modelPath(namespace, name, 'status'), { status }, 'merge');
      mark('status');
    }
  };
  await Promise.all(Array.from({ length: workers }, work));

  const headlessStarted = performance.now();
  let n = 0;
  const headless = async () => {
    while (n < models.length) {
      const { service } = desiredState(models[n]!, DEFAULTS);
      const name = `headless-${n++}`;
      const body = {
        ...service,
        metadata: { ...service.metadata, name },
        spec: { ...service.spec, clusterIP: 'None' },
      };
      await applyIfChanged(client, body, undefined, FIELD_MANAGER);
    }
  };
  await Promise.all(Array.from({ length: workers }, headless));
  const headlessSeconds = (performance.now() - headlessStarted) / 1000;
  const seconds = (t: number) => Math.round(((t - started) / 1000) * 100) / 100;
  return {
    workers,
    allDeploymentsSeconds: seconds(last.deployment),
    allServicesSeconds: seconds(last.service),
    allStatusesSeconds: seconds(last.status),
    deploymentsPerSecond: Math.round(done.deployment / ((last.deployment - started) / 1000)),
    servicesPerSecond: Math.round(done.service / ((last.service - started) / 1000)),
    headlessServicesPerSecond: Math.round(models.length / headlessSeconds),
  };
}
