// What the workload gives the pull init container so a failing download says why: the termination
// message file on both containers, and the cache claim's size in bytes for the pull's space check.
import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { quantityBytes, renderLlamaModelWorkload } from '../../charts/llama-model-workload.js';
import { RUNTIME_ENV, TERMINATION_MESSAGE_PATH } from '../../charts/runtime-contract.js';
import type { LlamaModelSpec } from '../../operator/api/llama-model.js';

function render(
  cache?: LlamaModelSpec['model']['cache'],
  resources?: LlamaModelSpec['resources'],
): V1Deployment {
  const objects = renderLlamaModelWorkload({
    name: 'm',
    namespace: 'ns',
    spec: {
      model: { source: 'https://example.com/m.gguf', ...(cache ? { cache } : {}) },
      replicas: 1,
      gpu: { count: 0, resourceName: 'nvidia.com/gpu' },
      runtime: { contextSize: 1024, parallel: 1, gpuLayers: 'auto', threads: 'auto', args: [], env: [] },
      telemetry: { detail: 'request', captureContent: false },
      ...(resources ? { resources } : {}),
    },
    defaultImages: { cpu: 'runtime:1', cuda: 'runtime:1-cuda' },
    telemetry: { endpoint: 'http://c:4317', samplingRatio: 1 },
  });
  return objects.find((o) => o.kind === 'Deployment') as V1Deployment;
}

describe('the pull init container', () => {
  it('and the runtime container name the termination message file the runtime writes', () => {
    const pod = render().spec!.template.spec!;
    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      expect(container.terminationMessagePath, container.name).toBe(TERMINATION_MESSAGE_PATH);
      expect(container.terminationMessagePolicy, container.name).toBe('FallbackToLogsOnError');
    }
  });

  it('gets spec.model.cache.size in bytes, else the ephemeral-storage limit, else nothing', () => {
    const cacheEnv = (d: V1Deployment) =>
      d.spec!.template.spec!.initContainers![0]!.env?.find((e) => e.name === RUNTIME_ENV.modelCacheBytes)
        ?.value;
    expect(cacheEnv(render({ size: '1Mi' }))).toBe('1048576');
    expect(cacheEnv(render())).toBeUndefined();
    // Without a claim, the emptyDir counts against the pod's ephemeral-storage limit: that bounds it.
    const ephemeral = { limits: { 'ephemeral-storage': '2Gi' } };
    expect(cacheEnv(render(undefined, ephemeral))).toBe(String(2 * 1024 ** 3));
    expect(cacheEnv(render({ size: '1Mi' }, ephemeral))).toBe('1048576');
    // Only the pull reads it.
    const runtime = render({ size: '1Mi' }).spec!.template.spec!.containers[0]!;
    expect(runtime.env?.some((e) => e.name === RUNTIME_ENV.modelCacheBytes)).toBe(false);
  });

  it('reads every quantity form the CRD accepts as bytes, rounded up', () => {
    expect(quantityBytes('f', '2Gi')).toBe(String(2 * 1024 ** 3));
    expect(quantityBytes('f', '1.5G')).toBe('1500000000');
    expect(quantityBytes('f', '1e9')).toBe('1000000000');
    expect(quantityBytes('f', '1E')).toBe('1000000000000000000');
    expect(quantityBytes('f', '500k')).toBe('500000');
    expect(quantityBytes('f', '1500m')).toBe('2');
    expect(quantityBytes('f', 4096)).toBe('4096');
    expect(quantityBytes('f', '+222586824n')).toBe('1');
    expect(quantityBytes('f', '.5Ki')).toBe('512');
    expect(quantityBytes('f', '8Ei')).toBe(String(2n ** 63n));
    expect(() => quantityBytes('spec.model.cache.size', '2 GB')).toThrow(
      'spec.model.cache.size: "2 GB" is not a Kubernetes quantity',
    );
    expect(() => quantityBytes('f', '1e2.5')).toThrow('f: "1e2.5" is not a Kubernetes quantity');
    expect(() => quantityBytes('f', '9e99')).toThrow('f: "9e99" is more bytes than Kubernetes counts');
  });
});
