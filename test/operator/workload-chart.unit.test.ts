// The per-model cdk8s construct (pure) and the CRD schema's documentation: every field described.
import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { renderLlamaModelWorkload } from '../../charts/llama-model-workload.js';
import { llamaModelCrd } from '../../operator/api/crd.js';
import type { LlamaModelSpec } from '../../operator/api/llama-model.js';

const spec = (source: string, gpus = 0): LlamaModelSpec => ({
  model: { source },
  replicas: 1,
  gpu: { count: gpus, resourceName: 'nvidia.com/gpu' },
  runtime: { contextSize: 4096, parallel: 4, gpuLayers: 'auto', threads: 'auto', args: [], env: [] },
  telemetry: { detail: 'token', captureContent: true },
});

function render(source: string, gpus = 0, image?: string): V1Deployment {
  const withSpec = spec(source, gpus);
  const objects = renderLlamaModelWorkload({
    name: 'm',
    namespace: 'ns',
    spec: { ...withSpec, runtime: { ...withSpec.runtime, image } },
    defaultImages: { cpu: 'runtime:1', cuda: 'runtime:1-cuda' },
    telemetry: { endpoint: 'http://c:4317', samplingRatio: 1 },
  });
  expect(objects.map((o) => o.kind)).toEqual(['Deployment', 'Service']);
  return objects[0] as V1Deployment;
}

const env = (d: V1Deployment) =>
  Object.fromEntries((d.spec?.template.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));

