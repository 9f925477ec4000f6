// The images, built from the real Dockerfile with podman on stand-in bases (no registry here: see
// test/harness/podman.ts), and run as a user runs them: non-root, read-only root filesystem.
// One file, so the three targets share one build's layer cache instead of racing each other.
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { OwnImageKey } from '../../charts/images.js';
import { KUBELLAMA_UID } from '../../charts/images.js';
import { formatSize, SIZE_BUDGETS } from '../../images/build-images.js';
import { KubeClient } from '../../operator/kube/kube-client.js';
import { buildOwnImages, imageSize } from '../harness/images.js';
import { freePort, httpGet, type Jaeger, startJaeger, waitFor } from '../harness/index.js';
import { dockerfileArgs, podman, podmanSkipReason } from '../harness/podman.js';
import { printKubeLogsOnFailure, sharedKubeConfig } from '../harness/shared-kube.js';
import { installCrd } from '../operator/support/kube.js';
import { LONG_PROMPT } from '../runtime/runtime-fixture.js';
import { writeTinyModel } from '../tools/tiny-model/tiny-llama.js';

const skip = podmanSkipReason();
if (skip) console.warn(`images suite skipped: ${skip}`);

const KEYS: OwnImageKey[] = ['runtime', 'runtimeCuda', 'operator'];
const REPO = join(import.meta.dirname, '..', '..');
/** Where the Dockerfile puts the SBOM (SECURITY.md names it). */
const SBOM_PATH = '/usr/share/kubellama/sbom.cdx.json';
const log = (line: string) => console.log(`[images] ${line}`);

interface Container {
  readonly name: string;
  logs(): Promise<string>;
  remove(): Promise<void>;
}

let counter = 0;
async function runDetached(image: string, args: string[], podmanArgs: string[]): Promise<Container> {
  const name = `kubellama-test-${process.pid}-${++counter}`;
  await podman(['run', '-d', '--name', name, ...podmanArgs, image, ...args]);
  const logs = () => podman(['logs', name], { mergeStderr: true }).catch((error: Error) => error.message);
  return {
    name,
    logs,
    remove: async () => {
      await podman(['rm', '-f', '-t', '0', name]).catch(() => undefined);
    },
  };
}

/** `serve` of the tiny model mounted at /models, on a loopback port of the host network, one thread. */
function serveTiny(port: number): string[] {
  return [
    'serve',
    '--model',
    '/models/tiny.gguf',
    '--alias',
    'tiny',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--threads',
    '1',
  ];
}

