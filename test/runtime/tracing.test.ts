// Traces from the runtime land in the real Jaeger v2 (OTLP/gRPC): the whole span tree of one
// request, the client's traceparent as parent, per-token timing records at detail=token, content
// only when capture is on, and the model load span.
import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServeConfig } from '../../runtime/config.js';
import type { RuntimeServer } from '../../runtime/server/runtime-server.js';
import { httpGet, type Jaeger, type JaegerSpan, type JaegerTrace, startJaeger } from '../harness/index.js';
import { LOG_LINE } from '../harness/log-schema.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import {
  jaegerTraceEnv,
  LONG_PROMPT,
  memoryLog,
  startTestServer,
  TEST_MODEL,
  type TinyModelDir,
  testConfig,
  tinyModelDir,
} from './runtime-fixture.js';

const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;
const byName = (trace: JaegerTrace, name: string) => {
  const span = trace.spans.find((s) => s.operationName === name);
  if (!span) throw new Error(`no span '${name}' in ${trace.spans.map((s) => s.operationName).join(', ')}`);
  return span;
};
const parentOf = (span: JaegerSpan) => span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
const traceIdOf = (traceresponse: string | null) => traceresponse?.split('-')[1] ?? '';

interface TracedServer {
  readonly server: RuntimeServer;
  readonly client: OpenAI;
  readonly service: string;
}

