// Tool calling with the real `openai` client against the runtime on the tiny random-weights model:
// tool_choice required and a named function force one call through the grammar (in the chat
// wrapper's own call syntax), streamed as OpenAI streams it, arguments validated against the tool's
// JSON schema with zod; a round trip (tool_calls → tool message → answer); tool_choice none and auto.
// Span attributes (tool count always, definitions only with content capture) from the real Jaeger.
import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RuntimeServer } from '../../runtime/server/runtime-server.js';
import { type Jaeger, type JaegerSpan, startJaeger } from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import {
  jaegerTraceEnv,
  startTestServer,
  TEST_MODEL,
  type TinyModelDir,
  testConfig,
  tinyModelDir,
} from './runtime-fixture.js';

const WeatherArgs = z.strictObject({
  city: z.string().max(16),
  days: z.number().int(),
  unit: z.enum(['celsius', 'fahrenheit']),
});
const TimeArgs = z.strictObject({ zone: z.string().max(10) });
const TOOLS: ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'The weather forecast for a city',
      parameters: z.toJSONSchema(WeatherArgs, { target: 'draft-7' }) as Record<string, unknown>,
    },
  },
  {
    type: 'function',
    function: {
      name: 'get_time',
      description: 'The time in a zone',
      parameters: z.toJSONSchema(TimeArgs, { target: 'draft-7' }) as Record<string, unknown>,
    },
  },
];
const ARGS: Record<string, z.ZodType> = { get_weather: WeatherArgs, get_time: TimeArgs };
const QUESTION: ChatCompletionMessageParam = { role: 'user', content: 'What is the weather in Paris?' };
const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;

