// POST /v1/embeddings on the real runtime with the tiny model, through the real `openai` client:
// single and batch, the model's vector size, identical inputs → identical vectors, base64 equal to
// float, token-id input, the trace in the real Jaeger and the duration metric, the bad requests,
// and the one queue shared with generations (a full queue refuses either with 429).
import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeServer } from '../../runtime/server/runtime-server.js';
import { parseSamples } from '../charts/helpers/open-metrics.js';
import { type Jaeger, type JaegerSpan, startJaeger, waitFor } from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import { TINY_LLAMA } from '../tools/tiny-model/tiny-llama.js';
import {
  jaegerTraceEnv,
  LONG_PROMPT,
  startTestServer,
  TEST_MODEL,
  type TinyModelDir,
  testConfig,
  tinyModelDir,
} from './runtime-fixture.js';

const JSON_TYPE = { 'content-type': 'application/json' };
const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;
const norm = (v: readonly number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

interface ErrorBody {
  error: { code: string; param: string | null; message: string };
}

describe('POST /v1/embeddings', () => {
  let jaeger: Jaeger;
  let model: TinyModelDir;
  let server: RuntimeServer;
  let client: OpenAI;

  const post = async (target: RuntimeServer, body: unknown) => {
    const response = await fetch(`${target.url}/v1/embeddings`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: JSON.stringify(body),
    });
    return { response, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    [jaeger, model] = await Promise.all([startJaeger(), tinyModelDir()]);
    server = await startTestServer(
      testConfig(model.modelPath, { parallel: 2 }),
      jaegerTraceEnv(jaeger, `embeddings-${randomBytes(3).toString('hex')}`),
    );
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });

  afterAll(async () => {
    await server?.close();
    await jaeger?.stop();
    await model?.remove();
  });

  printLogsOnFailure(() => (jaeger ? [jaeger.process.logFile] : []));

  it('embeds one string and a batch: the model size, unit length, identical inputs alike', async () => {
    const single = await client.embeddings.create({
      model: TEST_MODEL,
      input: 'the cat',
      encoding_format: 'float',
    });
    expect(single.object).toBe('list');
    expect(single.model).toBe(TEST_MODEL);
    expect(single.data).toHaveLength(1);
    expect(single.data[0]).toMatchObject({ object: 'embedding', index: 0 });
    const vector = single.data[0]!.embedding;
    expect(vector).toHaveLength(TINY_LLAMA.embeddingLength);
    expect(norm(vector)).toBeCloseTo(1, 5);
    expect(single.usage.prompt_tokens).toBeGreaterThan(0);
    expect(single.usage.total_tokens).toBe(single.usage.prompt_tokens);

    const batch = await client.embeddings.create({
      model: TEST_MODEL,
      input: ['the cat', 'a dog ran far away', 'the cat'],
      encoding_format: 'float',
    });
    expect(batch.data.map((d) => d.index)).toEqual([0, 1, 2]);
    const [a, b, c] = batch.data.map((d) => d.embedding) as [number[], number[], number[]];
    expect(a).toEqual(vector);
    expect(c).toEqual(a);
    expect(b).not.toEqual(a);
    const again = await client.embeddings.create({
      model: TEST_MODEL,
      input: 'a dog ran far away',
      encoding_format: 'float',
    });
    expect(again.data[0]!.embedding).toEqual(b);
    expect(batch.usage.prompt_tokens).toBe(2 * single.usage.prompt_tokens + again.usage.prompt_tokens);
  });

  it('base64 carries the same float32 values: raw, and as the client decodes it by default', async () => {
    const input = ['base sixty-four', 'another one'];
    const floats = await client.embeddings.create({ model: TEST_MODEL, input, encoding_format: 'float' });
    const { response, body } = await post(server, { model: TEST_MODEL, input, encoding_format: 'base64' });
    expect(response.status).toBe(200);
    const data = body.data as Array<{ embedding: string }>;
    data.forEach((item, i) => {
      expect(typeof item.embedding).toBe('string');
      const bytes = Buffer.from(item.embedding, 'base64');
      const decoded = Array.from({ length: bytes.length / 4 }, (_, k) => bytes.readFloatLE(k * 4));
      expect(decoded).toEqual(floats.data[i]!.embedding);
    });
    // Without encoding_format the openai client asks for base64 and decodes it itself.
    const byDefault = await client.embeddings.create({ model: TEST_MODEL, input });
    expect(byDefault.data.map((d) => d.embedding)).toEqual(floats.data.map((d) => d.embedding));
  });

  it('takes token ids: the ids of a text embed like the text; dimensions equal to the model size pass', async () => {
    const tokenized = await fetch(`${server.url}/tokenize`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: JSON.stringify({ content: 'the cat' }),
    });
    const { tokens } = (await tokenized.json()) as { tokens: number[] };
    const text = await client.embeddings.create({
      model: TEST_MODEL,
      input: 'the cat',
      encoding_format: 'float',
    });
    const ids = await client.embeddings.create({
      model: TEST_MODEL,
      input: tokens,
      encoding_format: 'float',
      dimensions: TINY_LLAMA.embeddingLength,
      user: 'someone',
    });
    expect(ids.data[0]!.embedding).toEqual(text.data[0]!.embedding);
    const nested = await client.embeddings.create({
      model: TEST_MODEL,
      input: [tokens, tokens],
      encoding_format: 'float',
    });
    expect(nested.data.map((d) => d.embedding)).toEqual([text.data[0]!.embedding, text.data[0]!.embedding]);
  });

  it('records embeddings {model} under the HTTP span in Jaeger, and its duration by operation', async () => {
    const traceId = randomBytes(16).toString('hex');
    const { data, response } = await client.embeddings
      .create(
        { model: TEST_MODEL, input: ['traced', 'twice'], encoding_format: 'float' },
        { headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } },
      )
      .withResponse();
    expect(response.headers.get('traceresponse')?.split('-')[1]).toBe(traceId);
    await server.telemetry.forceFlush();
    const trace = await jaeger.waitForTrace(traceId, { minSpans: 3 });
    const byName = (name: string) => {
      const span = trace.spans.find((s) => s.operationName === name);
      expect(span, `${name} in ${trace.spans.map((s) => s.operationName).join(', ')}`).toBeDefined();
      return span!;
    };
    const http = byName('POST /v1/embeddings');
    const embeddings = byName(`embeddings ${TEST_MODEL}`);
    const queue = byName('llama.queue');
    expect(embeddings.references.find((r) => r.refType === 'CHILD_OF')?.spanID).toBe(http.spanID);
    expect(queue.references.find((r) => r.refType === 'CHILD_OF')?.spanID).toBe(embeddings.spanID);
    expect(tag(embeddings, 'gen_ai.operation.name')).toBe('embeddings');
    expect(tag(embeddings, 'gen_ai.provider.name')).toBe('llama.cpp');
    expect(tag(embeddings, 'gen_ai.request.model')).toBe(TEST_MODEL);
    expect(tag(embeddings, 'gen_ai.response.model')).toBe(TEST_MODEL);
    expect(tag(embeddings, 'gen_ai.usage.input_tokens')).toBe(data.usage.prompt_tokens);
    expect(tag(embeddings, 'gen_ai.embeddings.dimension.count')).toBe(TINY_LLAMA.embeddingLength);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const embeddingsSample = (name: string, labels: Record<string, string>) =>
      parseSamples(metrics).find(
        (sample) =>
          sample.name === name &&
          sample.labels.gen_ai_operation_name === 'embeddings' &&
          Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
      );
    const count = embeddingsSample('gen_ai_server_request_duration_count', {
      gen_ai_response_model: TEST_MODEL,
    });
    expect(count, metrics.slice(0, 3000)).toBeDefined();
    expect(count!.value).toBeGreaterThanOrEqual(1);
    // Input tokens in the GenAI token histogram, as for generations; nothing as output.
    const usage = (type: string) =>
      embeddingsSample('gen_ai_server_token_usage_sum', { gen_ai_token_type: type });
    expect(usage('input')?.value).toBeGreaterThanOrEqual(data.usage.prompt_tokens);
    expect(usage('output')).toBeUndefined();
  });

  it('answers bad requests with a 400 naming the field', async () => {
    const tooLong = Array.from({ length: 2100 }, () => 5);
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ input: 'x' }, 'model', 'missing_required_parameter'],
      [{ model: TEST_MODEL }, 'input', 'missing_required_parameter'],
      [{ model: TEST_MODEL, input: '' }, 'input', 'invalid_value'],
      [{ model: TEST_MODEL, input: [] }, 'input', 'invalid_value'],
      [{ model: TEST_MODEL, input: ['a', ''] }, 'input[1]', 'invalid_value'],
      [{ model: TEST_MODEL, input: Array.from({ length: 2049 }, () => 'a') }, 'input', 'invalid_value'],
      [{ model: TEST_MODEL, input: ['a', 1] }, 'input[1]', 'invalid_type'],
      [{ model: TEST_MODEL, input: { text: 'a' } }, 'input', 'invalid_type'],
      [{ model: TEST_MODEL, input: [[1, 2], []] }, 'input[1]', 'invalid_value'],
      [
        {
          model: TEST_MODEL,
          input: [
            [1, 2],
            [3, 999_999],
          ],
        },
        'input[1][1]',
        'invalid_value',
      ],
      [{ model: TEST_MODEL, input: [1, -2] }, 'input[1]', 'invalid_value'],
      [{ model: TEST_MODEL, input: [tooLong.slice(0, 2048)] }, 'input[0]', 'context_length_exceeded'],
      [{ model: TEST_MODEL, input: 'x', dimensions: 8 }, 'dimensions', 'unsupported_value'],
      [{ model: TEST_MODEL, input: 'x', dimensions: 0 }, 'dimensions', 'invalid_value'],
      [{ model: TEST_MODEL, input: 'x', encoding_format: 'int8' }, 'encoding_format', 'invalid_value'],
      [{ model: TEST_MODEL, input: 'x', pooling: 'mean' }, 'pooling', 'unknown_parameter'],
    ];
    for (const [body, param, code] of cases) {
      const label = JSON.stringify(body).slice(0, 120);
      const answer = await post(server, body);
      expect(answer.response.status, label).toBe(400);
      expect((answer.body as unknown as ErrorBody).error, label).toMatchObject({ param, code });
      // The message names the param as the request does (the fuzzer found "input 0" for input[0]).
      expect((answer.body as unknown as ErrorBody).error.message, label).toContain(param);
    }
    const unknown = await post(server, { model: 'other', input: 'x' });
    expect(unknown.response.status).toBe(404);
    // Through the client too: its error names the field.
    await expect(client.embeddings.create({ model: TEST_MODEL, input: '' })).rejects.toMatchObject({
      status: 400,
      param: 'input',
    });
  });

  it('waits in the same bounded queue as generations: 429 both ways when it is full; a client leaving frees it', async () => {
    // Telemetry on (nothing exported) for the requests_processing gauge.
    const busy = await startTestServer(testConfig(model.modelPath, { parallel: 1, maxQueue: 0 }), {
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
    });
    try {
      // A generation holds the only sequence: an embeddings request is refused, then served.
      const stream = await fetch(`${busy.url}/v1/completions`, {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify({ model: TEST_MODEL, prompt: LONG_PROMPT, max_tokens: 400, stream: true }),
      });
      const reader = stream.body!.getReader();
      await reader.read();
      const refused = await post(busy, { model: TEST_MODEL, input: 'wait' });
      expect(refused.response.status).toBe(429);
      expect(refused.response.headers.get('retry-after')).toBe('1');
      await reader.cancel();
      await waitFor(
        async () => (await post(busy, { model: TEST_MODEL, input: 'wait' })).response.status === 200,
        {
          description: 'embeddings served once the generation stopped',
          timeoutMs: 30_000,
          intervalMs: 100,
        },
      );

      // A long embeddings batch holds it: a generation is refused.
      const items = Array.from({ length: 2048 }, (_, i) => `item ${i}`);
      const chat = () =>
        fetch(`${busy.url}/v1/chat/completions`, {
          method: 'POST',
          headers: JSON_TYPE,
          body: JSON.stringify({
            model: TEST_MODEL,
            messages: [{ role: 'user', content: 'hi' }],
            max_tokens: 2,
          }),
        });
      const holding = () =>
        waitFor(
          async () =>
            /llamacpp_requests_processing\S* 1\b/.test(await (await fetch(`${busy.url}/metrics`)).text()),
          { description: 'the batch holding the sequence', timeoutMs: 10_000, intervalMs: 20 },
        );
      const started = performance.now();
      const batch = post(busy, { model: TEST_MODEL, input: items });
      await holding();
      expect((await chat()).status).toBe(429);
      const done = await batch;
      const wholeBatchMs = performance.now() - started;
      expect(done.response.status).toBe(200);
      expect(done.body.data as unknown[]).toHaveLength(2048);

      // A client that goes away frees the place long before its batch would have ended.
      const gone = new AbortController();
      const abandoned = fetch(`${busy.url}/v1/embeddings`, {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify({ model: TEST_MODEL, input: items }),
        signal: gone.signal,
      }).catch(() => undefined);
      await holding();
      const abortedAt = performance.now();
      gone.abort();
      await abandoned;
      await waitFor(async () => (await chat()).status === 200, {
        description: 'a generation served once the client left',
        timeoutMs: 30_000,
        intervalMs: 20,
      });
      expect(performance.now() - abortedAt).toBeLessThan(wholeBatchMs / 2);
    } finally {
      await busy.close();
    }
  });
});
