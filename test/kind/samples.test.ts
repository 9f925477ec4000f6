// Every sample in kind/samples/ is accepted by a real API server with the LlamaModel CRD installed
// (server-side dry-run create, object by object, as `kubectl apply -f` sends them), so a sample can
// never drift from the CRD. The `demo` namespace is really created; nothing else is.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_SAMPLE,
  DEMO_NAMESPACE,
  readSample,
  SAMPLES_DIR,
  sampleNames,
  TINY_SAMPLE,
  tinyModelNodePath,
} from '../../kind/demo/samples.js';
import { KubeApiError } from '../../operator/kube/errors.js';
import type { KubeClient } from '../../operator/kube/kube-client.js';
import { collectionPath } from '../charts/helpers/raw-kube.js';
import { printKubeLogsOnFailure, sharedKubeConfig } from '../harness/vitest.js';
import { clientFor, installCrd } from '../operator/support/kube.js';

const dryRunCreate = (client: KubeClient, object: { kind: string; metadata: { name: string } }) =>
  client.create(`${collectionPath(object)}?dryRun=All&fieldManager=kubellama-samples-test`, object);

describe('kind/samples against a real API server', () => {
  printKubeLogsOnFailure();
  let client: KubeClient;

  beforeAll(async () => {
    client = await clientFor(sharedKubeConfig());
    await installCrd(client);
    try {
      await client.create('/api/v1/namespaces', { metadata: { name: DEMO_NAMESPACE } });
    } catch (error) {
      if (!(error instanceof KubeApiError && error.statusCode === 409)) throw error;
    }
  });

  it('has the samples the demo and the README name', () => {
    expect(sampleNames()).toEqual(
      expect.arrayContaining([TINY_SAMPLE, DEFAULT_SAMPLE, 'llama-gpu', 'pvc', 'gemma-autoscaled']),
    );
  });

  it.each(sampleNames())('accepts %s.yaml by dry-run create', async (name) => {
    const sample = readSample(join(SAMPLES_DIR, `${name}.yaml`));
    for (const object of sample.objects) {
      if (object.kind !== 'PersistentVolume') {
        expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe(DEMO_NAMESPACE);
      }
      await expect(
        dryRunCreate(client, object),
        `${object.kind}/${object.metadata.name}`,
      ).resolves.toMatchObject({ kind: object.kind, metadata: { name: object.metadata.name } });
    }
    // A model needing no GPU says so: the CRD's default is one GPU.
    const gpu = (sample.objects.find((o) => o.kind === 'LlamaModel')?.spec?.gpu ?? {}) as { count?: number };
    expect(gpu.count, `${name}: spec.gpu.count`).toBe(name.includes('gpu') ? 1 : 0);
    // A pvc:// model's claim ships in the same file.
    const claim = /^pvc:\/\/([^/]+)\//.exec(sample.model.source)?.[1];
    if (claim) {
      expect(
        sample.objects.some((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === claim),
      ).toBe(true);
    }
  });

  it('puts the tiny model where its PersistentVolume and pvc:// source meet', () => {
    const tiny = readSample(join(SAMPLES_DIR, `${TINY_SAMPLE}.yaml`));
    expect(tinyModelNodePath(tiny)).toEqual({
      dir: '/var/lib/kubellama/models',
      file: '/var/lib/kubellama/models/tiny.gguf',
    });
  });

  it('really validates: a sample the CRD forbids is refused', async () => {
    const gemma = readSample(join(SAMPLES_DIR, `${DEFAULT_SAMPLE}.yaml`));
    const model = gemma.objects.find((o) => o.kind === 'LlamaModel')!;
    const broken = { ...model, spec: { ...model.spec, model: { source: 'pvc://models/no-extension' } } };
    await expect(dryRunCreate(client, broken)).rejects.toThrow(/pvc:\/\/CLAIM\/PATH.gguf/);
  });
});