describe('tool calls', () => {
  let jaeger: Jaeger;
  let model: TinyModelDir;
  let server: RuntimeServer;
  let capturing: RuntimeServer;
  let client: OpenAI;

  beforeAll(async () => {
    [jaeger, model] = await Promise.all([startJaeger(), tinyModelDir()]);
    const env = (name: string) => jaegerTraceEnv(jaeger, `${name}-${randomBytes(3).toString('hex')}`);
    server = await startTestServer(testConfig(model.modelPath), env('tools'));
    capturing = await startTestServer(
      testConfig(model.modelPath, { parallel: 1, captureContent: true }),
      env('tools-capture'),
    );
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });

  afterAll(async () => {
    await Promise.all([server?.close(), capturing?.close()]);
    await jaeger?.stop();
    await model?.remove();
  });

  printLogsOnFailure(() => (jaeger ? [jaeger.process.logFile] : []));

  it.each([1, 2, 3])('tool_choice required: one call whose arguments validate (seed %i)', async (seed) => {
    const completion = await client.chat.completions.create({
      model: TEST_MODEL,
      messages: [QUESTION],
      tools: TOOLS,
      tool_choice: 'required',
      max_tokens: 200,
      seed,
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const calls = choice.message.tool_calls ?? [];
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    if (call.type !== 'function') throw new Error(`not a function call: ${call.type}`);
    expect(call.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(Object.keys(ARGS)).toContain(call.function.name);
    ARGS[call.function.name]!.parse(JSON.parse(call.function.arguments));
  });

  it('a named function is the one called, streamed as OpenAI streams tool calls', async () => {
    const stream = await client.chat.completions.create({
      model: TEST_MODEL,
      messages: [QUESTION],
      tools: TOOLS,
      tool_choice: { type: 'function', function: { name: 'get_time' } },
      max_tokens: 200,
      seed: 11,
      stream: true,
    });
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null = null;
    let content = '';
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      deltas.push(...(choice?.delta.tool_calls ?? []));
      content += choice?.delta.content ?? '';
      finish = choice?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect(content).toBe('');
    // First: id, type and name with empty arguments; then argument fragments only.
    const [first, ...rest] = deltas;
    expect(first).toMatchObject({
      index: 0,
      type: 'function',
      function: { name: 'get_time', arguments: '' },
    });
    expect(first?.id).toMatch(/^call_/);
    expect(rest.length).toBeGreaterThan(2);
    for (const delta of rest) {
      expect(delta.id).toBeUndefined();
      expect(delta.function?.name).toBeUndefined();
      expect(delta.index).toBe(0);
    }
    const args = rest.map((d) => d.function?.arguments ?? '').join('');
    TimeArgs.parse(JSON.parse(args));
  });

  it('the stream helper assembles the same call the whole response gives', async () => {
    const request = {
      model: TEST_MODEL,
      messages: [QUESTION],
      tools: TOOLS,
      tool_choice: { type: 'function' as const, function: { name: 'get_weather' } },
      max_tokens: 200,
      seed: 5,
    };
    const whole = await client.chat.completions.create(request);
    const streamed = await client.chat.completions.stream(request).finalChatCompletion();
    const call = (c: OpenAI.ChatCompletion) => {
      const tc = c.choices[0]?.message.tool_calls?.[0];
      return tc?.type === 'function' ? tc.function : undefined;
    };
    expect(call(streamed)).toEqual(call(whole));
    WeatherArgs.parse(JSON.parse(call(whole)!.arguments));
  });

  it('round trip: the call, its result as a tool message, then an answer in text', async () => {
    const first = await client.chat.completions.create({
      model: TEST_MODEL,
      messages: [QUESTION],
      tools: TOOLS,
      tool_choice: 'required',
      max_tokens: 200,
      seed: 2,
    });
    const assistant = first.choices[0]!.message;
    const call = assistant.tool_calls![0]!;
    const history: ChatCompletionMessageParam[] = [
      QUESTION,
      { role: 'assistant', content: null, tool_calls: assistant.tool_calls },
      { role: 'tool', tool_call_id: call.id, content: JSON.stringify({ temperature: 21, sky: 'clear' }) },
    ];
    const answer = await client.chat.completions.create({
      model: TEST_MODEL,
      messages: history,
      tools: TOOLS,
      tool_choice: 'none',
      max_tokens: 12,
      temperature: 0,
    });
    const choice = answer.choices[0]!;
    expect(choice.message.tool_calls).toBeUndefined();
    expect(typeof choice.message.content).toBe('string');
    expect(['stop', 'length']).toContain(choice.finish_reason);
    // The call and its result reached the prompt: it is longer than the question alone by far.
    const alone = await client.chat.completions.create({
      model: TEST_MODEL,
      messages: [QUESTION],
      max_tokens: 1,
    });
    expect(answer.usage!.prompt_tokens).toBeGreaterThan(alone.usage!.prompt_tokens + 20);
  });

  it('renders the tools into the prompt through the chat wrapper (auto), not with none', async () => {
    const ask = (tool_choice: 'auto' | 'none') =>
      client.chat.completions.create({
        model: TEST_MODEL,
        messages: [QUESTION],
        tools: TOOLS,
        tool_choice,
        max_tokens: 8,
        temperature: 0,
      });
    const [auto, none] = await Promise.all([ask('auto'), ask('none')]);
    // ChatML's wrapper adds a system message documenting both functions.
    expect(auto.usage!.prompt_tokens).toBeGreaterThan(none.usage!.prompt_tokens + 50);
    // The random model does not write the call syntax on its own: auto answers in text.
    expect(auto.choices[0]?.message.tool_calls).toBeUndefined();
    expect(auto.choices[0]?.finish_reason).not.toBe('tool_calls');
  });

  it('keeps parallel_tool_calls working either way (one call per turn)', async () => {
    for (const parallel_tool_calls of [true, false]) {
      const completion = await client.chat.completions.create({
        model: TEST_MODEL,
        messages: [QUESTION],
        tools: TOOLS,
        tool_choice: 'required',
        parallel_tool_calls,
        max_tokens: 200,
        seed: 9,
      });
      expect(completion.choices[0]?.message.tool_calls).toHaveLength(1);
    }
  });

  it('counts tool definitions on the span always, and records them only with content capture', async () => {
    const traced = async (target: RuntimeServer) => {
      const c = new OpenAI({ baseURL: `${target.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const { data, response } = await c.chat.completions
        .create({
          model: TEST_MODEL,
          messages: [QUESTION],
          tools: TOOLS,
          tool_choice: 'required',
          max_tokens: 200,
          seed: 4,
        })
        .withResponse();
      await target.telemetry.forceFlush();
      const trace = await jaeger.waitForTrace(response.headers.get('traceresponse')!.split('-')[1]!, {
        minSpans: 6,
      });
      return { data, span: trace.spans.find((s) => s.operationName === `chat ${TEST_MODEL}`)! };
    };
    const plain = await traced(server);
    expect(tag(plain.span, 'llama.request.tools')).toBe(2);
    expect(tag(plain.span, 'llama.request.tool_choice')).toBe('required');
    expect(tag(plain.span, 'gen_ai.output.type')).toBe('text');
    expect(tag(plain.span, 'gen_ai.response.finish_reasons')).toEqual(expect.stringContaining('tool_calls'));
    expect(tag(plain.span, 'gen_ai.tool.definitions')).toBeUndefined();

    const captured = await traced(capturing);
    const definitions = JSON.parse(String(tag(captured.span, 'gen_ai.tool.definitions')));
    expect(definitions.map((d: ChatCompletionTool) => d.type === 'function' && d.function.name)).toEqual([
      'get_weather',
      'get_time',
    ]);
    const output = JSON.parse(String(tag(captured.span, 'gen_ai.output.messages')));
    const call = captured.data.choices[0]!.message.tool_calls![0]!;
    expect(output[0].parts[0]).toMatchObject({ type: 'tool_call', id: call.id });
  });
});
