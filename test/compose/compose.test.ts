// The repository's compose.yaml, unchanged, under podman-compose: the runtime image built from the
// Dockerfile, and the collector and Jaeger stand-ins (test/harness/images.ts) under the names
// compose.yaml gives the upstream images. One chat request through the published port; its trace
// goes runtime → collector → Jaeger and is read back through Jaeger's published query port.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMPOSE_FILE,
  COMPOSE_OTEL_SERVICE_NAME,
  COMPOSE_SERVICES,
  COMPOSE_VARS,
} from '../../charts/compose.js';
import { KUBELLAMA_UID } from '../../charts/images.js';
import { RUNTIME_PATHS, TRACERESPONSE_HEADER } from '../../charts/runtime-contract.js';
import {
  httpSpanName,
  operationSpanName,
  SPAN_DECODE,
  SPAN_PREFILL,
} from '../../runtime/telemetry/span-names.js';
import { buildOwnImages, buildToolImages } from '../harness/images.js';
import { freePorts, httpGet, type JaegerTrace, waitFor } from '../harness/index.js';
import { podman, podmanEnv, podmanSkipReason, REPO_ROOT } from '../harness/podman.js';
import { writeTinyModel } from '../tools/tiny-model/tiny-llama.js';
import {
  describeChanges,
  type HostNetworkState,
  hostNetworkState,
  netavarkBridges,
  restoreHostNetworkState,
} from './host-network-state.js';

const MODEL_FILE = 'tiny.gguf';
const MODEL = 'tiny';

function skipReason(): string | undefined {
  const podmanReason = podmanSkipReason();
  if (podmanReason) return podmanReason;
  if (spawnSync('sh', ['-c', 'command -v podman-compose']).status !== 0)
    return 'podman-compose is not installed (apt-get install -y podman-compose)';
  return undefined;
}

const skip = skipReason();
if (skip) console.warn(`compose suite skipped: ${skip}`);

const log = (line: string) => console.log(`[compose] ${line}`);
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Runs podman-compose on the repository's compose.yaml under `project`; resolves with its output. */
function podmanCompose(
  project: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 300_000,
): Promise<string> {
  const argv = ['-p', project, '-f', join(REPO_ROOT, COMPOSE_FILE), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn('podman-compose', argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const append = (d: Buffer) => {
      output += d.toString();
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      if (status === 0) resolve(output);
      else
        reject(
          new Error(`podman-compose ${argv.join(' ')} failed (exit ${status}):\n${output.slice(-4000)}`),
        );
    });
  });
}