describe('tracing into the real Jaeger', () => {
  let jaeger: Jaeger;
  let model: TinyModelDir;
  const servers: RuntimeServer[] = [];

  async function tracedServer(
    overrides: Partial<ServeConfig>,
    env: Record<string, string> = {},
    log = memoryLog().log,
  ): Promise<TracedServer> {
    const service = `runtime-test-${randomBytes(3).toString('hex')}`;
    const server = await startTestServer(
      testConfig(model.modelPath, { parallel: 1, ...overrides }),
      { ...jaegerTraceEnv(jaeger, service), ...env },
      log,
    );
    servers.push(server);
    return {
      server,
      service,
      client: new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 }),
    };
  }

  async function fetchTrace(server: RuntimeServer, traceId: string, minSpans: number): Promise<JaegerTrace> {
    await server.telemetry.forceFlush();
    return jaeger.waitForTrace(traceId, { minSpans });
  }

  beforeAll(async () => {
    [jaeger, model] = await Promise.all([startJaeger(), tinyModelDir()]);
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await jaeger?.stop();
    await model?.remove();
  });

  printLogsOnFailure(() => (jaeger ? [jaeger.process.logFile] : []));

  it('records the span tree of a chat request under the client span', async () => {
    const { server, client, service } = await tracedServer({});
    const traceId = randomBytes(16).toString('hex');
    const clientSpanId = randomBytes(8).toString('hex');
    const { data: completion, response } = await client.chat.completions
      .create(
        {
          model: TEST_MODEL,
          messages: [{ role: 'user', content: 'Trace me.' }],
          max_tokens: 8,
          temperature: 0,
        },
        { headers: { traceparent: `00-${traceId}-${clientSpanId}-01` } },
      )
      .withResponse();
    const traceresponse = response.headers.get('traceresponse');
    expect(traceIdOf(traceresponse)).toBe(traceId);

    const trace = await fetchTrace(server, traceId, 6);
    expect(trace.processes[trace.spans[0]!.processID]?.serviceName).toBe(service);
    const http = byName(trace, 'POST /v1/chat/completions');
    const chat = byName(trace, `chat ${TEST_MODEL}`);
    const steps = ['llama.queue', 'llama.tokenize', 'llama.prefill', 'llama.decode'].map((name) =>
      byName(trace, name),
    );

    expect(parentOf(http)).toBe(clientSpanId);
    expect(traceresponse).toBe(`00-${traceId}-${http.spanID}-01`);
    expect(tag(http, 'span.kind')).toBe('server');
    expect(tag(http, 'http.request.method')).toBe('POST');
    expect(tag(http, 'http.route')).toBe('/v1/chat/completions');
    expect(tag(http, 'http.response.status_code')).toBe(200);

    expect(parentOf(chat)).toBe(http.spanID);
    expect(tag(chat, 'span.kind')).toBe('internal');
    expect(tag(chat, 'gen_ai.operation.name')).toBe('chat');
    expect(tag(chat, 'gen_ai.provider.name')).toBe('llama.cpp');
    expect(tag(chat, 'gen_ai.request.model')).toBe(TEST_MODEL);
    expect(tag(chat, 'gen_ai.request.max_tokens')).toBe(8);
    expect(tag(chat, 'gen_ai.request.temperature')).toBe(0);
    expect(tag(chat, 'gen_ai.response.id')).toBe(completion.id);
    expect(tag(chat, 'gen_ai.usage.input_tokens')).toBe(completion.usage?.prompt_tokens);
    expect(tag(chat, 'gen_ai.usage.output_tokens')).toBe(completion.usage?.completion_tokens);
    expect(JSON.parse(String(tag(chat, 'gen_ai.response.finish_reasons')))).toEqual([
      completion.choices[0]?.finish_reason,
    ]);
    for (const rollup of [
      'llama.request.time_in_queue',
      'llama.request.time_to_first_token',
      'llama.request.prefill_duration',
      'llama.request.decode_duration',
    ]) {
      expect(tag(chat, rollup), rollup).toBeTypeOf('number');
    }
    // Content stays in the pod unless capture is switched on.
    expect(tag(chat, 'gen_ai.input.messages')).toBeUndefined();
    expect(tag(chat, 'gen_ai.output.messages')).toBeUndefined();

    for (const step of steps) expect(parentOf(step), step.operationName).toBe(chat.spanID);
    const [queue, tokenize, prefill, decode] = steps as [JaegerSpan, JaegerSpan, JaegerSpan, JaegerSpan];
    // The steps follow one another: tokenize (so a prompt too long never queues), queue, prefill, decode.
    expect(queue.startTime).toBeGreaterThanOrEqual(tokenize.startTime);
    expect(prefill.startTime).toBeGreaterThanOrEqual(queue.startTime);
    expect(decode.startTime).toBeGreaterThanOrEqual(prefill.startTime);
    expect(tag(tokenize, 'llama.prompt.tokens')).toBe(completion.usage?.prompt_tokens);
    expect(tag(prefill, 'llama.prompt.tokens')).toBe(completion.usage?.prompt_tokens);
    expect(tag(decode, 'llama.decode.tokens')).toBe(completion.usage?.completion_tokens);
    expect(decode.logs.map((log) => log.fields.find((f) => f.key === 'event')?.value)).toContain(
      'first_token',
    );
    expect(
      decode.logs.some((log) =>
        log.fields.some((f) => f.key === 'event' && f.value === 'llama.token_timings'),
      ),
    ).toBe(false);
  });

  it('starts a new trace for a request without traceparent, and names it in traceresponse', async () => {
    const { server } = await tracedServer({});
    const response = await fetch(`${server.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TEST_MODEL, prompt: 'x', max_tokens: 2 }),
    });
    expect(response.status).toBe(200);
    const traceId = traceIdOf(response.headers.get('traceresponse'));
    const trace = await fetchTrace(server, traceId, 6);
    const http = byName(trace, 'POST /v1/completions');
    expect(parentOf(http)).toBeUndefined();
    expect(tag(byName(trace, `text_completion ${TEST_MODEL}`), 'gen_ai.operation.name')).toBe(
      'text_completion',
    );
  });

  it('records one timing per generated token at detail=token, within the span event limit', async () => {
    const limit = 12;
    const { server } = await tracedServer(
      { traceDetail: 'token' },
      { OTEL_SPAN_EVENT_COUNT_LIMIT: String(limit) },
    );
    const response = await fetch(`${server.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TEST_MODEL, prompt: LONG_PROMPT, max_tokens: 1200, temperature: 0 }),
    });
    const body = (await response.json()) as { usage: { completion_tokens: number } };
    expect(body.usage.completion_tokens).toBe(1200);
    const trace = await fetchTrace(server, traceIdOf(response.headers.get('traceresponse')), 6);
    const decode = byName(trace, 'llama.decode');
    const batches = decode.logs.filter((log) =>
      log.fields.some((f) => f.key === 'event' && f.value === 'llama.token_timings'),
    );
    expect(decode.logs.length).toBeLessThanOrEqual(limit);
    const field = (log: (typeof batches)[number], key: string) =>
      log.fields.find((f) => f.key === key)?.value;
    const ids: number[] = [];
    const decodeMs: number[] = [];
    let next = 0;
    for (const batch of batches) {
      expect(field(batch, 'llama.tokens.first_index')).toBe(next);
      const batchIds = JSON.parse(String(field(batch, 'llama.tokens.ids'))) as number[];
      const batchMs = JSON.parse(String(field(batch, 'llama.tokens.decode_ms'))) as number[];
      const gaps = JSON.parse(String(field(batch, 'llama.tokens.gap_ms'))) as number[];
      expect(batchMs).toHaveLength(batchIds.length);
      expect(gaps).toHaveLength(batchIds.length);
      ids.push(...batchIds);
      decodeMs.push(...batchMs);
      next += batchIds.length;
    }
    expect(ids).toHaveLength(1200);
    expect(ids.every((id) => Number.isInteger(id) && id >= 0)).toBe(true);
    expect(decodeMs.every((ms) => ms >= 0)).toBe(true);
    expect(tag(byName(trace, 'llama.decode'), 'llama.decode.tokens')).toBe(1200);
  });

  it('records prompts and completions only with content capture on', async () => {
    const { server, client } = await tracedServer({ captureContent: true });
    const { data: completion, response } = await client.chat.completions
      .create({ model: TEST_MODEL, messages: [{ role: 'user', content: 'A secret prompt.' }], max_tokens: 4 })
      .withResponse();
    const trace = await fetchTrace(server, traceIdOf(response.headers.get('traceresponse')), 6);
    const chat = byName(trace, `chat ${TEST_MODEL}`);
    const input = JSON.parse(String(tag(chat, 'gen_ai.input.messages')));
    expect(input).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'A secret prompt.' }] }]);
    const output = JSON.parse(String(tag(chat, 'gen_ai.output.messages')));
    expect(output[0].parts[0].content).toBe(completion.choices[0]?.message.content);
  });

  it('writes one request log line carrying the trace id and server span Jaeger shows', async () => {
    const { log, lines } = memoryLog('debug');
    const { server, client } = await tracedServer({}, {}, log);
    const { response } = await client.chat.completions
      .create({ model: TEST_MODEL, messages: [{ role: 'user', content: 'Log me.' }], max_tokens: 4 })
      .withResponse();
    const traceId = traceIdOf(response.headers.get('traceresponse'));
    await fetch(`${server.url}/healthz`);

    const requests = lines.filter((line) => line.msg === 'request');
    const chat = requests.find((line) => line.path === '/v1/chat/completions');
    expect(chat).toMatchObject({
      level: 'info',
      method: 'POST',
      status: 200,
      completed: true,
      trace_id: traceId,
    });
    expect(chat!.duration_ms).toBeTypeOf('number');
    // Probes log at debug only.
    expect(requests.find((line) => line.path === '/healthz')).toMatchObject({ level: 'debug', status: 200 });
    for (const line of lines) LOG_LINE.parse(line);

    const trace = await fetchTrace(server, traceId, 6);
    expect(chat!.span_id).toBe(byName(trace, 'POST /v1/chat/completions').spanID);
  });

  it('marks the server span kubellama.sample=always when the W3C baggage asks for it', async () => {
    const { server, client } = await tracedServer({});
    const ids: string[] = [];
    for (const baggage of ['kubellama.sample=always', 'kubellama.sample=never', undefined]) {
      const { response } = await client.chat.completions
        .create(
          { model: TEST_MODEL, messages: [{ role: 'user', content: 'Keep me.' }], max_tokens: 2 },
          baggage ? { headers: { baggage } } : {},
        )
        .withResponse();
      ids.push(traceIdOf(response.headers.get('traceresponse')));
    }
    const marks = [];
    for (const id of ids) {
      const trace = await fetchTrace(server, id, 6);
      marks.push(tag(byName(trace, 'POST /v1/chat/completions'), 'kubellama.sample'));
    }
    expect(marks).toEqual(['always', undefined, undefined]);
  });

  it('traces the model load at start-up', async () => {
    const { server, service } = await tracedServer({});
    await server.telemetry.forceFlush();
    const found = await (async () => {
      for (let attempt = 0; attempt < 100; attempt++) {
        const response = await httpGet(
          `${jaeger.queryUrl}/api/traces?service=${service}&operation=llama.model.load`,
        );
        const traces = (JSON.parse(response.body) as { data: JaegerTrace[] | null }).data ?? [];
        if (traces.length > 0) return traces;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return [];
    })();
    expect(found).toHaveLength(1);
    const load = byName(found[0]!, 'llama.model.load');
    expect(parentOf(load)).toBeUndefined();
    expect(tag(load, 'llama.model.architecture')).toBe('llama');
    expect(tag(load, 'llama.model.quantization')).toBe('ALL_F32');
    expect(tag(load, 'llama.model.file_size')).toBeGreaterThan(0);
    expect(tag(load, 'llama.model.parameters')).toBeGreaterThan(0);
    expect(tag(load, 'llama.context.size')).toBe(2048);
    expect(tag(load, 'llama.gpu.layers')).toBe(0);
  });
});