/** Waits for /readyz, failing at once with the container's log if it exits first. */
async function waitReady(container: Container, port: number, timeoutMs: number): Promise<void> {
  let exited: Error | undefined;
  await waitFor(
    async () => {
      const state = JSON.parse(await podman(['inspect', '--format', '{{json .State}}', container.name])) as {
        Running: boolean;
        ExitCode: number;
      };
      if (!state.Running) {
        exited = new Error(`${container.name} exited (${state.ExitCode}):\n${await container.logs()}`);
        return false;
      }
      return (await httpGet(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200;
    },
    {
      description: `${container.name} to answer /readyz on port ${port}`,
      timeoutMs,
      intervalMs: 500,
      abortIf: () => {
        if (exited) throw exited;
      },
    },
  ).catch(async (error) => {
    throw error === exited ? error : new Error(`${(error as Error).message}\n${await container.logs()}`);
  });
}

describe.skipIf(skip)('images from the Dockerfile (podman, stand-in bases)', () => {
  let refs: Record<OwnImageKey, string>;
  let modelDir: string;

  beforeAll(async () => {
    const started = Date.now();
    refs = await buildOwnImages(KEYS, log);
    log(
      `built ${KEYS.join(', ')} in ${((Date.now() - started) / 1000).toFixed(0)} s (layer cache may have helped)`,
    );
    const base = await imageSize(dockerfileArgs().BASE_IMAGE!);
    for (const key of KEYS) {
      const size = await imageSize(refs[key]);
      const budget = SIZE_BUDGETS[key];
      // Reported, not asserted: the stand-in base is a debootstrap minbase, not Debian's slim image.
      log(
        `${refs[key]}: ${formatSize(size)} on the stand-in base (${formatSize(size - base)} above the ${formatSize(base)} base)` +
          (budget ? `; budget ${formatSize(budget)}` : ''),
      );
    }
    modelDir = mkdtempSync(join(tmpdir(), 'kubellama-image-model-'));
    chmodSync(modelDir, 0o755); // mkdtemp makes it 0700: UID 65532 in the container must read it
    await writeTinyModel(join(modelDir, 'tiny.gguf'));
  }, 1_800_000);

  afterAll(() => {
    if (modelDir) rmSync(modelDir, { recursive: true, force: true });
  });

  it('runtime and operator images carry only what they run: no npm, no TypeScript, no GPU prebuilts on CPU', async () => {
    const list = (image: string, script: string) =>
      podman(['run', '--rm', '--network=none', '--entrypoint', '/bin/sh', image, '-c', script]);
    const runtime = await list(
      refs.runtime,
      'ls /app/node_modules/@node-llama-cpp; ls /app; command -v npm || echo no-npm; ls /app/node_modules/typescript 2>/dev/null || echo no-typescript',
    );
    expect(runtime.split('\n').filter(Boolean)).toEqual([
      'linux-x64',
      'kubellama-runtime.mjs',
      'node_modules',
      'no-npm',
      'no-typescript',
    ]);
    const cuda = await list(
      refs.runtimeCuda,
      'ls /app/node_modules/@node-llama-cpp; echo $NVIDIA_VISIBLE_DEVICES $NVIDIA_DRIVER_CAPABILITIES',
    );
    expect(cuda.split('\n').filter(Boolean)).toEqual([
      'linux-x64',
      'linux-x64-cuda',
      'linux-x64-cuda-ext',
      'all compute,utility',
    ]);
    const operator = await list(
      refs.operator,
      'ls /app; test -e /app/node_modules && echo has-node-modules || echo no-node-modules',
    );
    expect(operator.split('\n').filter(Boolean)).toEqual(['kubellama-operator.mjs', 'no-node-modules']);
    for (const key of KEYS) {
      const inspect = JSON.parse(await podman(['image', 'inspect', refs[key]]))[0];
      expect(inspect.Config.User).toBe(`${KUBELLAMA_UID}:${KUBELLAMA_UID}`);
      expect(inspect.Config.Labels['org.opencontainers.image.version']).toMatch(/^\d+\.\d+\.\d+$/);
      expect(inspect.Config.Labels['org.opencontainers.image.revision']).toBeTruthy();
    }
  });

  it('every image carries its SBOM: CycloneDX from npm sbom, listing node-llama-cpp at the pinned version', async () => {
    const pinned = (
      JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
    ).dependencies['node-llama-cpp'];
    for (const key of KEYS) {
      const text = await podman([
        'run',
        '--rm',
        '--network=none',
        '--entrypoint',
        '/bin/cat',
        refs[key],
        SBOM_PATH,
      ]);
      const sbom = JSON.parse(text) as {
        bomFormat: string;
        specVersion: string;
        metadata: { component: { name: string; version: string } };
        components: Array<{ name: string; version: string; purl: string }>;
      };
      expect(sbom.bomFormat).toBe('CycloneDX');
      expect(sbom.specVersion).toMatch(/^1\.\d+$/);
      expect(sbom.metadata.component.name).toBe('kubellama');
      expect(sbom.components).toContainEqual(
        expect.objectContaining({
          name: 'node-llama-cpp',
          version: '3.21.1',
          purl: 'pkg:npm/node-llama-cpp@3.21.1',
        }),
      );
      expect(pinned).toBe('3.21.1');
      // Production dependencies only.
      expect(sbom.components.map((c) => c.name)).not.toContain('vitest');
      log(`${refs[key]}: ${SBOM_PATH}, ${sbom.components.length} components`);
    }
  });

  describe('runtime (CPU)', () => {
    let jaeger: Jaeger;
    let container: Container | undefined;
    let port: number;

    beforeAll(async () => {
      jaeger = await startJaeger();
      port = await freePort();
      // Host network: the container reaches the harness's Jaeger on loopback, nothing else is set up.
      container = await runDetached(refs.runtime, serveTiny(port), [
        '--network=host',
        '--read-only',
        '--user',
        `${KUBELLAMA_UID}:${KUBELLAMA_UID}`,
        '--cap-drop=ALL',
        '--security-opt=no-new-privileges',
        '-v',
        `${modelDir}:/models:ro`,
        '-e',
        `OTEL_EXPORTER_OTLP_ENDPOINT=${jaeger.otlpGrpcEndpoint}`,
        '-e',
        'OTEL_SERVICE_NAME=runtime-image-test',
      ]);
      await waitReady(container, port, 120_000);
    }, 300_000);

    afterAll(async () => {
      await container?.remove();
      await jaeger?.stop();
    });

    it('answers an OpenAI request as UID 65532 on a read-only root, and the trace reaches Jaeger', async () => {
      const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused' });
      // Greedy on LONG_PROMPT the tiny random-weights model runs to max_tokens (no early end of text).
      const { data, response } = await client.completions
        .create({ model: 'tiny', prompt: LONG_PROMPT, max_tokens: 8, temperature: 0 })
        .withResponse();
      expect(data.choices[0]?.text).toBeTypeOf('string');
      expect(data.usage?.completion_tokens).toBe(8);
      const traceId = response.headers.get('traceresponse')!.split('-')[1]!;
      const trace = await jaeger.waitForTrace(traceId, { minSpans: 3 });
      const process = Object.values(trace.processes)[0]!;
      expect(process.serviceName).toBe('runtime-image-test');
      expect(trace.spans.map((s) => s.operationName)).toContain('text_completion tiny');
      const inspect = JSON.parse(await podman(['inspect', container!.name]))[0];
      expect(inspect.Config.User).toBe(`${KUBELLAMA_UID}:${KUBELLAMA_UID}`);
      expect(inspect.HostConfig.ReadonlyRootfs).toBe(true);
    });

    it('SIGTERM (podman stop) drains and exits 0 within the grace period, through tini', async () => {
      const started = Date.now();
      await podman(['stop', '-t', '30', container!.name]);
      const seconds = (Date.now() - started) / 1000;
      const state = JSON.parse(await podman(['inspect', container!.name]))[0].State;
      log(`runtime container stopped in ${seconds.toFixed(1)} s, exit ${state.ExitCode}`);
      expect(state.ExitCode).toBe(0);
      expect(seconds).toBeLessThan(30);
      expect(await container!.logs()).toMatch(/drain|shut|stop/i);
    });
  });

  describe('runtime-cuda (on a stand-in CUDA base without CUDA libraries)', () => {
    it('falls back to CPU, says so in its log and /metrics, and still answers', async () => {
      const port = await freePort();
      const container = await runDetached(refs.runtimeCuda, serveTiny(port), [
        '--network=host',
        '--read-only',
        '-v',
        `${modelDir}:/models:ro`,
        '-e',
        'OTEL_TRACES_EXPORTER=none',
      ]);
      try {
        await waitReady(container, port, 180_000);
        const logs = await container.logs();
        const fallback = logs
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .find((line) => /fell back to CPU/i.test(String(line.msg)));
        expect(fallback, logs).toBeDefined();
        expect(fallback?.level).toBe('warn');
        const metrics = (await httpGet(`http://127.0.0.1:${port}/metrics`)).body;
        expect(metrics).toMatch(/^llama_gpu_devices\{[^}]*llama_gpu_fallback="true"[^}]*\} 0$/m);
        const response = await fetch(`http://127.0.0.1:${port}/v1/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'tiny', prompt: 'hi', max_tokens: 4 }),
        });
        expect(response.status).toBe(200);
      } finally {
        await container.remove();
      }
    }, 300_000);
  });

  describe('operator', () => {
    printKubeLogsOnFailure();

    it('starts with a mounted kubeconfig against the harness API server and answers /readyz', async () => {
      // The harness kubeconfig, rewritten for the container: the CA beside it, both readable by 65532.
      const kc = sharedKubeConfig();
      const cluster = kc.getCurrentCluster()!;
      const dir = mkdtempSync(join(tmpdir(), 'kubellama-operator-image-'));
      copyFileSync(cluster.caFile!, join(dir, 'ca.crt'));
      writeFileSync(
        join(dir, 'config'),
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [
            { name: 'harness', cluster: { server: cluster.server, 'certificate-authority': '/kube/ca.crt' } },
          ],
          users: [{ name: 'admin', user: { token: kc.getCurrentUser()!.token } }],
          contexts: [{ name: 'harness', context: { cluster: 'harness', user: 'admin' } }],
          'current-context': 'harness',
        }),
      );
      chmodSync(dir, 0o755);
      await installCrd(await KubeClient.fromKubeConfig(kc));
      const port = await freePort();
      const container = await runDetached(
        refs.operator,
        [
          '--kubeconfig',
          '/kube/config',
          '--health-port',
          String(port),
          '--no-leader-elect',
          '--trace-endpoint',
          'none',
        ],
        [
          '--network=host',
          '--read-only',
          '--user',
          `${KUBELLAMA_UID}:${KUBELLAMA_UID}`,
          '-v',
          `${dir}:/kube:ro`,
        ],
      );
      try {
        await waitReady(container, port, 60_000);
      } finally {
        await container.remove();
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  });
});
