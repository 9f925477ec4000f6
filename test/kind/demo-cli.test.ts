// `npm run demo` as a person runs it, without a cluster: the dry run prints the whole command
// sequence and runs none of it (the fake kind/kubectl/docker on PATH only satisfy the prerequisite
// check, and record it if anything executes them); a missing tool exits 2 with its install hint.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KUBELLAMA_VERSION } from '../../charts/images.js';
import { INSTALL_HINTS } from '../../kind/demo/prerequisites.js';

const dir = mkdtempSync(join(tmpdir(), 'kubellama-demo-'));
const ranLog = join(dir, 'ran');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A folder for PATH holding fake executables that log any run and fail. */
function fakeBin(name: string, tools: readonly string[]): string {
  const bin = join(dir, name);
  mkdirSync(bin, { recursive: true });
  for (const tool of tools) {
    const file = join(bin, tool);
    writeFileSync(file, `#!/bin/sh\necho "${tool} $*" >> '${ranLog}'\nexit 1\n`, { flag: 'w' });
    chmodSync(file, 0o755);
  }
  return bin;
}

function demo(path: string, ...args: string[]) {
  const { INIT_CWD: _ignored, ...env } = process.env;
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'kind/demo/main.ts', ...args], {
    encoding: 'utf8',
    env: { ...env, PATH: path },
  });
  return { ...run, stdout: run.stdout.split(KUBELLAMA_VERSION).join('<version>') };
}

