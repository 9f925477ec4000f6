// kubectl-llama against the shared real kube-apiserver (the CRD installed from the schema): `run`
// with the LlamaModel controller running in-process, `ls` with status fields set, and the errors a
// person sees. No kubelet and no controller-manager run here: where a test needs what they would do
// (a Deployment's status) or what the operator's download and performance loops write, the test
// writes it through the status subresource itself and says so. Pods, logs and the port-forward are
// exercised on a real node by the end-to-end suite (test/e2e/kubellama.test.ts).
import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LlamaModel, LlamaModelStatus } from '../../operator/api/llama-model.js';
import type { KubeClient } from '../../operator/kube/kube-client.js';
import { deploymentPath, modelPath } from '../../operator/llamamodel/paths.js';
import { runPlugin } from '../../plugin/cli.js';
import { waitFor } from '../harness/index.js';
import { createTestNamespace, printKubeLogsOnFailure, sharedKubeConfig } from '../harness/vitest.js';
import { clientFor, installCrd } from '../operator/support/kube.js';
import { type RunningOperator, runOperator } from '../operator/support/operator.js';
import { memoryIo, plugin, pluginProcess } from './support/plugin-io.js';

/** A source nothing is downloaded from here (no kubelet runs the pull). */
const SOURCE = 'https://127.0.0.1:9/models/tiny.gguf';
const NOW = '2026-01-01T00:00:00Z';

