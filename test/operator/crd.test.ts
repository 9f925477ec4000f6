// The generated CRD: the checked-in YAML is current, the real API server installs it, refuses
// invalid LlamaModels with a message naming the field, and fills the defaults of valid ones.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CRD_FILE, llamaModelCrdYaml } from '../../operator/api/crd-yaml.js';
import type { KubeClient } from '../../operator/kube/kube-client.js';
import { modelPath } from '../../operator/llamamodel/paths.js';
import { createTestNamespace, printKubeLogsOnFailure, sharedKubeConfig } from '../harness/vitest.js';
import { clientFor, createModel, installCrd, userModel } from './support/kube.js';

describe('crds/ is generated from operator/api', () => {
  it('the checked-in YAML equals what npm run crds writes', () => {
    const checkedIn = readFileSync(new URL(`../../${CRD_FILE}`, import.meta.url), 'utf8');
    expect(checkedIn, 'crds/ is stale: run `npm run crds`').toBe(llamaModelCrdYaml());
  });
});

const HEX64 = 'a'.repeat(64);

// [what is wrong, the object's spec (merged over a valid one) or name, the field the message must name, and a phrase of it]
const INVALID: Array<[string, Record<string, unknown>, RegExp]> = [
  ['no model', { model: undefined }, /spec\.model: Required value/],
  ['no source', { model: {} }, /spec\.model\.source: Required value/],
  ['unknown source scheme', { model: { source: 's3://bucket/m.gguf' } }, /spec\.model\.source.*should match/],
  ['http (not https) source', { model: { source: 'http://example.com/m.gguf' } }, /spec\.model\.source/],
  ['pvc source without a path', { model: { source: 'pvc://claim' } }, /spec\.model\.source/],
  [
    'pvc source with a bad claim',
    { model: { source: 'pvc://Bad_Claim/m.gguf' } },
    /spec\.model\.source.*pvc:\/\/CLAIM\/PATH\.gguf/,
  ],
  ['pvc source not a .gguf', { model: { source: 'pvc://models/m.bin' } }, /spec\.model\.source.*\.gguf/],
  ['file source not a .gguf', { model: { source: 'file:///models/m.bin' } }, /spec\.model\.source.*\.gguf/],
  ['sha256 too short', { model: { source: 'hf:a/b', sha256: 'abc' } }, /spec\.model\.sha256.*64 hexadecimal/],
  [
    'sha256 not hex',
    { model: { source: 'hf:a/b', sha256: 'z'.repeat(64) } },
    /spec\.model\.sha256.*64 hexadecimal/,
  ],
  ['sha256 too long', { model: { source: 'hf:a/b', sha256: `${HEX64}0` } }, /spec\.model\.sha256/],
  [
    'cache without size',
    { model: { source: 'hf:a/b', cache: {} } },
    /spec\.model\.cache\.size: Required value/,
  ],
  [
    'cache size not a quantity',
    { model: { source: 'hf:a/b', cache: { size: 'lots' } } },
    /spec\.model\.cache\.size/,
  ],
  [
    'cache size negative (found by fuzzing)',
    { model: { source: 'hf:a/b', cache: { size: '-.0' } } },
    /spec\.model\.cache\.size/,
  ],
  [
    'cache size a negative integer',
    { model: { source: 'hf:a/b', cache: { size: -1 } } },
    /spec\.model\.cache\.size/,
  ],
  [
    'a quantity with a huge exponent (found by fuzzing: the API server took seconds per apply of it)',
    { model: { source: 'hf:a/b' }, resources: { limits: { memory: '2575e6808997128' } } },
    /spec\.resources\.limits\.memory/,
  ],
  [
    'rollout maxUnavailable beyond an int32 (found by fuzzing: a 500 from the Deployment apply)',
    { model: { source: 'hf:a/b' }, rollout: { maxUnavailable: 2 ** 31 } },
    /spec\.rollout\.maxUnavailable/,
  ],
  [
    'cache access mode unknown',
    { model: { source: 'hf:a/b', cache: { size: '1Gi', accessMode: 'ReadOnlyMany' } } },
    /spec\.model\.cache\.accessMode.*supported values/,
  ],
  [
    'caBundle without a configMapRef',
    { model: { source: 'https://m.example/m.gguf', caBundle: {} } },
    /spec\.model\.caBundle\.configMapRef: Required value/,
  ],
  [
    'caBundle without a key',
    { model: { source: 'https://m.example/m.gguf', caBundle: { configMapRef: { name: 'ca' } } } },
    /spec\.model\.caBundle\.configMapRef\.key: Required value/,
  ],
  [
    'caBundle with a bad ConfigMap name',
    {
      model: {
        source: 'https://m.example/m.gguf',
        caBundle: { configMapRef: { name: 'My_CA', key: 'ca.crt' } },
      },
    },
    /spec\.model\.caBundle\.configMapRef\.name.*should match/,
  ],
  [
    'caBundle with a bad key',
    {
      model: {
        source: 'https://m.example/m.gguf',
        caBundle: { configMapRef: { name: 'ca', key: 'ca/crt' } },
      },
    },
    /spec\.model\.caBundle\.configMapRef\.key.*should match/,
  ],
  [
    'caBundle for a source that is not downloaded',
    { model: { source: 'pvc://models/m.gguf', caBundle: { configMapRef: { name: 'ca', key: 'ca.crt' } } } },
    /spec\.model\.caBundle.*https:\/\/ or hf: source/,
  ],
  ['negative replicas', { replicas: -1 }, /spec\.replicas.*greater than or equal to 0/],
  [
    'autoscaling with minReplicas above maxReplicas',
    { autoscaling: { minReplicas: 3, maxReplicas: 2 } },
    /spec\.autoscaling\.minReplicas: Invalid value.*minReplicas must be less than or equal to maxReplicas/,
  ],
  [
    'autoscaling without maxReplicas',
    { autoscaling: { minReplicas: 1 } },
    /spec\.autoscaling\.maxReplicas: Required value/,
  ],
  [
    'autoscaling to 0 replicas',
    { autoscaling: { minReplicas: 0, maxReplicas: 2 } },
    /spec\.autoscaling\.minReplicas.*greater than or equal to 1/,
  ],
  [
    'autoscaling with an unknown engine',
    { autoscaling: { maxReplicas: 2, engine: 'vpa' } },
    /spec\.autoscaling\.engine.*supported values: "hpa", "keda"/,
  ],
  [
    'replicas set together with autoscaling',
    { replicas: 2, autoscaling: { maxReplicas: 4 } },
    /spec\.replicas: Invalid value.*replicas must not be set together with autoscaling/,
  ],
  ['replicas not a number', { replicas: 'two' }, /spec\.replicas.*integer/],
  ['negative GPU count', { gpu: { count: -1 } }, /spec\.gpu\.count.*greater than or equal to 0/],
  ['too many GPUs', { gpu: { count: 17 } }, /spec\.gpu\.count.*less than or equal to 16/],
  [
    'GPU product without GPUs',
    { gpu: { count: 0, product: 'NVIDIA-H100' } },
    /spec\.gpu\.product.*GPU count above 0/,
  ],
  ['GPU resource name without a domain', { gpu: { resourceName: 'gpu' } }, /spec\.gpu\.resourceName/],
  [
    'GPUs requested through resources',
    { resources: { limits: { 'nvidia.com/gpu': '1' } } },
    /spec\.resources\.limits.*spec\.gpu/,
  ],
  [
    'memory limit not a quantity',
    { resources: { limits: { memory: '1 GB' } } },
    /spec\.resources\.limits\.memory/,
  ],
  [
    'context too small',
    { runtime: { contextSize: 16 } },
    /spec\.runtime\.contextSize.*greater than or equal to 128/,
  ],
  ['parallel 0', { runtime: { parallel: 0 } }, /spec\.runtime\.parallel.*greater than or equal to 1/],
  ['gpuLayers a word', { runtime: { gpuLayers: 'all' } }, /spec\.runtime\.gpuLayers/],
  ['gpuLayers negative', { runtime: { gpuLayers: -2 } }, /spec\.runtime\.gpuLayers.*0 or more/],
  ['threads 0', { runtime: { threads: 0 } }, /spec\.runtime\.threads.*at least 1/],
  [
    'env without a name',
    { runtime: { env: [{ value: 'x' }] } },
    /spec\.runtime\.env\[0\]\.name: Required value/,
  ],
  [
    'env listed twice',
    {
      runtime: {
        env: [
          { name: 'A', value: '1' },
          { name: 'A', value: '2' },
        ],
      },
    },
    /spec\.runtime\.env\[1\]: Duplicate value/,
  ],
  [
    'sampling ratio above 1',
    { telemetry: { samplingRatio: 1.5 } },
    /spec\.telemetry\.samplingRatio.*less than or equal to 1/,
  ],
  [
    'trace detail unknown',
    { telemetry: { detail: 'verbose' } },
    /spec\.telemetry\.detail.*supported values: "request", "token"/,
  ],
  ['endpoint not a URL', { telemetry: { endpoint: 'collector:4317' } }, /spec\.telemetry\.endpoint/],
  [
    'credentials on a pvc:// source (nothing is downloaded)',
    {
      model: {
        source: 'pvc://models/m.gguf',
        credentials: { secretRef: { name: 'hf' }, huggingFaceTokenKey: 'token' },
      },
    },
    /spec\.model\.credentials.*downloads only/,
  ],
  [
    'rollout surge with the Recreate strategy',
    { rollout: { strategy: 'Recreate', maxSurge: 1 } },
    /spec\.rollout.*RollingUpdate strategy only/,
  ],
  ['rollout surge not a count or percentage', { rollout: { maxSurge: '150%' } }, /spec\.rollout\.maxSurge/],
  [
    'credentials naming no key',
    { model: { source: 'hf:a/b:Q4_K_M', credentials: { secretRef: { name: 'hf' } } } },
    /spec\.model\.credentials.*huggingFaceTokenKey/,
  ],
  [
    'endpoint with a path (OTLP/gRPC has none)',
    { telemetry: { endpoint: 'http://collector:4318/v1/traces' } },
    /spec\.telemetry\.endpoint/,
  ],
  [
    'captureContent not a boolean',
    { telemetry: { captureContent: 'yes' } },
    /spec\.telemetry\.captureContent.*boolean/,
  ],
];

