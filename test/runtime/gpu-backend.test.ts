// The runtime says which llama.cpp backend it runs on, with the real llama.cpp on the tiny model: the
// start-up log line, the llama.model.load span in the real Jaeger, and llama_gpu_devices on /metrics.
// Two cases this machine really produces: GPU use disabled on purpose (gpu layers 0), and gpu 'auto',
// where the CUDA and Vulkan prebuilts npm installed are skipped by node-llama-cpp (it finds no NVIDIA
// driver, CUDA or Vulkan libraries, so it never tries them) and llama.cpp runs on its CPU prebuilt.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { getLlamaGpuTypes } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServeConfig } from '../../runtime/config.js';
import type { RuntimeServer } from '../../runtime/server/runtime-server.js';
import { httpGet, type Jaeger, type JaegerSpan, type JaegerTrace, startJaeger } from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import {
  jaegerTraceEnv,
  type LogLine,
  memoryLog,
  startTestServer,
  type TinyModelDir,
  testConfig,
  tinyModelDir,
} from './runtime-fixture.js';

const CUDA_PREBUILT = '@node-llama-cpp/linux-x64-cuda';

// The fallback case needs what the dev machine has: the CUDA prebuilt in node_modules (npm installs
// every optional prebuilt for linux-x64) and no GPU libraries node-llama-cpp would try it with.
const gpuLibrariesFound = (await getLlamaGpuTypes('supported')).some((type) => type !== false);
const cudaPrebuiltInstalled = existsSync(`node_modules/${CUDA_PREBUILT}/package.json`);

interface Started {
  readonly server: RuntimeServer;
  readonly lines: readonly LogLine[];
  readonly service: string;
}

const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;

/** The `llama_gpu_devices` samples on a /metrics page, with their labels. */
function gpuDevicesSamples(text: string): Array<{ labels: Record<string, string>; value: number }> {
  return text
    .split('\n')
    .map((line) => /^llama_gpu_devices\{(.*)\} (\S+)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => ({
      labels: Object.fromEntries([...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!])),
      value: Number(match[2]),
    }));
}

describe('the llama.cpp backend in the log, the load span and /metrics', () => {
  let jaeger: Jaeger;
  let model: TinyModelDir;
  const servers: RuntimeServer[] = [];

  async function start(overrides: Partial<ServeConfig>): Promise<Started> {
    const service = `runtime-gpu-${randomBytes(3).toString('hex')}`;
    const { log, lines } = memoryLog();
    const server = await startTestServer(
      testConfig(model.modelPath, { parallel: 1, ...overrides }),
      // /metrics stays: only the OTLP metrics export is off.
      jaegerTraceEnv(jaeger, service),
      log,
    );
    servers.push(server);
    return { server, lines, service };
  }

  async function loadSpan({ server, service }: Started): Promise<JaegerSpan> {
    await server.telemetry.forceFlush();
    for (let attempt = 0; attempt < 100; attempt++) {
      const response = await httpGet(
        `${jaeger.queryUrl}/api/traces?service=${service}&operation=llama.model.load`,
      );
      const traces = (JSON.parse(response.body) as { data: JaegerTrace[] | null }).data ?? [];
      const span = traces[0]?.spans.find((s) => s.operationName === 'llama.model.load');
      if (span) return span;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`no llama.model.load span for ${service}`);
  }

  async function metrics(server: RuntimeServer) {
    return gpuDevicesSamples(await (await fetch(`${server.url}/metrics`)).text());
  }

  /** The one start-up line about the backend. */
  const backendLine = (lines: readonly LogLine[]) => {
    const found = lines.filter((line) => line.msg.startsWith('llama.cpp '));
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  beforeAll(async () => {
    [jaeger, model] = await Promise.all([startJaeger(), tinyModelDir()]);
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await jaeger?.stop();
    await model?.remove();
  });

  printLogsOnFailure(() => (jaeger ? [jaeger.process.logFile] : []));

  it('says GPU use was disabled on purpose with gpu layers 0, which is no fallback', async () => {
    const started = await start({ gpuLayers: 0 });
    const line = backendLine(started.lines);
    expect(line.level).toBe('info');
    expect(line.msg).toBe('llama.cpp runs on CPU (GPU use disabled on purpose: gpu layers 0)');
    expect(line).toMatchObject({ gpu: 'none', disabled: true, fallback: false, devices: [] });

    const span = await loadSpan(started);
    expect(tag(span, 'llama.gpu')).toBe('none');
    expect(tag(span, 'llama.gpu.fallback')).toBe(false);
    expect(tag(span, 'llama.gpu.device_names')).toBeUndefined();

    expect(await metrics(started.server)).toEqual([
      { labels: { llama_gpu: 'none', llama_gpu_fallback: 'false' }, value: 0 },
    ]);
  });

  it.runIf(cudaPrebuiltInstalled && !gpuLibrariesFound)(
    "with gpu 'auto' here, warns that it fell back to CPU, naming the CUDA prebuilt skipped",
    async () => {
      const started = await start({ gpuLayers: 'auto' });
      const line = backendLine(started.lines);
      expect(line.level).toBe('warn');
      expect(line.msg).toContain(
        `llama.cpp fell back to CPU: the cuda prebuilt (${CUDA_PREBUILT}) is installed but no NVIDIA ` +
          'driver or CUDA libraries were found (libnvidia-ml, libcuda, libcudart, libcublas, libcublasLt)',
      );
      expect(line).toMatchObject({ gpu: 'none', disabled: false, fallback: true, detected: [] });
      expect(line.installed).toContainEqual({ backend: 'cuda', packageName: CUDA_PREBUILT });
      expect(line.skipped).toContainEqual({
        backend: 'cuda',
        packageName: CUDA_PREBUILT,
        reason: 'libraries-not-found',
      });
      expect(started.server.context.engine?.info.gpu).toBe(false);

      const span = await loadSpan(started);
      expect(tag(span, 'llama.gpu')).toBe('none');
      expect(tag(span, 'llama.gpu.fallback')).toBe(true);

      expect(await metrics(started.server)).toEqual([
        { labels: { llama_gpu: 'none', llama_gpu_fallback: 'true' }, value: 0 },
      ]);
    },
  );
});
