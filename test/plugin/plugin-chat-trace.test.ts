// kubectl llama chat's client side and kubectl llama trace, against a real runtime serving the tiny
// model (in-process, one llama.cpp thread) whose traces go to a real Jaeger. Chat is driven directly,
// no port-forward: no kubelet here to run a pod to forward to (the end-to-end suite,
// test/e2e/kubellama.test.ts, runs `kubectl-llama chat` through the API server's pod port-forward on
// a real node). `trace` runs the whole command against the shared API server (the LlamaModel read
// for its service name) with --jaeger pointing at the harness's Jaeger.
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fetchNewestTrace } from '../../lib/jaeger-trace.js';
import { chatSession } from '../../plugin/chat-session.js';
import { traceLink } from '../../plugin/jaeger.js';
import type { RuntimeServer } from '../../runtime/server/runtime-server.js';
import { type Jaeger, startJaeger, waitFor } from '../harness/index.js';
import {
  createTestNamespace,
  printKubeLogsOnFailure,
  printLogsOnFailure,
  sharedKubeConfig,
} from '../harness/vitest.js';
import { clientFor, createModel, installCrd, userModel } from '../operator/support/kube.js';
import {
  jaegerTraceEnv,
  startTestServer,
  TEST_MODEL,
  type TinyModelDir,
  testConfig,
  tinyModelDir,
} from '../runtime/runtime-fixture.js';
import { GREEDY } from '../tools/tiny-model/tiny-llama.js';
import { plugin } from './support/plugin-io.js';

function memoryOut() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return { stream, text: () => text };
}

const TRACE_LINE = /^trace ([0-9a-f]{32})(?: {2}(\S+))?$/;

