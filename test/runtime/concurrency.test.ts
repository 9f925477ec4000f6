// Concurrency limits against the real engine: a full queue answers 429 with Retry-After, a client
// that goes away frees its sequence at once, and nothing is served before the model has loaded.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_METRICS } from '../../charts/metrics-contract.js';
import { RuntimeServer } from '../../runtime/server/runtime-server.js';
import { waitFor } from '../harness/index.js';
import {
  LONG_PROMPT,
  memoryLog,
  startTestServer,
  TEST_MODEL,
  type TinyModelDir,
  testConfig,
  tinyModelDir,
} from './runtime-fixture.js';

const JSON_TYPE = { 'content-type': 'application/json' };
/** Metrics on /metrics only: no OTLP export in these tests. */
const PROMETHEUS_ONLY = { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' };

function longCompletion(url: string, extra: Record<string, unknown> = {}, signal?: AbortSignal) {
  return fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: JSON_TYPE,
    body: JSON.stringify({
      model: TEST_MODEL,
      prompt: LONG_PROMPT,
      max_tokens: 1500,
      temperature: 0,
      ...extra,
    }),
    signal,
  });
}

async function metricValue(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('concurrency', () => {
  let model: TinyModelDir;
  const servers: RuntimeServer[] = [];

  beforeAll(async () => {
    model = await tinyModelDir();
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  afterAll(async () => {
    await model?.remove();
  });

  it('answers 429 with Retry-After beyond parallel + queue', async () => {
    const server = await startTestServer(testConfig(model.modelPath, { parallel: 1, maxQueue: 1 }));
    servers.push(server);
    const responses = await Promise.all([1, 2, 3].map(() => longCompletion(server.url)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 429]);
    const refused = responses.find((r) => r.status === 429)!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await refused.json()) as { error: { code: string; type: string } };
    expect(body.error).toMatchObject({ code: 'rate_limit_exceeded', type: 'rate_limit_error' });
    // Both served requests ran to max_tokens: queueing did not cut the second one short.
    for (const response of responses.filter((r) => r.status === 200)) {
      expect(
        ((await response.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens,
      ).toBe(1500);
    }
  });

  it('frees the sequence of a client that disconnects mid-stream', async () => {
    // One sequence and no queue: a sequence still held would turn the next request into a 429.
    const server = await startTestServer(
      testConfig(model.modelPath, { parallel: 1, maxQueue: 0 }),
      PROMETHEUS_ONLY,
    );
    servers.push(server);
    const abort = new AbortController();
    const response = await longCompletion(server.url, { stream: true }, abort.signal);
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    await reader.read();
    abort.abort();
    await waitFor(async () => server.context.engine!.stats().processing === 0, {
      description: 'the aborted generation to free its sequence',
      timeoutMs: 10_000,
      intervalMs: 10,
    });
    const predicted = await metricValue(server.url, 'llamacpp_tokens_predicted_total');
    expect(predicted).toBeGreaterThan(0);
    expect(predicted).toBeLessThan(1500);

    const next = await longCompletion(server.url, { max_tokens: 5 });
    expect(next.status).toBe(200);
    expect(server.context.engine!.stats()).toMatchObject({ processing: 0, deferred: 0 });
  });

  it('removes a queued request whose client gives up', async () => {
    const server = await startTestServer(
      testConfig(model.modelPath, { parallel: 1, maxQueue: 1 }),
      PROMETHEUS_ONLY,
    );
    servers.push(server);
    const running = longCompletion(server.url);
    await waitFor(async () => server.context.engine!.stats().processing === 1, {
      description: 'the first request to start',
      intervalMs: 5,
    });
    const abort = new AbortController();
    const queued = longCompletion(server.url, {}, abort.signal).catch((error: Error) => error);
    await waitFor(async () => server.context.engine!.stats().deferred === 1, {
      description: 'the second request to queue',
      intervalMs: 5,
    });
    // The load autoscaling scales on is one gauge: in flight plus queued.
    expect(await metricValue(server.url, RUNTIME_METRICS.requestsProcessing.prometheusName)).toBe(1);
    expect(await metricValue(server.url, RUNTIME_METRICS.requestsDeferred.prometheusName)).toBe(1);
    expect(await metricValue(server.url, RUNTIME_METRICS.requestsLoad.prometheusName)).toBe(2);
    abort.abort();
    expect(await queued).toBeInstanceOf(Error);
    await waitFor(async () => server.context.engine!.stats().deferred === 0, {
      description: 'the queue to empty',
      intervalMs: 5,
    });
    expect((await running).status).toBe(200);
  });

  it('reports not ready, and refuses generations with 503, until the model has loaded', async () => {
    const server = await RuntimeServer.start(testConfig(model.modelPath), {
      env: { OTEL_SDK_DISABLED: 'true' },
      log: memoryLog().log,
    });
    servers.push(server);
    const [ready, generation, health] = await Promise.all([
      fetch(`${server.url}/readyz`),
      longCompletion(server.url, { max_tokens: 1 }),
      fetch(`${server.url}/healthz`),
    ]);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'loading' });
    expect(generation.status).toBe(503);
    expect(((await generation.json()) as { error: { code: string } }).error.code).toBe('model_not_ready');
    expect(health.status).toBe(200);
    await server.loaded();
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('fails readiness for good when the model cannot load', async () => {
    const { log, lines } = memoryLog();
    const server = await RuntimeServer.start(testConfig(`${model.dir}/missing.gguf`), {
      env: { OTEL_SDK_DISABLED: 'true' },
      log,
    });
    servers.push(server);
    await expect(server.loaded()).rejects.toThrow();
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    const response = await longCompletion(server.url, { max_tokens: 1 });
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      'failed to load',
    );
    expect(lines.some((line) => line.level === 'error' && line.msg.includes('failed to load'))).toBe(true);
  });
});

describe('request timeout', () => {
  let model: TinyModelDir;
  let server: RuntimeServer;

  beforeAll(async () => {
    model = await tinyModelDir();
    server = await startTestServer(
      testConfig(model.modelPath, { parallel: 1, requestTimeoutSeconds: 0.05 }),
      PROMETHEUS_ONLY,
    );
  });

  afterAll(async () => {
    await server?.close();
    await model?.remove();
  });

  it('stops a generation that runs past the timeout, answers 408 and frees the sequence', async () => {
    const response = await longCompletion(server.url, { max_tokens: 2000, prompt: `${LONG_PROMPT}.` });
    expect(response.status).toBe(408);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('request_timeout');
    expect(server.context.engine!.stats().processing).toBe(0);
    expect(await metricValue(server.url, 'llamacpp_tokens_predicted_total')).toBeLessThan(2000);
  });

  it('ends a stream that runs past the timeout with an error event', async () => {
    const response = await longCompletion(server.url, { max_tokens: 2000, stream: true });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('"code":"request_timeout"');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });
});
