// The demo after "a cluster exists", for any cluster: build kubellama's images and hand them to the
// node, install the operator, collector and Jaeger, serve a sample model, send it one chat request
// and find that request's trace in Jaeger. It knows the cluster only as a DemoCluster (a kubeconfig,
// an image loader, a file copier) and runs every command through a Runner, so kind (kind-cluster.ts)
// and a cluster without kind share it unchanged.
import { createConnection } from 'node:net';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ImageKey, type OwnImageKey, ownImage, SYSTEM_NAMESPACE } from '../../charts/images.js';
import { installApp } from '../../charts/install.js';
import { JAEGER_PORTS, JAEGER_SERVICE } from '../../charts/jaeger-config.js';
import { modelLocation } from '../../charts/llama-model-env.js';
import { RUNTIME_PATHS, RUNTIME_PORT } from '../../charts/runtime-contract.js';
import { type Engine, imageBuildCommands } from '../../images/build-images.js';
import { type ChatAnswer, chat, DEMO_PROMPT, waitForTrace } from './chat.js';
import type { Background, Runner } from './runner.js';
import { readSample, SAMPLES_DIR, type Sample, TINY_SAMPLE, tinyModelNodePath } from './samples.js';
import { waitForModelReady } from './wait-model.js';

export interface DemoCluster {
  /** Path of the cluster's kubeconfig (relative to the repository root or absolute). */
  readonly kubeconfig: string;
  /** Makes images built by the local engine, by reference, available to the node's container runtime. */
  loadImages(images: readonly string[]): Promise<void>;
  /** Copies a local file onto the node at `nodeFile` (folders created, readable by every user). */
  copyToNode(file: string, nodeFile: string): Promise<void>;
}

export interface DemoOptions {
  /** Builds kubellama's images. */
  readonly engine: Engine;
  /** A LlamaModel YAML file (kind/samples/*.yaml or the user's). */
  readonly sampleFile: string;
  /** Registry of kubellama's own images. @default DEFAULT_REGISTRY (the names the charts pin) */
  readonly registry?: string;
  /**
   * Single images replaced by key (`npm run synth -- --image KEY=REF`), loaded into the node with
   * kubellama's own: the local cluster's collector and Jaeger stand-ins. @default none
   */
  readonly imageOverrides?: Partial<Record<ImageKey, string>>;
  /**
   * Builds kubellama's own images under `registry` instead of the engine's build commands (the local
   * cluster builds them with the test harness's podman and stand-in bases). @default the build commands
   */
  readonly buildImages?: (keys: readonly OwnImageKey[]) => Promise<void>;
  /** Where the demo writes its files, relative to the repository root. */
  readonly workDir: string;
  /** Local ports of the port-forwards. @default RUNTIME_PORT, JAEGER_PORTS.query */
  readonly modelPort?: number;
  readonly jaegerPort?: number;
}

export interface DemoResult extends ChatAnswer {
  /** The Jaeger UI page of the request's trace. */
  readonly traceUrl: string;
  /** The trace's span names in start order (empty in a dry run). */
  readonly spans: readonly string[];
  /** Stops the port-forwards. */
  stop(): Promise<void>;
}

/** The install's Deployments, read from the charts themselves. */
function installDeployments(): { namespace: string; name: string }[] {
  return installApp()
    .charts.flatMap(
      (chart) => chart.toJson() as { kind: string; metadata: { name: string; namespace?: string } }[],
    )
    .filter((o) => o.kind === 'Deployment')
    .map((o) => ({ namespace: o.metadata.namespace ?? SYSTEM_NAMESPACE, name: o.metadata.name }));
}

/** The own images a sample needs: the CUDA runtime only for a GPU model that names no image. */
function imagesFor(sample: Sample): OwnImageKey[] {
  const model = sample.objects.find((o) => o.kind === 'LlamaModel');
  const spec = (model?.spec ?? {}) as { gpu?: { count?: number }; runtime?: { image?: string } };
  // The CRD's default GPU count is 1.
  const gpu = (spec.gpu?.count ?? 1) > 0 && !spec.runtime?.image;
  return gpu ? ['runtime', 'runtimeCuda', 'operator'] : ['runtime', 'operator'];
}

