// The demo's wait for a LlamaModel's Ready condition, with the real kubectl against the real API
// server. No operator runs here: the test writes the status an operator would (through /status).
// The pull log line cannot be read without a kubelet, so the wait shows the phase alone, as it does
// before the init container starts.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProcessRunner } from '../../kind/demo/runner.js';
import { describePullLine, waitForModelReady } from '../../kind/demo/wait-model.js';
import { CONDITION } from '../../operator/api/conditions.js';
import type { KubeClient } from '../../operator/kube/kube-client.js';
import { modelPath } from '../../operator/llamamodel/paths.js';
import { waitFor } from '../harness/index.js';
import { createTestNamespace, printKubeLogsOnFailure, sharedKubeConfig } from '../harness/vitest.js';
import { clientFor, createModel, installCrd, userModel } from '../operator/support/kube.js';

const SOURCE = 'hf:unsloth/gemma-3-270m-it-GGUF:Q8_0';

describe('waiting for a LlamaModel to be Ready (real kubectl)', () => {
  printKubeLogsOnFailure();
  const kc = sharedKubeConfig();
  let client: KubeClient;
  let ns: string;

  beforeAll(async () => {
    client = await clientFor(kc);
    await installCrd(client);
    ns = await createTestNamespace(kc, 'demo-wait');
  });
  afterAll(async () => {
    await client?.delete(`/api/v1/namespaces/${ns}`).catch(() => undefined);
  });

  const setStatus = (name: string, phase: string, ready: 'True' | 'False') =>
    client.patch(
      modelPath(ns, name, 'status'),
      {
        status: {
          phase,
          conditions: [
            {
              type: CONDITION.ready,
              status: ready,
              reason: ready === 'True' ? 'MinimumReplicasAvailable' : 'Downloading',
              message: 'set by the test',
              lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            },
          ],
        },
      },
      'merge',
    );

  it('prints each phase once and returns when Ready is True', async () => {
    await createModel(client, userModel(ns, 'gemma', { model: { source: SOURCE }, gpu: { count: 0 } }));
    const lines: string[] = [];
    const runner = new ProcessRunner(process.cwd(), (line) => lines.push(line));
    const waiting = waitForModelReady(runner, inject('kubeconfigPath'), {
      name: 'gemma',
      namespace: ns,
      source: SOURCE,
    });
    await waitFor(async () => lines.includes('    gemma: Pending'), { description: 'the Pending line' });
    await setStatus('gemma', 'Downloading', 'False');
    await waitFor(async () => lines.includes('    gemma: Downloading'), {
      description: 'the Downloading line',
    });
    await setStatus('gemma', 'Ready', 'True');
    await waiting;
    expect(lines).toEqual(['    gemma: Pending', '    gemma: Downloading', '    gemma: Ready']);
  });

  it('stops at Failed, naming the kubectl command that shows why', async () => {
    await createModel(client, userModel(ns, 'broken', { model: { source: SOURCE }, gpu: { count: 0 } }));
    await setStatus('broken', 'Failed', 'False');
    const runner = new ProcessRunner(process.cwd(), () => undefined);
    await expect(
      waitForModelReady(runner, inject('kubeconfigPath'), { name: 'broken', namespace: ns, source: SOURCE }),
    ).rejects.toThrow(
      new RegExp(
        `LlamaModel ${ns}/broken failed: see \`kubectl .* describe llamamodels.inference.kubellama.dev/broken\``,
      ),
    );
  });

  it("turns the pull container's JSON progress line into words", () => {
    const line = JSON.stringify({
      time: '2026-01-01T00:00:00Z',
      level: 'info',
      message: 'downloading',
      uri: SOURCE,
      downloadedBytes: 120_000_000,
      totalBytes: 291_000_000,
      percent: 41,
    });
    expect(describePullLine(line)).toBe('downloading 41% (120 of 291 MB)');
    expect(describePullLine('{"level":"info","msg":"model verified"}')).toBe('model verified');
    expect(describePullLine('plain text')).toBe('plain text');
  });
});