describe('kubectl llama chat (client side) and trace, on a real runtime and Jaeger', () => {
  printKubeLogsOnFailure();
  printLogsOnFailure(() => (jaeger ? [jaeger.process.logFile] : []));
  const kc = sharedKubeConfig();
  const env = { KUBECONFIG: inject('kubeconfigPath') };
  let jaeger: Jaeger;
  let model: TinyModelDir;
  let server: RuntimeServer;
  let ns: string;
  /** The LlamaModel's name, and so the service name its traces carry. */
  const name = `chat-${randomBytes(3).toString('hex')}`;
  const traceIds: string[] = [];

  beforeAll(async () => {
    const client = await clientFor(kc);
    [jaeger, model] = await Promise.all([startJaeger(), tinyModelDir(), installCrd(client)]).then(
      ([j, m]) => [j, m] as const,
    );
    ns = await createTestNamespace(kc, 'plugin-trace');
    await createModel(client, userModel(ns, name, { gpu: { count: 0 } }));
    server = await startTestServer(
      testConfig(model.modelPath, { parallel: 1 }),
      jaegerTraceEnv(jaeger, name),
    );
  });

  afterAll(async () => {
    await server?.close();
    await jaeger?.stop();
    await model?.remove();
  });

  it('streams an answer to --prompt, then its trace id and the link to it in Jaeger; sends temperature and seed', async () => {
    const out = memoryOut();
    const [turn] = await chatSession({
      baseURL: `${server.url}/v1`,
      model: TEST_MODEL,
      prompt: 'Hello',
      maxTokens: 16,
      ...GREEDY,
      seed: 7,
      input: Readable.from([]),
      output: out.stream,
      traceLink: (id) => traceLink(jaeger.queryUrl, id),
    });
    const lines = out.text().split('\n');
    expect(lines.at(-1)).toBe('');
    const [, traceId, link] = TRACE_LINE.exec(lines.at(-2) ?? '') ?? [];
    expect(traceId).toBe(turn!.traceId);
    expect(link).toBe(`${jaeger.queryUrl}/trace/${traceId}`);
    // What was streamed is the answer, and the tiny model answered something.
    expect(out.text()).toBe(`${turn!.answer}\n${lines.at(-2)}\n`);
    expect(turn!.answer.length).toBeGreaterThan(0);
    traceIds.push(turn!.traceId);
    await server.telemetry.forceFlush();
    const trace = await jaeger.waitForTrace(turn!.traceId, { minSpans: 6 });
    const chat = trace.spans.find((s) => s.operationName === `chat ${TEST_MODEL}`);
    const tags = Object.fromEntries((chat?.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags['gen_ai.request.temperature']).toBe(0);
    expect(tags['gen_ai.request.seed']).toBe(7);
  });

  it('answers each line of a non-terminal stdin on its own, each with its trace id; no link without a Jaeger', async () => {
    const out = memoryOut();
    const turns = await chatSession({
      baseURL: `${server.url}/v1`,
      model: TEST_MODEL,
      maxTokens: 8,
      input: Readable.from(['Once upon a time\n', '\n', 'The sky is\n']),
      output: out.stream,
    });
    expect(turns).toHaveLength(2);
    const traceLines = out
      .text()
      .split('\n')
      .filter((line) => TRACE_LINE.test(line));
    expect(traceLines).toEqual(turns.map((t) => `trace ${t.traceId}`));
    expect(new Set(turns.map((t) => t.traceId)).size).toBe(2);
    traceIds.push(...turns.map((t) => t.traceId));
  });

  it('trace --last prints the newest trace of the model as a tree with durations', async () => {
    const newest = traceIds.at(-1)!;
    await server.telemetry.forceFlush();
    await jaeger.waitForTrace(newest, { minSpans: 6 });
    // A probe and a /metrics read after the chat: traces of their own, newer, that --last passes over.
    for (const path of ['/readyz', '/metrics'])
      expect((await fetch(`${server.url}${path}`)).status).toBe(200);
    await server.telemetry.forceFlush();
    await waitFor(
      async () => {
        const any = await fetchNewestTrace(jaeger.queryUrl, name);
        return any && any.traceID !== newest && !traceIds.includes(any.traceID);
      },
      { description: 'the probe traces in Jaeger', timeoutMs: 20_000 },
    );
    const result = await plugin(['trace', name, '--last', '-n', ns, '--jaeger', jaeger.queryUrl], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [header, ...tree] = result.stdout.trimEnd().split('\n');
    expect(header).toMatch(new RegExp(`^trace ${newest}  \\d{4}-\\d\\d-\\d\\dT\\S+Z  \\d+ spans$`));
    expect(tree[0]).toMatch(new RegExp(`^POST /v1/chat/completions  [0-9.]+ ms  \\(${name}\\)$`));
    expect(tree[1]).toMatch(new RegExp(`^(├|└)─ chat ${TEST_MODEL}  [0-9.]+ ms  \\(${name}\\)$`));
    for (const phase of ['llama.queue', 'llama.tokenize', 'llama.prefill', 'llama.decode']) {
      expect(
        tree.some((line) => new RegExp(`^ {3}(├|└)─ ${phase.replace('.', '\\.')}  [0-9.]+ ms`).test(line)),
        phase,
      ).toBe(true);
    }
    // Without --last it is the same; by id, an older one.
    expect((await plugin(['trace', name, '-n', ns, '--jaeger', jaeger.queryUrl], env)).stdout).toBe(
      result.stdout,
    );
    const first = await plugin(['trace', name, traceIds[0]!, '-n', ns, '--jaeger', jaeger.queryUrl], env);
    expect(first.stdout.split('\n')[0]).toMatch(`trace ${traceIds[0]}  `);
    const json = await plugin(
      ['trace', name, traceIds[0]!, '-n', ns, '--jaeger', jaeger.queryUrl, '-o', 'json'],
      env,
    );
    expect((JSON.parse(json.stdout) as { traceID: string }).traceID).toBe(traceIds[0]);
  });

  it('finds the traces under the service name spec.runtime.env sets, and says when Jaeger has none', async () => {
    const client = await clientFor(kc);
    await createModel(
      client,
      userModel(ns, 'renamed', {
        gpu: { count: 0 },
        runtime: { env: [{ name: 'OTEL_SERVICE_NAME', value: name }] },
      }),
    );
    const renamed = await plugin(['trace', 'renamed', '-n', ns, '--jaeger', jaeger.queryUrl], env);
    expect(renamed.stdout.split('\n')[0]).toMatch(`trace ${traceIds.at(-1)}  `);

    await createModel(client, userModel(ns, 'silent', { gpu: { count: 0 } }));
    const none = await plugin(['trace', 'silent', '-n', ns, '--jaeger', jaeger.queryUrl], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      'error: Jaeger has no trace of a request to service "silent" in the last 48 h: send the model one (kubectl llama chat silent)\n',
    );
    const unknown = await plugin(['trace', name, '0'.repeat(32), '-n', ns, '--jaeger', jaeger.queryUrl], env);
    expect(unknown.stderr).toMatch(`error: Jaeger has no trace ${'0'.repeat(32)} `);
  });
  // Last: the refused request has a trace of its own, newer than the chats'.
  it('says what failed when the model cannot be reached or refuses', async () => {
    const unreachable = chatSession({
      baseURL: 'http://127.0.0.1:9/v1',
      model: TEST_MODEL,
      prompt: 'Hello',
      input: Readable.from([]),
      output: memoryOut().stream,
    });
    await expect(unreachable).rejects.toThrow(/^the chat request failed: /);
    const refused = chatSession({
      baseURL: `${server.url}/v1`,
      model: TEST_MODEL,
      prompt: 'Hello',
      maxTokens: 0,
      input: Readable.from([]),
      output: memoryOut().stream,
    });
    await expect(refused).rejects.toThrow(/^the model answered 400: .*max_tokens/);
  });
});