async function waitForPort(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

export async function runDemoSteps(
  runner: Runner,
  cluster: DemoCluster,
  options: DemoOptions,
): Promise<DemoResult> {
  const sample = readSample(options.sampleFile);
  const { model } = sample;
  const kubectl = (...args: string[]) => ({
    cmd: 'kubectl',
    args: ['--kubeconfig', cluster.kubeconfig, ...args],
  });

  const keys = imagesFor(sample);
  runner.progress(`==> Building kubellama's images (${keys.join(', ')}) with ${options.engine}`);
  const { buildImages } = options;
  if (buildImages) {
    await runner.step(`build ${keys.join(', ')}`, () => buildImages(keys), undefined);
  } else {
    for (const command of imageBuildCommands({
      engine: options.engine,
      registry: options.registry,
      keys,
      contextDir: '.',
    })) {
      await runner.run(command);
    }
  }
  const overrides = Object.entries(options.imageOverrides ?? {});
  runner.progress('==> Loading the images into the node');
  await cluster.loadImages([
    ...keys.map((key) => ownImage(key, options.registry)),
    ...overrides.map(([, ref]) => ref),
  ]);

  runner.progress('==> Writing the install manifests');
  const synthArgs = [
    ...(options.registry ? ['--registry', options.registry] : []),
    ...overrides.flatMap(([key, ref]) => ['--image', `${key}=${ref}`]),
  ];
  await runner.run({ cmd: 'npm', args: ['run', 'synth', ...(synthArgs.length ? ['--', ...synthArgs] : [])] });
  runner.progress('==> Installing the operator, the OpenTelemetry Collector and Jaeger');
  await runner.run(kubectl('apply', '--server-side', '-f', 'dist/manifests/'));
  for (const deployment of installDeployments()) {
    runner.progress(`==> Waiting for deployment ${deployment.namespace}/${deployment.name}`);
    await runner.run(
      kubectl(
        '--namespace',
        deployment.namespace,
        'rollout',
        'status',
        `deployment/${deployment.name}`,
        '--timeout=10m',
      ),
    );
  }

  if (sample.file === join(SAMPLES_DIR, `${TINY_SAMPLE}.yaml`)) {
    const local = `${options.workDir}/${TINY_SAMPLE}.gguf`;
    runner.progress('==> Writing the tiny test model and copying it onto the node');
    await runner.run({ cmd: 'npm', args: ['run', 'model:tiny', '--', local] });
    await cluster.copyToNode(local, tinyModelNodePath(sample).file);
  }

  runner.progress(`==> Serving ${model.source} as LlamaModel ${model.namespace}/${model.name}`);
  const namespaceExists = await runner.tryCapture(kubectl('get', 'namespace', model.namespace, '-o', 'name'));
  if (namespaceExists === undefined) await runner.run(kubectl('create', 'namespace', model.namespace));
  const shown = relative(process.cwd(), sample.file);
  await runner.run(kubectl('apply', '--server-side', '-f', shown.startsWith('..') ? sample.file : shown));
  // status.download does not exist yet: the pull container's log is where the progress is.
  const what = modelLocation(model.source).pull
    ? "download progress from the pull container's log, then model load"
    : 'model load';
  runner.progress(`==> Waiting for ${model.name} to be Ready (${what})`);
  await waitForModelReady(runner, cluster.kubeconfig, model);

  const modelPort = options.modelPort ?? RUNTIME_PORT;
  const jaegerPort = options.jaegerPort ?? JAEGER_PORTS.query;
  runner.progress(
    `==> Port-forwarding the model to 127.0.0.1:${modelPort} and Jaeger to 127.0.0.1:${jaegerPort}`,
  );
  const forward = (namespace: string, service: string, local: number, remote: number): Background =>
    runner.start(
      kubectl(
        '--namespace',
        namespace,
        'port-forward',
        '--address',
        '127.0.0.1',
        `service/${service}`,
        `${local}:${remote}`,
      ),
    );
  const forwards = [
    forward(model.namespace, model.name, modelPort, RUNTIME_PORT),
    forward(SYSTEM_NAMESPACE, JAEGER_SERVICE, jaegerPort, JAEGER_PORTS.query),
  ];
  const stop = async () => {
    await Promise.all(forwards.map((f) => f.stop()));
  };
  try {
    await runner.step(
      `wait for 127.0.0.1:${modelPort} and 127.0.0.1:${jaegerPort}`,
      async () => {
        await Promise.all([waitForPort(modelPort), waitForPort(jaegerPort)]);
      },
      undefined,
    );

    const baseURL = `http://127.0.0.1:${modelPort}${RUNTIME_PATHS.openAiBase}`;
    runner.progress(`==> Asking ${model.name}: "${DEMO_PROMPT}"`);
    const answer = await runner.step(
      `POST ${baseURL}/chat/completions {"model":"${model.name}","messages":[{"role":"user","content":"${DEMO_PROMPT}"}]}`,
      () => chat(baseURL, model.name),
      { answer: '<the answer>', traceId: '<trace-id>' },
    );
    const jaegerApi = `http://127.0.0.1:${jaegerPort}`;
    const spans = await runner.step(
      `GET ${jaegerApi}/api/traces/${answer.traceId} until Jaeger has the trace`,
      () => waitForTrace(jaegerApi, answer.traceId),
      [] as string[],
    );
    return { ...answer, spans, traceUrl: `http://localhost:${jaegerPort}/trace/${answer.traceId}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
