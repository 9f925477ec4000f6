// Runs the LlamaModel controller in-process against the harness API server (no leader election),
// counting the requests it makes, so tests can check "no write when nothing changed".
import type { KubeConfig } from '@kubernetes/client-node';
import { EventRecorder } from '../../../operator/kube/events.js';
import { KubeClient } from '../../../operator/kube/kube-client.js';
import { LlamaModelManager } from '../../../operator/llamamodel/manager.js';

export const TEST_IMAGE = 'ghcr.io/kubellama/runtime:test';
/** The default image of models with spec.gpu.count above 0. */
export const TEST_CUDA_IMAGE = 'ghcr.io/kubellama/runtime:test-cuda';
export const TEST_ENDPOINT = 'http://otel-collector.kubellama-system.svc:4317';

export interface RunningOperator {
  readonly manager: LlamaModelManager;
  /** Mutating requests (POST/PUT/PATCH/DELETE) the operator made, as "METHOD path". */
  readonly writes: string[];
  readonly errors: unknown[];
  stop(): Promise<void>;
}

export async function runOperator(
  kc: KubeConfig,
  namespace: string,
  options: { kedaRecheckMs?: number; kedaPrometheusAddress?: string } = {},
): Promise<RunningOperator> {
  const client = await KubeClient.fromKubeConfig(kc);
  const writes: string[] = [];
  const errors: unknown[] = [];
  client.onRequest((method, path) => {
    if (method !== 'GET') writes.push(`${method} ${path.split('?')[0]}`);
  });
  const manager = new LlamaModelManager({
    client,
    recorder: new EventRecorder(client, 'kubellama-operator'),
    defaults: {
      runtimeImages: { cpu: TEST_IMAGE, cuda: TEST_CUDA_IMAGE },
      telemetry: { endpoint: TEST_ENDPOINT, samplingRatio: 0.5 },
      ...(options.kedaPrometheusAddress ? { kedaPrometheusAddress: options.kedaPrometheusAddress } : {}),
    },
    ...(options.kedaRecheckMs !== undefined ? { kedaRecheckMs: options.kedaRecheckMs } : {}),
    namespaces: [namespace],
    concurrency: 2,
    observe: (event) => {
      if (event.error) errors.push(event.error);
    },
  });
  await manager.sync();
  manager.start();
  return { manager, writes, errors, stop: () => manager.stop(2_000) };
}
