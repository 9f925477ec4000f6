// Runs the LlamaModel controller in-process against the harness API server (no leader election),
// counting the requests it makes, so tests can check "no write when nothing changed".
import type { KubeConfig } from '@kubernetes/client-node';
import { EventRecorder } from '../../../operator/controller/events.js';
import { KubeClient } from '../../../operator/controller/kube-client.js';
import { LlamaModelController } from '../../../operator/llamamodel/controller.js';

export const TEST_IMAGE = 'ghcr.io/kubellama/runtime:test';
/** The default image of models with spec.gpu.count above 0. */
export const TEST_CUDA_IMAGE = 'ghcr.io/kubellama/runtime:test-cuda';
export const TEST_ENDPOINT = 'http://otel-collector.kubellama-system.svc:4317';

export interface RunningOperator {
  readonly controller: LlamaModelController;
  /** Mutating requests (POST/PUT/PATCH/DELETE) the operator made, as "METHOD path". */
  readonly writes: string[];
  readonly errors: unknown[];
  stop(): Promise<void>;
}

export async function runOperator(kc: KubeConfig, namespace: string): Promise<RunningOperator> {
  const client = await KubeClient.fromKubeConfig(kc);
  const writes: string[] = [];
  const errors: unknown[] = [];
  client.onRequest((method, path) => {
    if (method !== 'GET') writes.push(`${method} ${path.split('?')[0]}`);
  });
  const controller = new LlamaModelController({
    client,
    recorder: new EventRecorder(client, 'kubellama-operator'),
    defaults: {
      runtimeImages: { cpu: TEST_IMAGE, cuda: TEST_CUDA_IMAGE },
      telemetry: { endpoint: TEST_ENDPOINT, samplingRatio: 0.5 },
    },
    namespaces: [namespace],
    concurrency: 2,
    observe: (event) => {
      if (event.error) errors.push(event.error);
    },
  });
  await controller.sync();
  controller.start();
  return { controller, writes, errors, stop: () => controller.stop(2_000) };
}