describe('kubectl llama against the real API server', () => {
  printKubeLogsOnFailure();
  const kc = sharedKubeConfig();
  const env = { KUBECONFIG: inject('kubeconfigPath') };
  let client: KubeClient;
  /** Where the operator runs. */
  let operated: string;
  /** Where nothing but the test writes status. */
  let quiet: string;
  let operator: RunningOperator | undefined;

  const setModelStatus = (ns: string, name: string, status: LlamaModelStatus) =>
    client.patch(modelPath(ns, name, 'status'), { status }, 'merge');
  const waitForModel = (ns: string, name: string) =>
    waitFor(() => client.getOrUndefined<LlamaModel>(modelPath(ns, name)), {
      description: `LlamaModel ${ns}/${name}`,
      timeoutMs: 20_000,
      intervalMs: 100,
    });

  beforeAll(async () => {
    client = await clientFor(kc);
    await installCrd(client);
    [operated, quiet] = await Promise.all([
      createTestNamespace(kc, 'plugin-run'),
      createTestNamespace(kc, 'plugin-quiet'),
    ]);
    operator = await runOperator(kc, operated);
  });

  afterAll(async () => {
    await operator?.stop();
  });

  it('run applies the model as kubectl-llama and waits until the operator says Ready (the Deployment status written here as the controller-manager would)', async () => {
    const io = memoryIo(env);
    const running = runPlugin(
      ['run', 'tiny', '-n', operated, '--model', SOURCE, '--gpu', '0', '--parallel', '2', '--timeout', '60s'],
      io,
    );
    const deployment = await waitFor(
      () => client.getOrUndefined<V1Deployment>(deploymentPath(operated, 'tiny')),
      {
        description: 'the Deployment of tiny',
        timeoutMs: 20_000,
      },
    );
    // The operator has said Pending before the pods are ready.
    await waitFor(async () => io.out().includes('tiny: phase Pending'), {
      description: 'a Pending line',
      timeoutMs: 20_000,
    });
    const generation = deployment.metadata?.generation;
    await client.patch(
      deploymentPath(operated, 'tiny', 'status'),
      {
        status: {
          observedGeneration: generation,
          replicas: 1,
          updatedReplicas: 1,
          readyReplicas: 1,
          availableReplicas: 1,
        },
      },
      'merge',
    );
    const code = await running;
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const lines = io.out().trim().split('\n');
    expect(lines[0]).toBe('llamamodel.inference.kubellama.dev/tiny serverside-applied');
    expect(lines.at(-2)).toBe(
      `llamamodel "tiny" in namespace "${operated}" is Ready: http://tiny.${operated}.svc:8080/v1`,
    );
    expect(lines.at(-1)).toBe(`chat with it: kubectl llama chat tiny -n ${operated}`);
    // Each progress line printed once, when it changed.
    const progress = lines.filter((line) => line.startsWith('tiny: '));
    expect(new Set(progress).size).toBe(progress.length);
    expect(progress.at(-1)).toMatch(/^tiny: phase Ready · ready 1\/1/);

    const model = await client.get<
      LlamaModel & { metadata: { managedFields: { manager: string; operation: string }[] } }
    >(modelPath(operated, 'tiny'));
    expect(model.spec).toMatchObject({
      model: { source: SOURCE },
      gpu: { count: 0 },
      runtime: { parallel: 2 },
    });
    expect(model.metadata.managedFields).toContainEqual(
      expect.objectContaining({ manager: 'kubectl-llama', operation: 'Apply' }),
    );
  });

  it('run shows the download progress and phase from status as they change (status written here as the operator would)', async () => {
    const io = memoryIo(env);
    const running = runPlugin(
      ['run', 'dl', '-n', quiet, '--model', SOURCE, '--gpu', '0', '--timeout', '60s'],
      io,
    );
    await waitForModel(quiet, 'dl');
    const download = (bytes: number, percent: number) => ({
      bytes,
      totalBytes: 300_000_000,
      percent,
      pods: 1,
      observedAt: NOW,
    });
    const progressing = (reason: string, message: string) => [
      { type: 'Progressing', status: 'True' as const, reason, message, lastTransitionTime: NOW },
    ];
    for (const [bytes, percent] of [
      [30_000_000, 10],
      [120_000_000, 40],
    ] as const) {
      await setModelStatus(quiet, 'dl', {
        observedGeneration: 1,
        phase: 'Downloading',
        download: download(bytes, percent),
        conditions: progressing('Downloading', '1 pod downloads the model'),
      });
      await waitFor(async () => io.out().includes(`downloading ${percent}%`), {
        description: `${percent}% shown`,
        timeoutMs: 10_000,
      });
    }
    await client.patch(
      modelPath(quiet, 'dl', 'status'),
      {
        status: { download: null, phase: 'Loading', conditions: progressing('Loading', 'loading the model') },
      },
      'merge',
    );
    await waitFor(async () => io.out().includes('phase Loading'), {
      description: 'Loading shown',
      timeoutMs: 10_000,
    });
    await setModelStatus(quiet, 'dl', {
      observedGeneration: 1,
      phase: 'Ready',
      readyReplicas: 1,
      endpoint: `http://dl.${quiet}.svc:8080/v1`,
      conditions: [],
    });
    expect(await running).toBe(0);
    const progress = io
      .out()
      .split('\n')
      .filter((line) => line.startsWith('dl: '));
    expect(progress).toEqual([
      'dl: phase Pending · ready 0/1',
      'dl: phase Downloading · downloading 10% (30.0 MB of 300.0 MB) · ready 0/1 · Downloading: 1 pod downloads the model',
      'dl: phase Downloading · downloading 40% (120.0 MB of 300.0 MB) · ready 0/1 · Downloading: 1 pod downloads the model',
      'dl: phase Loading · ready 0/1 · Loading: loading the model',
      'dl: phase Ready · ready 1/1',
    ]);
  });

  it('run stops with the reason when the model fails, and after --timeout', async () => {
    const io = memoryIo(env);
    const running = runPlugin(
      ['run', 'broken', '-n', quiet, '--model', SOURCE, '--gpu', '0', '--timeout', '60s'],
      io,
    );
    await waitForModel(quiet, 'broken');
    await setModelStatus(quiet, 'broken', {
      observedGeneration: 1,
      phase: 'Failed',
      conditions: [
        {
          type: 'Degraded',
          status: 'True',
          reason: 'ModelDownloadFailed',
          message: 'pull: HTTP 404 Not Found',
          lastTransitionTime: NOW,
        },
      ],
    });
    expect(await running).toBe(1);
    expect(io.err()).toMatch(
      new RegExp(
        `^error: llamamodel "broken" in namespace "${quiet}" failed: phase Failed · ready 0/1 · Degraded ModelDownloadFailed: pull: HTTP 404 Not Found\n`,
      ),
    );

    const slow = await plugin(
      ['run', 'slow', '-n', quiet, '--model', SOURCE, '--gpu', '0', '--timeout', '2s'],
      env,
    );
    expect(slow.code).toBe(1);
    expect(slow.stderr).toMatch(
      `error: timed out after 2 s waiting for llamamodel "slow" in namespace "${quiet}" to be Ready (last: phase Pending · ready 0/1)`,
    );
  });

  it("passes the API server's refusal through, naming the field", async () => {
    const bad = await plugin(
      ['run', 'bad', '-n', quiet, '--model', SOURCE, '--sha256', 'xyz', '--gpu', '0'],
      env,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      `error: the API server refused llamamodel "bad" in namespace "${quiet}":\n  spec.model.sha256: `,
    );
    expect(bad.stderr).toMatch('sha256 must be empty or exactly 64 hexadecimal characters');
    const name = await plugin(['run', 'Bad_Name', '-n', quiet, '--model', SOURCE, '--gpu', '0'], env);
    expect(name.code).toBe(1);
    expect(name.stderr).toMatch(/error: the API server refused llamamodel "Bad_Name" in namespace "[^"]+":?/);
    expect(name.stderr).toMatch(/metadata\.name/);
    // Nothing was created by either.
    expect(await client.getOrUndefined(modelPath(quiet, 'bad'))).toBeUndefined();
  });

  it('run --dry-run=server prints what the API server would store (defaults filled) and stores nothing', async () => {
    const result = await plugin(
      ['run', 'dry', '-n', quiet, '--model', SOURCE, '--gpu', '0', '--dry-run=server', '-o', 'json'],
      env,
    );
    expect(result.stderr).toBe('');
    const model = JSON.parse(result.stdout) as LlamaModel;
    expect(model.spec.runtime).toMatchObject({ contextSize: 4096, parallel: 4 });
    expect(await client.getOrUndefined(modelPath(quiet, 'dry'))).toBeUndefined();
  });

  it('ls shows the models like kubectl get, with the performance the operator writes into status', async () => {
    const ns = await createTestNamespace(kc, 'plugin-ls');
    for (const name of ['alpha', 'beta']) {
      expect(
        (await plugin(['run', name, '-n', ns, '--model', SOURCE, '--gpu', '0', '--no-wait'], env)).code,
      ).toBe(0);
    }
    await setModelStatus(ns, 'alpha', {
      observedGeneration: 1,
      phase: 'Ready',
      readyReplicas: 1,
      endpoint: `http://alpha.${ns}.svc:8080/v1`,
      performance: {
        tokensPerSecond: 123.45,
        ttftP50Seconds: 0.042,
        ttftP95Seconds: 1.5,
        requestsInFlight: 2,
        requestsQueued: 3,
        replicasScraped: 1,
        windowSeconds: 30,
        observedAt: NOW,
      },
    });
    // Ages from a fixed clock: 90 s after each model's creation.
    const created = Date.parse(
      (await client.get<LlamaModel & { metadata: { creationTimestamp: string } }>(modelPath(ns, 'alpha')))
        .metadata.creationTimestamp,
    );
    const at = { now: () => created + 90_000 };
    const table = await plugin(['ls', '-n', ns], env, at);
    expect(table.stderr).toBe('');
    const [header, alpha, beta] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NAME {3,}READY {3,}PHASE {3,}ENDPOINT {3,}TOK\/S {3,}TTFT {3,}AGE$/);
    expect(alpha?.split(/ {3,}/)).toEqual([
      'alpha',
      '1/1',
      'Ready',
      `http://alpha.${ns}.svc:8080/v1`,
      '123.5',
      '42ms',
      expect.stringMatching(/^9\ds$/),
    ]);
    expect(beta?.split(/ {3,}/)).toEqual([
      'beta',
      '0/1',
      '-',
      '-',
      '-',
      '-',
      expect.stringMatching(/^\d+s$/),
    ]);
    // Columns line up: every row's cells start where the header's do.
    expect(alpha!.indexOf('1/1')).toBe(header!.indexOf('READY'));

    const wide = await plugin(['ls', '-n', ns, '-o', 'wide'], env, at);
    expect(wide.stdout.split('\n')[0]).toMatch(
      /AGE {3,}SOURCE {3,}GPU {3,}TTFT P95 {3,}IN FLIGHT {3,}QUEUED$/,
    );
    expect(wide.stdout.split('\n')[1]).toMatch(
      new RegExp(`${SOURCE.replaceAll('.', '\\.')} {3,}0 {3,}1\\.50s {3,}2 {3,}3$`),
    );

    const json = JSON.parse((await plugin(['list', '-n', ns, '-o', 'json'], env)).stdout) as {
      kind: string;
      items: LlamaModel[];
    };
    expect(json.kind).toBe('List');
    expect(json.items.map((m) => m.metadata.name)).toEqual(['alpha', 'beta']);
    expect(json.items[0]?.status?.performance?.tokensPerSecond).toBe(123.45);
    expect((await plugin(['ls', '-n', ns, '-o', 'yaml'], env)).stdout).toMatch(
      /^apiVersion: v1\nkind: List\nitems:\n/,
    );

    const all = await plugin(['ls', '-A'], env);
    expect(all.stdout.split('\n')[0]).toMatch(/^NAMESPACE {3,}NAME {3,}READY/);
    expect(all.stdout).toMatch(new RegExp(`^${ns} {3,}alpha {3,}1/1`, 'm'));
    expect(all.stdout).toMatch(new RegExp(`^${operated} {3,}tiny `, 'm'));

    const empty = await plugin(['ls', '-n', await createTestNamespace(kc, 'plugin-empty')], env);
    expect(empty).toMatchObject({ code: 0, stdout: '' });
    expect(empty.stderr).toMatch(/^No resources found in plugin-empty-[0-9a-f]+ namespace\.\n$/);
  });

  it('says which model is missing, where, and what a model without pods lacks', async () => {
    for (const args of [
      ['chat', 'nope'],
      ['logs', 'nope'],
      ['trace', 'nope', '--jaeger', 'http://127.0.0.1:9'],
      ['logs', 'nope', '-f'],
    ]) {
      const result = await plugin([...args, '-n', quiet], env);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr).toBe(`error: llamamodel "nope" not found in namespace "${quiet}"\n`);
    }
    // `dl` exists but has no pods (no controller-manager here makes them).
    expect((await plugin(['logs', 'dl', '-n', quiet], env)).stderr).toBe(
      `error: llamamodel "dl" in namespace "${quiet}" has no pods yet (kubectl llama ls shows its phase)\n`,
    );
    expect((await plugin(['chat', 'dl', '-n', quiet, '--prompt', 'hi'], env)).stderr).toMatch(
      `error: llamamodel "dl" in namespace "${quiet}" has no ready pod (phase Ready, 0 pod(s))`,
    );
  });

  it('the kubectl-llama executable: exit codes and output as kubectl runs it', async () => {
    const listed = await pluginProcess(['ls', '-n', quiet], env);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^NAME {3,}READY {3,}PHASE/);
    expect(listed.stdout).toMatch(/^dl {3,}1\/1 {3,}Ready/m);
    const noConfig = await pluginProcess(['ls'], { HOME: '/nonexistent' });
    expect(noConfig.code).toBe(1);
    expect(noConfig.stderr).toMatch(/^error: no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG/);
  });
});