describe('LlamaModel CRD in the real API server', () => {
  printKubeLogsOnFailure();
  const kc = sharedKubeConfig();
  let client: KubeClient;
  let namespace: string;

  beforeAll(async () => {
    client = await clientFor(kc);
    await installCrd(client);
    namespace = await createTestNamespace(kc, 'lm-crd');
  });

  it.each(INVALID)('refuses %s', async (_what, spec, message) => {
    const body = userModel(namespace, 'bad');
    body.spec = { ...(body.spec as object), ...spec };
    await expect(createModel(client, body)).rejects.toThrow(message);
  });

  it('refuses a name that cannot be a Service name', async () => {
    await expect(createModel(client, userModel(namespace, 'my.model'))).rejects.toThrow(
      /metadata\.name.*at most 52/,
    );
    await expect(createModel(client, userModel(namespace, `m${'x'.repeat(60)}`))).rejects.toThrow(
      /metadata\.name/,
    );
  });

  it('fills the defaults of a minimal LlamaModel', async () => {
    const created = await createModel(client, userModel(namespace, 'minimal'));
    expect(created.spec).toEqual({
      model: { source: 'hf:unsloth/gemma-3-270m-it-GGUF:Q8_0' },
      replicas: 1,
      gpu: { count: 1, resourceName: 'nvidia.com/gpu' },
      runtime: { contextSize: 4096, parallel: 4, gpuLayers: 'auto', threads: 'auto', args: [], env: [] },
      telemetry: { detail: 'request', captureContent: false },
    });
  });

  it('accepts every source scheme, numbers for gpuLayers/threads and a full spec', async () => {
    await createModel(
      client,
      userModel(namespace, 'ca-bundle', {
        model: {
          source: 'https://mirror.internal/m.gguf',
          caBundle: { configMapRef: { name: 'mirror-ca', key: 'ca.crt' } },
        },
      }),
    );
    const sources = ['https://example.com/m.gguf', 'pvc://models/gemma/m.gguf', 'file:///models/m.gguf'];
    for (const [i, source] of sources.entries()) {
      await createModel(client, userModel(namespace, `src-${i}`, { model: { source } }));
    }
    const full = await createModel(
      client,
      userModel(namespace, 'full', {
        model: { source: 'hf:a/b:Q4_K_M', sha256: HEX64, cache: { size: '2Gi', storageClassName: 'fast' } },
        replicas: 2,
        gpu: { count: 2, resourceName: 'amd.com/gpu', product: 'MI300X' },
        resources: { limits: { cpu: '4', memory: '8Gi' }, requests: { cpu: 2 } },
        runtime: { gpuLayers: 20, threads: 4, env: [{ name: 'A', value: '1' }], args: ['--flash-attn'] },
        telemetry: {
          samplingRatio: 0.25,
          detail: 'token',
          endpoint: 'http://otel:4317',
          captureContent: true,
        },
        scheduling: {
          nodeSelector: { pool: 'gpu' },
          tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
          affinity: { nodeAffinity: {} },
          priorityClassName: 'high',
          runtimeClassName: 'nvidia',
        },
      }),
    );
    expect(full.spec.model.cache).toEqual({
      size: '2Gi',
      storageClassName: 'fast',
      accessMode: 'ReadWriteOnce',
    });
    expect(full.spec.runtime.gpuLayers).toBe(20);
    const autoscaled = await createModel(
      client,
      userModel(namespace, 'autoscaled', { autoscaling: { maxReplicas: 5 } }),
    );
    expect(autoscaled.spec.replicas).toBe(1);
    expect(autoscaled.spec.autoscaling).toEqual({
      minReplicas: 1,
      maxReplicas: 5,
      targetRequestsPerReplica: 4,
      scaleDownDelaySeconds: 300,
      engine: 'hpa',
    });
    // kubectl scale on an autoscaled model writes spec.replicas through the scale subresource: refused.
    await expect(
      client.patch(modelPath(namespace, 'autoscaled', 'scale'), { spec: { replicas: 3 } }, 'merge'),
    ).rejects.toThrow(/spec\.replicas.*replicas must not be set together with autoscaling/);
    expect(full.spec.scheduling?.tolerations).toEqual([
      { key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' },
    ]);
  });
});