describe.skipIf(skip)('compose.yaml under podman-compose: runtime → collector → Jaeger', () => {
  const project = `kubellama-compose-${process.pid}-${Date.now().toString(36)}`;
  const container = (service: string) => `${project}_${service}_1`;
  let env: NodeJS.ProcessEnv;
  let modelDir: string | undefined;
  let hostBefore: HostNetworkState | undefined;
  let apiUrl: string;
  let jaegerUrl: string;
  let upCalled = false;

  async function serviceLogs(): Promise<string> {
    const parts = await Promise.all(
      Object.values(COMPOSE_SERVICES).map(async (service) => {
        const text = await podman(['logs', container(service)]).catch((error: Error) => error.message);
        return `--- ${service}\n${text.slice(-3000)}`;
      }),
    );
    return parts.join('\n');
  }

  beforeAll(async () => {
    const buildStarted = Date.now();
    await buildOwnImages(['runtime'], log);
    await buildToolImages();
    log(`images built in ${seconds(buildStarted)} (layer cache may have helped)`);

    modelDir = mkdtempSync(join(tmpdir(), 'kubellama-compose-model-'));
    // The runtime runs as UID 65532: the folder and the model must be readable by others.
    chmodSync(modelDir, 0o755);
    await writeTinyModel(join(modelDir, MODEL_FILE));
    chmodSync(join(modelDir, MODEL_FILE), 0o644);

    const [apiPort, jaegerPort] = (await freePorts(2)) as [number, number];
    apiUrl = `http://127.0.0.1:${apiPort}`;
    jaegerUrl = `http://127.0.0.1:${jaegerPort}`;
    env = {
      ...podmanEnv(),
      [COMPOSE_VARS.models.name]: modelDir,
      [COMPOSE_VARS.modelFile.name]: MODEL_FILE,
      [COMPOSE_VARS.apiPort.name]: String(apiPort),
      [COMPOSE_VARS.jaegerPort.name]: String(jaegerPort),
    };

    hostBefore = hostNetworkState();
    const upStarted = Date.now();
    upCalled = true;
    await podmanCompose(project, ['up', '-d'], env);
    log(`podman-compose up -d returned in ${seconds(upStarted)}`);
    try {
      await waitFor(async () => (await httpGet(`${apiUrl}${RUNTIME_PATHS.ready}`)).status === 200, {
        description: 'the runtime /readyz through its published port',
        timeoutMs: 180_000,
        intervalMs: 500,
      });
      log(`runtime ready ${seconds(upStarted)} after up`);
      await waitFor(async () => (await httpGet(`${jaegerUrl}/api/services`)).status === 200, {
        description: 'the Jaeger query API through its published port',
        timeoutMs: 60_000,
        intervalMs: 500,
      });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${await serviceLogs()}`);
    }
  }, 1_800_000);

  afterAll(async () => {
    const problems: string[] = [];
    if (upCalled) {
      await podmanCompose(project, ['down'], env, 120_000).catch((error: Error) =>
        problems.push(error.message),
      );
      // podman-compose 1.0.3 creates the project network on `up` but never removes it on `down`.
      const network = `${project}_default`;
      const left = await podman(['network', 'exists', network]).then(
        () => true,
        () => false,
      );
      if (left)
        await podman(['network', 'rm', network]).catch((error: Error) => problems.push(error.message));
      const label = `label=io.podman.compose.project=${project}`;
      const containers = (await podman(['ps', '-a', '-q', '--filter', label])).trim();
      const networks = (await podman(['network', 'ls', '-q', '--filter', label])).trim();
      const volumes = (await podman(['volume', 'ls', '-q', '--filter', label])).trim();
      if (containers || networks || volumes)
        problems.push(`left behind: containers [${containers}] networks [${networks}] volumes [${volumes}]`);
    }
    if (hostBefore) {
      const changes = describeChanges(hostBefore, hostNetworkState());
      if (changes.length > 0) {
        log(`netavark changed the host:\n  ${changes.join('\n  ')}`);
        // Only while nothing else uses netavark: no other project's network, no bridge up.
        const others = (await podman(['network', 'ls', '--format', '{{.Name}}']))
          .split('\n')
          .filter((n) => n && n !== 'podman');
        const bridges = netavarkBridges();
        if (others.length > 0 || bridges.length > 0)
          log(
            `left as it is, still in use: networks [${others.join(', ')}], bridges [${bridges.join(', ')}]`,
          );
        else {
          const { undone, failed } = restoreHostNetworkState(hostBefore);
          log(`restored: ${undone.join('; ')}${failed.length ? `; could not: ${failed.join('; ')}` : ''}`);
          const still = describeChanges(hostBefore, hostNetworkState());
          log(still.length ? `still changed: ${still.join('; ')}` : 'host network state as before the test');
        }
      }
    }
    if (modelDir) rmSync(modelDir, { recursive: true, force: true });
    expect(problems, 'compose down left something').toEqual([]);
  }, 180_000);

  it('runs the runtime as in the cluster: UID 65532, read-only root, no capabilities, model read-only', async () => {
    const inspect = JSON.parse(await podman(['inspect', container(COMPOSE_SERVICES.runtime)]))[0];
    expect(inspect.Config.User).toBe(`${KUBELLAMA_UID}:${KUBELLAMA_UID}`);
    expect(inspect.HostConfig.ReadonlyRootfs).toBe(true);
    expect(inspect.HostConfig.CapDrop ?? []).toEqual(expect.arrayContaining(['CAP_CHOWN', 'CAP_KILL']));
    expect(inspect.HostConfig.CapAdd ?? []).toEqual([]);
    // Its spans go to the collector, not to Jaeger: the trace test below sees them arrive through it.
    expect(inspect.Config.Env).toContain(
      `OTEL_EXPORTER_OTLP_ENDPOINT=http://${COMPOSE_SERVICES.collector}:4317`,
    );
    const models = inspect.Mounts.find((m: { Destination: string }) => m.Destination === '/models');
    expect(models).toMatchObject({ Source: modelDir, RW: false });
    const network = JSON.parse(await podman(['network', 'inspect', `${project}_default`]))[0];
    // Never 10.x: the harness's podman gives networks 198.18.0.0/15 addresses only.
    for (const subnet of network.subnets) expect(subnet.subnet).toMatch(/^198\.(18|19)\./);
  });

  it('answers a chat request on the published port, and its trace reaches Jaeger through the collector', async () => {
    const client = new OpenAI({ baseURL: `${apiUrl}${RUNTIME_PATHS.openAiBase}`, apiKey: 'unused' });
    const asked = Date.now();
    const { data, response } = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: 'hello' }], max_tokens: 8 })
      .withResponse();
    log(`first answer in ${seconds(asked)}`);
    expect(data.choices[0]?.message.content).toBeTypeOf('string');
    expect(data.usage?.completion_tokens).toBeGreaterThan(0);

    const traceresponse = response.headers.get(TRACERESPONSE_HEADER);
    expect(traceresponse).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const [, traceId, serverSpanId] = traceresponse!.split('-') as [string, string, string];

    const polled = Date.now();
    const wanted = [
      httpSpanName('POST', '/v1/chat/completions'),
      operationSpanName('chat', MODEL),
      SPAN_PREFILL,
      SPAN_DECODE,
    ];
    const trace = await waitFor(
      async () => {
        const answer = await httpGet(`${jaegerUrl}/api/traces/${traceId}`);
        if (answer.status !== 200) return undefined;
        const found = (JSON.parse(answer.body) as { data: JaegerTrace[] }).data[0];
        const names = new Set(found?.spans.map((s) => s.operationName));
        return wanted.every((name) => names.has(name)) ? found : undefined;
      },
      {
        description: `trace ${traceId} with ${wanted.join(', ')} in Jaeger`,
        timeoutMs: 60_000,
        intervalMs: 500,
      },
    ).catch(async (error) => {
      throw new Error(`${(error as Error).message}\n${await serviceLogs()}`);
    });
    log(`trace in Jaeger ${seconds(polled)} after the answer (${trace.spans.length} spans)`);

    const server = trace.spans.find((s) => s.spanID === serverSpanId);
    expect(server?.operationName).toBe(httpSpanName('POST', '/v1/chat/completions'));
    expect(server?.tags).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: 'span.kind', value: 'server' })]),
    );
    const services = new Set(Object.values(trace.processes).map((p) => p.serviceName));
    expect([...services]).toEqual([COMPOSE_OTEL_SERVICE_NAME]);
  });
});