describe('LlamaModel workload construct', () => {
  it('downloads hf: and https: sources in an init container and serves them from the cache dir', () => {
    const d = render('https://example.com/m.gguf');
    expect(d.spec?.template.spec?.initContainers?.[0]?.args).toEqual([
      'pull',
      'https://example.com/m.gguf',
      '--dir',
      '/models',
    ]);
    expect(env(d)).toMatchObject({
      KUBELLAMA_MODEL: 'https://example.com/m.gguf',
      KUBELLAMA_MODEL_ALIAS: 'm',
      KUBELLAMA_MODEL_DIR: '/models',
      KUBELLAMA_TRACE_DETAIL: 'token',
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
      KUBELLAMA_THREADS: 'auto',
    });
  });

  it('mounts a pvc:// source read-only and serves the file from it, without an init container', () => {
    const d = render('pvc://models/gemma/m.gguf');
    const pod = d.spec!.template.spec!;
    expect(pod.initContainers).toBeUndefined();
    expect(pod.volumes).toContainEqual({
      name: 'model-source',
      persistentVolumeClaim: { claimName: 'models', readOnly: true },
    });
    expect(pod.containers[0]?.volumeMounts).toContainEqual({
      name: 'model-source',
      mountPath: '/model-source',
      readOnly: true,
    });
    expect(env(d).KUBELLAMA_MODEL).toBe('/model-source/gemma/m.gguf');
  });

  it('runs CPU models on the CPU image and GPU models on the CUDA image; spec.runtime.image wins', () => {
    const images = (d: V1Deployment) => [
      ...(d.spec?.template.spec?.initContainers ?? []).map((c) => c.image),
      ...(d.spec?.template.spec?.containers ?? []).map((c) => c.image),
    ];
    expect(images(render('hf:o/r:Q8_0'))).toEqual(['runtime:1', 'runtime:1']);
    expect(images(render('hf:o/r:Q8_0', 1))).toEqual(['runtime:1-cuda', 'runtime:1-cuda']);
    expect(images(render('hf:o/r:Q8_0', 1, 'mine:2'))).toEqual(['mine:2', 'mine:2']);
  });

  it('mounts spec.model.caBundle read-only into the pull init container only, named by NODE_EXTRA_CA_CERTS', () => {
    const withSpec = spec('https://mirror.internal/m.gguf');
    const [deployment] = renderLlamaModelWorkload({
      name: 'm',
      namespace: 'ns',
      spec: {
        ...withSpec,
        model: { ...withSpec.model, caBundle: { configMapRef: { name: 'mirror-ca', key: 'root.pem' } } },
      },
      defaultImages: { cpu: 'runtime:1', cuda: 'runtime:1-cuda' },
      telemetry: { endpoint: 'http://c:4317', samplingRatio: 1 },
    }) as unknown as [V1Deployment];
    const pod = deployment.spec!.template.spec!;
    expect(pod.volumes).toContainEqual({
      name: 'ca-bundle',
      configMap: { name: 'mirror-ca', items: [{ key: 'root.pem', path: 'ca.crt' }] },
    });
    const pull = pod.initContainers![0]!;
    expect(pull.volumeMounts).toContainEqual({
      name: 'ca-bundle',
      mountPath: '/etc/kubellama/ca',
      readOnly: true,
    });
    expect(pull.env).toContainEqual({ name: 'NODE_EXTRA_CA_CERTS', value: '/etc/kubellama/ca/ca.crt' });
    // The serving container never talks to the mirror.
    expect(pod.containers[0]!.volumeMounts?.map((m) => m.name)).not.toContain('ca-bundle');
    expect(pod.containers[0]!.env?.map((e) => e.name)).not.toContain('NODE_EXTRA_CA_CERTS');
    // Without a caBundle: no volume, no variable.
    const plain = render('https://mirror.internal/m.gguf').spec!.template.spec!;
    expect(plain.volumes?.map((v) => v.name)).not.toContain('ca-bundle');
    expect(plain.initContainers![0]!.env?.map((e) => e.name)).not.toContain('NODE_EXTRA_CA_CERTS');
  });

  it('announces the metrics endpoint with the prometheus.io pod annotations', () => {
    expect(render('file:///m.gguf').spec?.template.metadata?.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    });
  });

  it('names the runtime image tag as service.version, or its digest when pinned by digest only', () => {
    const version = (image: string) =>
      env(render('file:///m.gguf', 0, image)).OTEL_RESOURCE_ATTRIBUTES?.match(
        /service\.version=([^,]+)/,
      )?.[1];
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(version('registry.local:5000/runtime:1.2.3')).toBe('1.2.3');
    expect(version(`registry.local:5000/runtime@${digest}`)).toBe(digest);
    expect(version('registry.local:5000/runtime')).toBe('latest');
  });

  it('gives spec.model.credentials to the pull init container only, as references to the Secret', () => {
    const withSpec = spec('hf:owner/repo:Q4_K_M');
    const [deployment] = renderLlamaModelWorkload({
      name: 'm',
      namespace: 'ns',
      spec: {
        ...withSpec,
        model: {
          ...withSpec.model,
          credentials: { secretRef: { name: 'hf' }, huggingFaceTokenKey: 'token', bearerTokenKey: 'mirror' },
        },
      },
      defaultImages: { cpu: 'runtime:1', cuda: 'runtime:1-cuda' },
      telemetry: { endpoint: 'http://c:4317', samplingRatio: 1 },
    }) as V1Deployment[];
    const pod = deployment!.spec!.template.spec!;
    expect(pod.initContainers?.[0]?.env).toEqual(
      expect.arrayContaining([
        { name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf', key: 'token' } } },
        { name: 'KUBELLAMA_MODEL_TOKEN', valueFrom: { secretKeyRef: { name: 'hf', key: 'mirror' } } },
      ]),
    );
    const names = (pod.containers[0]?.env ?? []).map((e) => e.name);
    expect(names).not.toContain('HF_TOKEN');
    expect(names).not.toContain('KUBELLAMA_MODEL_TOKEN');
  });

  it('rolls a GPU model without surge (never more GPUs than it holds); spec.rollout overrides', () => {
    expect(render('file:///m.gguf', 1).spec?.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
    });
    expect(render('file:///m.gguf', 0).spec?.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
    });
    const withSpec = spec('file:///m.gguf', 1);
    const [recreate] = renderLlamaModelWorkload({
      name: 'm',
      namespace: 'ns',
      spec: { ...withSpec, rollout: { strategy: 'Recreate' } },
      defaultImages: { cpu: 'runtime:1', cuda: 'runtime:1-cuda' },
      telemetry: { endpoint: 'http://c:4317', samplingRatio: 1 },
    }) as V1Deployment[];
    expect(recreate?.spec?.strategy).toEqual({ type: 'Recreate' });
  });

  it('serves a file:// source in place', () => {
    const d = render('file:///opt/models/m.gguf');
    expect(d.spec?.template.spec?.initContainers).toBeUndefined();
    expect(env(d).KUBELLAMA_MODEL).toBe('/opt/models/m.gguf');
  });
});

describe('CRD schema documentation (kubectl explain)', () => {
  it('describes every field', () => {
    const undocumented: string[] = [];
    const walk = (node: Record<string, unknown>, path: string) => {
      if (
        path !== 'metadata' &&
        !path.startsWith('status.conditions[].') &&
        typeof node.description !== 'string'
      ) {
        undocumented.push(path || '(root)');
      }
      for (const [name, child] of Object.entries(
        (node.properties ?? {}) as Record<string, Record<string, unknown>>,
      )) {
        walk(child, path ? `${path}.${name}` : name);
      }
      if (node.items) walk(node.items as Record<string, unknown>, `${path}[]`);
      if (typeof node.additionalProperties === 'object')
        walk(node.additionalProperties as Record<string, unknown>, `${path}{}`);
    };
    const schema = llamaModelCrd().spec.versions[0]!.schema!.openAPIV3Schema as Record<string, unknown>;
    walk(schema, '');
    expect(undocumented).toEqual([]);
  });
});
