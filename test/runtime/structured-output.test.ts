// Structured output with the real `openai` client against the runtime on the tiny random-weights
// model: response_format json_schema (zod, through client.chat.completions.parse) and json_object,
// streamed and not. The model knows nothing; only the grammar can make its output parse and
// validate, so these fail if the grammar is not applied. Spans (gen_ai.output.type, grammar build
// time) are read back from the real Jaeger.
import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
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

// Bounded strings and arrays: a random model left free would write until max_tokens.
const Person = z.object({
  name: z.string().max(12),
  age: z.number().int(),
  height: z.number(),
  tags: z.array(z.string().max(6)).max(3),
  kind: z.enum(['cat', 'dog']),
  nickname: z.string().max(5).nullable(),
  born: z.object({ year: z.number().int(), city: z.string().max(8) }),
});
const PERSON_FORMAT = zodResponseFormat(Person, 'person');
const SEEDS = [1, 2, 3];
const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;

describe('structured output', () => {
  let jaeger: Jaeger;
  let model: TinyModelDir;
  let server: RuntimeServer;
  let client: OpenAI;
  const service = `structured-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    [jaeger, model] = await Promise.all([startJaeger(), tinyModelDir()]);
    server = await startTestServer(testConfig(model.modelPath), jaegerTraceEnv(jaeger, service));
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });

  afterAll(async () => {
    await server?.close();
    await jaeger?.stop();
    await model?.remove();
  });

  printLogsOnFailure(() => (jaeger ? [jaeger.process.logFile] : []));

  it.each(SEEDS)('parses a zod schema from the tiny model (seed %i)', async (seed) => {
    const completion = await client.chat.completions.parse({
      model: TEST_MODEL,
      messages: [{ role: 'user', content: 'Describe a person.' }],
      response_format: PERSON_FORMAT,
      max_tokens: 400,
      temperature: 1,
      seed,
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('stop');
    // parse() already ran zod on the content; check the raw text too.
    const parsed = Person.parse(JSON.parse(choice.message.content!));
    expect(parsed).toEqual(choice.message.parsed);
    expect(Object.keys(parsed).sort()).toEqual(Object.keys(Person.shape).sort());
  });

  it('streams a json_schema answer that parses at the end', async () => {
    const stream = client.chat.completions.stream({
      model: TEST_MODEL,
      messages: [{ role: 'user', content: 'Describe a person.' }],
      response_format: PERSON_FORMAT,
      max_tokens: 400,
      seed: 7,
    });
    let chunks = 0;
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) chunks++;
    const final = await stream.finalChatCompletion();
    expect(chunks).toBeGreaterThan(5);
    expect(final.choices[0]?.finish_reason).toBe('stop');
    expect(Person.parse(final.choices[0]?.message.parsed)).toBeTruthy();
  });

  it('answers json_object with one JSON object, streamed and not', async () => {
    const request = {
      model: TEST_MODEL,
      messages: [{ role: 'user' as const, content: 'Any JSON.' }],
      response_format: { type: 'json_object' as const },
      // A seed on which the random model writes a non-trivial object and closes it in time.
      max_tokens: 600,
      seed: 3,
    };
    const whole = await client.chat.completions.create(request);
    expect(whole.choices[0]?.finish_reason).toBe('stop');
    const value = JSON.parse(whole.choices[0]!.message.content!);
    expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);

    let text = '';
    for await (const chunk of await client.chat.completions.create({ ...request, stream: true }))
      text += chunk.choices[0]?.delta.content ?? '';
    // Same seed, same grammar, same tokens.
    expect(text).toBe(whole.choices[0]!.message.content);
  });

  it('without response_format the same request is not JSON (the grammar is what makes it so)', async () => {
    const completion = await client.chat.completions.create({
      model: TEST_MODEL,
      messages: [{ role: 'user', content: 'Describe a person.' }],
      max_tokens: 40,
      seed: 1,
    });
    expect(() => Person.parse(JSON.parse(completion.choices[0]!.message.content!))).toThrow();
  });

  it('refuses a zod date (its regex pattern is beyond the grammar) instead of ignoring it', async () => {
    const error = await client.chat.completions
      .parse({
        model: TEST_MODEL,
        messages: [{ role: 'user', content: 'When?' }],
        response_format: zodResponseFormat(z.object({ day: z.iso.date() }), 'day'),
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const apiError = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(apiError.code).toBe('unsupported_value');
    expect(apiError.param).toBe('response_format.json_schema.schema.properties.day.pattern');
  });

  it('records gen_ai.output.type and the grammar build time on the operation span', async () => {
    // A schema no other test uses, so the first request builds its grammar.
    const format = {
      type: 'json_schema' as const,
      json_schema: { name: 'span', schema: { type: 'object', properties: { traced: { type: 'boolean' } } } },
    };
    const ask = (json: boolean) =>
      client.chat.completions
        .create({
          model: TEST_MODEL,
          messages: [{ role: 'user', content: 'Span me.' }],
          max_tokens: 30,
          seed: 3,
          ...(json ? { response_format: format } : {}),
        })
        .withResponse();
    const json = await ask(true);
    const again = await ask(true);
    const text = await ask(false);
    await server.telemetry.forceFlush();
    const span = async (r: Awaited<ReturnType<typeof ask>>) => {
      const traceId = r.response.headers.get('traceresponse')!.split('-')[1]!;
      const trace = await jaeger.waitForTrace(traceId, { minSpans: 6 });
      return trace.spans.find((s) => s.operationName === `chat ${TEST_MODEL}`)!;
    };
    const [first, second, plain] = [await span(json), await span(again), await span(text)];
    expect(tag(first, 'gen_ai.output.type')).toBe('json');
    expect(tag(plain, 'gen_ai.output.type')).toBe('text');
    expect(tag(first, 'llama.grammar.build_duration')).toBeGreaterThan(0);
    // The second request reuses the cached grammar.
    expect(tag(second, 'llama.grammar.cached')).toBe(true);
    expect(tag(first, 'llama.grammar.cached')).toBe(false);
    expect(tag(plain, 'llama.grammar.build_duration')).toBeUndefined();
  });
});
