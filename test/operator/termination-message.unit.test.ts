// What a failed container's termination message becomes in the LlamaModel's conditions: the pull's
// own one-line message as it is; a log tail (FallbackToLogsOnError, JSON lines) as its newest error.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { WORKLOAD_CONTAINERS } from '../../charts/workload-contract.js';
import type { LlamaModel } from '../../operator/api/llama-model.js';
import { computeStatus } from '../../operator/llamamodel/status.js';
import { terminationSummary } from '../../operator/llamamodel/termination-message.js';

const logTail = [
  '{"time":"2026-12-02T18:00:00.000Z","level":"info","msg":"downloading","downloadedBytes":0}',
  '{"time":"2026-12-02T18:00:01.000Z","level":"error","msg":"cannot download https://m/x.gguf: it answered HTTP 500 Internal Server Error (5 tries)","exitCode":3}',
  '{"time":"2026-12-02T18:00:01.100Z","level":"info","msg":"bye"}',
].join('\n');

describe('terminationSummary', () => {
  it('keeps a plain message as it is, and finds the newest error in a JSON log tail', () => {
    expect(terminationSummary('  sha256 mismatch for /models/x.gguf: expected a, got b\n')).toBe(
      'sha256 mismatch for /models/x.gguf: expected a, got b',
    );
    expect(terminationSummary(logTail)).toBe(
      'cannot download https://m/x.gguf: it answered HTTP 500 Internal Server Error (5 tries)',
    );
    // No error line: the newest line's message; a torn first line is skipped.
    expect(terminationSummary('..."}\n{"level":"info","msg":"loading"}\n{"level":"warn","msg":"slow"}')).toBe(
      'slow',
    );
    expect(terminationSummary('')).toBeUndefined();
    expect(terminationSummary(undefined)).toBeUndefined();
  });
});

describe('a failed pull in the status', () => {
  const model: LlamaModel = {
    apiVersion: 'inference.kubellama.dev/v1alpha1',
    kind: 'LlamaModel',
    metadata: { name: 'm', namespace: 'ns', generation: 1, uid: 'u' },
    spec: {
      model: { source: 'https://m/x.gguf' },
      replicas: 1,
      gpu: { count: 0, resourceName: 'nvidia.com/gpu' },
      runtime: { contextSize: 1024, parallel: 1, gpuLayers: 'auto', threads: 'auto', args: [], env: [] },
      telemetry: { detail: 'request', captureContent: false },
    },
  };
  // As the kubelet reports an init container in its restart backoff: waiting, the failure in lastState.
  const pod = (message: string): V1Pod => ({
    metadata: { name: 'm-1' },
    status: {
      initContainerStatuses: [
        {
          name: WORKLOAD_CONTAINERS.pull,
          image: 'i',
          imageID: '',
          ready: false,
          restartCount: 2,
          state: {
            waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container' },
          },
          lastState: { terminated: { exitCode: 3, reason: 'Error', message } },
        },
      ],
    },
  });

  it('is Degraded/ModelDownloadFailed with the message, from a log tail too', () => {
    for (const [message, shown] of [
      [
        'cannot download https://m/x.gguf: truncated: got 100 of 200 bytes',
        'truncated: got 100 of 200 bytes',
      ],
      [logTail, 'it answered HTTP 500 Internal Server Error (5 tries)'],
    ] as const) {
      const status = computeStatus(model, undefined, [pod(message)], undefined);
      const degraded = status.conditions?.find((c) => c.type === 'Degraded');
      expect(degraded).toMatchObject({ status: 'True', reason: 'ModelDownloadFailed' });
      expect(degraded?.message).toContain(shown);
      expect(degraded?.message).not.toContain('{');
      expect(status.phase).toBe('Failed');
    }
  });
});