describe('npm run demo', () => {
  it('prints the whole command sequence in a dry run and runs none of it', () => {
    const path = fakeBin('all', ['kind', 'kubectl', 'docker']);
    const run = demo(path, '--dry-run');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(existsSync(ranLog)).toBe(false);
    expect(run.stdout).toMatchInlineSnapshot(`
      "$ kind get clusters
      ==> Creating kind cluster kubellama
      $ kind create cluster --name kubellama --config kind/cluster.yaml
      $ kind export kubeconfig --name kubellama --kubeconfig dist/demo/kubeconfig
      ==> Building kubellama's images (runtime, operator) with docker
      $ docker build --target runtime --tag ghcr.io/kubellama/runtime:<version> --build-arg VERSION=<version> --build-arg REVISION=unknown --file ./Dockerfile .
      $ docker build --target operator --tag ghcr.io/kubellama/operator:<version> --build-arg VERSION=<version> --build-arg REVISION=unknown --file ./Dockerfile .
      ==> Loading the images into the node
      $ kind load docker-image --name kubellama ghcr.io/kubellama/runtime:<version> ghcr.io/kubellama/operator:<version>
      ==> Writing the install manifests
      $ npm run synth
      ==> Installing the operator, the OpenTelemetry Collector and Jaeger
      $ kubectl --kubeconfig dist/demo/kubeconfig apply --server-side -f dist/manifests/
      ==> Waiting for deployment kubellama-system/kubellama-operator
      $ kubectl --kubeconfig dist/demo/kubeconfig --namespace kubellama-system rollout status deployment/kubellama-operator --timeout=10m
      ==> Waiting for deployment kubellama-system/otel-collector
      $ kubectl --kubeconfig dist/demo/kubeconfig --namespace kubellama-system rollout status deployment/otel-collector --timeout=10m
      ==> Waiting for deployment kubellama-system/jaeger
      $ kubectl --kubeconfig dist/demo/kubeconfig --namespace kubellama-system rollout status deployment/jaeger --timeout=10m
      ==> Serving hf:unsloth/gemma-3-270m-it-GGUF:Q8_0 as LlamaModel demo/gemma
      $ kubectl --kubeconfig dist/demo/kubeconfig get namespace demo -o name
      $ kubectl --kubeconfig dist/demo/kubeconfig create namespace demo
      $ kubectl --kubeconfig dist/demo/kubeconfig apply --server-side -f kind/samples/gemma.yaml
      ==> Waiting for gemma to be Ready (download progress from the pull container's log, then model load)
      $ kubectl --kubeconfig dist/demo/kubeconfig --namespace demo logs deployment/gemma -c pull --tail=1
      $ kubectl --kubeconfig dist/demo/kubeconfig --namespace demo get llamamodels.inference.kubellama.dev/gemma -o 'jsonpath={.status.phase}/{.status.conditions[?(@.type=="Ready")].status}'
          gemma: Ready
      ==> Port-forwarding the model to 127.0.0.1:8080 and Jaeger to 127.0.0.1:16686
      $ kubectl --kubeconfig dist/demo/kubeconfig --namespace demo port-forward --address 127.0.0.1 service/gemma 8080:8080 &
      $ kubectl --kubeconfig dist/demo/kubeconfig --namespace kubellama-system port-forward --address 127.0.0.1 service/jaeger 16686:16686 &
      # wait for 127.0.0.1:8080 and 127.0.0.1:16686
      ==> Asking gemma: "In one sentence: why is the sky blue?"
      # POST http://127.0.0.1:8080/v1/chat/completions {"model":"gemma","messages":[{"role":"user","content":"In one sentence: why is the sky blue?"}]}
      # GET http://127.0.0.1:16686/api/traces/<trace-id> until Jaeger has the trace

      answer:   <the answer>
      trace id: <trace-id>
      trace:    http://localhost:16686/trace/<trace-id>

      "
    `);
  });

  it('loads podman images through an archive, telling kind to use podman', () => {
    const run = demo(
      fakeBin('podman', ['kind', 'kubectl', 'podman']),
      '--engine',
      'podman',
      '--model',
      'tiny',
      '--dry-run',
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(existsSync(ranLog)).toBe(false);
    const lines = run.stdout.split('\n');
    expect(lines).toContain(
      '$ KIND_EXPERIMENTAL_PROVIDER=podman kind create cluster --name kubellama --config kind/cluster.yaml',
    );
    expect(lines).toContain(
      '$ podman save --multi-image-archive --output dist/demo/images.tar ghcr.io/kubellama/runtime:<version> ghcr.io/kubellama/operator:<version>',
    );
    expect(lines).toContain(
      '$ KIND_EXPERIMENTAL_PROVIDER=podman kind load image-archive --name kubellama dist/demo/images.tar',
    );
    // The tiny model: generated here, copied onto the node where its PersistentVolume points.
    expect(lines).toContain(
      '$ podman cp dist/demo/tiny.gguf kubellama-control-plane:/var/lib/kubellama/models/tiny.gguf',
    );
    expect(lines).toContain(
      '$ kubectl --kubeconfig dist/demo/kubeconfig apply --server-side -f kind/samples/tiny.yaml',
    );
  });

  it('builds the CUDA runtime image only for a GPU sample', () => {
    const path = fakeBin('all', ['kind', 'kubectl', 'docker']);
    const gpu = demo(path, '--model', 'llama-gpu', '--dry-run');
    expect(gpu.status).toBe(0);
    expect(gpu.stdout).toContain('--tag ghcr.io/kubellama/runtime:<version>-cuda');
    expect(demo(path, '--dry-run').stdout).not.toContain('-cuda');
  });

  it('deletes the cluster with down', () => {
    const run = demo(fakeBin('all', ['kind', 'kubectl', 'docker']), 'down', '--dry-run');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('==> Deleting kind cluster kubellama\n$ kind delete cluster --name kubellama\n');
  });

  it('names each missing tool with an install hint and exits 2', () => {
    const run = demo(fakeBin('no-kind', ['kubectl', 'docker']), '--dry-run');
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`demo: ${INSTALL_HINTS.kind}\n`);
    const nothing = demo(fakeBin('empty', []), '--dry-run');
    expect(nothing.status).toBe(2);
    expect(nothing.stderr.trim().split('\n')).toEqual([
      `demo: ${INSTALL_HINTS.engine}`,
      `demo: ${INSTALL_HINTS.kind}`,
      `demo: ${INSTALL_HINTS.kubectl}`,
    ]);
    expect(existsSync(ranLog)).toBe(false);
  });

  it('refuses an unknown --model, naming the samples', () => {
    const run = demo(fakeBin('all', ['kind', 'kubectl', 'docker']), '--model', 'nope', '--dry-run');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      /--model: "nope" is neither a sample \(gemma, gemma-autoscaled, llama-gpu, pvc, tiny\)/,
    );
  });
});
