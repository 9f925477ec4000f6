// The official `openai` npm client against the runtime serving the tiny model (real llama.cpp):
// chat and completions, streamed and not, usage, stop sequences and max_tokens.
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeServer } from '../../runtime/server/runtime-server.js';
import {
  LONG_PROMPT,
  startTestServer,
  TEST_MODEL,
  type TinyModelDir,
  testConfig,
  tinyModelDir,
} from './runtime-fixture.js';

describe('runtime with the openai client', () => {
  let model: TinyModelDir;
  let server: RuntimeServer;
  let client: OpenAI;

  beforeAll(async () => {
    model = await tinyModelDir();
    server = await startTestServer(testConfig(model.modelPath));
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });

  afterAll(async () => {
    await server?.close();
    await model?.remove();
  });

  it('lists the served model', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([TEST_MODEL]);
    expect((await client.models.retrieve(TEST_MODEL)).id).toBe(TEST_MODEL);
  });

  it('answers a chat completion with usage', async () => {
    const completion = await client.chat.completions.create({
      model: TEST_MODEL,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Say hello.' },
      ],
      max_tokens: 12,
      temperature: 0,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe(TEST_MODEL);
    const [choice] = completion.choices;
    expect(choice?.message.role).toBe('assistant');
    expect(typeof choice?.message.content).toBe('string');
    expect(['stop', 'length']).toContain(choice?.finish_reason);
    const usage = completion.usage!;
    // The ChatML template adds more than a dozen tokens around the two short messages.
    expect(usage.prompt_tokens).toBeGreaterThan(15);
    expect(usage.completion_tokens).toBeLessThanOrEqual(12);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
  });

  it('counts prompt tokens as llama.cpp tokenizes the prompt', async () => {
    const prompt = 'the quick brown fox jumps over the lazy dog';
    const completion = await client.completions.create({
      model: TEST_MODEL,
      prompt,
      max_tokens: 3,
      temperature: 0,
    });
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
    try {
      const loaded = await llama.loadModel({ modelPath: model.modelPath });
      // The prompt's tokens plus the BOS token the model asks for.
      expect(completion.usage?.prompt_tokens).toBe(loaded.tokenize(prompt).length + 1);
    } finally {
      await llama.dispose();
    }
  });

  it('honours max_tokens: a long greedy completion stops at exactly max_tokens', async () => {
    const completion = await client.completions.create({
      model: TEST_MODEL,
      prompt: LONG_PROMPT,
      max_tokens: 40,
      temperature: 0,
    });
    expect(completion.object).toBe('text_completion');
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage?.completion_tokens).toBe(40);
  });

  it('streams a completion whose text and usage match the unstreamed one', async () => {
    const request = { model: TEST_MODEL, prompt: LONG_PROMPT, max_tokens: 30, temperature: 0 } as const;
    const whole = await client.completions.create(request);
    const stream = await client.completions.create({
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(whole.choices[0]?.text);
    expect(finish).toBe('length');
    expect(usage?.completion_tokens).toBe(30);
    expect(usage?.prompt_tokens).toBe(whole.usage?.prompt_tokens);
  });

  it('streams a chat completion: role first, then content, finish reason and usage last', async () => {
    const stream = await client.chat.completions.create({
      model: TEST_MODEL,
      messages: [{ role: 'user', content: LONG_PROMPT }],
      max_tokens: 20,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage?.completion_tokens).toBeGreaterThan(0);
    expect(last.usage?.completion_tokens).toBeLessThanOrEqual(20);
    const finishes = chunks.flatMap((c) => c.choices.map((choice) => choice.finish_reason)).filter(Boolean);
    expect(finishes).toHaveLength(1);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it('streams without a usage chunk unless include_usage is set', async () => {
    const stream = await client.chat.completions.create({
      model: TEST_MODEL,
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 5,
      stream: true,
    });
    for await (const chunk of stream) expect(chunk.usage ?? undefined).toBeUndefined();
  });

  it('cuts the text before a stop sequence and reports finish_reason stop', async () => {
    const request = { model: TEST_MODEL, prompt: LONG_PROMPT, max_tokens: 60, temperature: 0 } as const;
    const free = (await client.completions.create(request)).choices[0]!.text;
    // A stop string from the middle of the greedy answer: the same prompt must stop right before it.
    const stop = free.slice(20, 22);
    expect(stop.length).toBe(2);
    const stopped = await client.completions.create({ ...request, stop: [stop] });
    expect(stopped.choices[0]?.finish_reason).toBe('stop');
    expect(stopped.choices[0]?.text).toBe(free.slice(0, free.indexOf(stop)));
    expect(stopped.usage!.completion_tokens).toBeLessThan(60);

    const streamed = await client.completions.create({ ...request, stop, stream: true });
    let text = '';
    for await (const chunk of streamed) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(free.slice(0, free.indexOf(stop)));
  });

  it('accepts every sampling parameter and is reproducible with a seed', async () => {
    const request = {
      model: TEST_MODEL,
      prompt: LONG_PROMPT,
      max_tokens: 16,
      temperature: 0.9,
      top_p: 0.9,
      seed: 42,
      presence_penalty: 0.5,
      frequency_penalty: 0.5,
      top_k: 20,
      min_p: 0.05,
      repeat_penalty: 1.1,
    };
    const first = await client.completions.create(request as OpenAI.CompletionCreateParamsNonStreaming);
    const second = await client.completions.create(request as OpenAI.CompletionCreateParamsNonStreaming);
    expect(second.choices[0]?.text).toBe(first.choices[0]?.text);
  });

  it('reuses the cached prompt prefix of the previous request', async () => {
    const messages = [
      { role: 'user' as const, content: 'A prompt long enough to be worth caching, said twice.' },
    ];
    await client.chat.completions.create({ model: TEST_MODEL, messages, max_tokens: 2, temperature: 0 });
    const again = await client.chat.completions.create({
      model: TEST_MODEL,
      messages,
      max_tokens: 2,
      temperature: 0,
    });
    const cached = (again.usage as { prompt_tokens_details?: { cached_tokens?: number } })
      .prompt_tokens_details?.cached_tokens;
    expect(cached).toBeGreaterThan(0);
    expect(cached).toBeLessThan(again.usage!.prompt_tokens);
  });

  it('keeps each conversation on the sequence that caches it when requests alternate', async () => {
    // parallel 2: two unrelated conversations taking turns each find their own prefix again.
    const a = [{ role: 'user' as const, content: 'First conversation, about the sea and its many tides.' }];
    const b = [{ role: 'user' as const, content: 'Second conversation: mountains, snow and rock.' }];
    const send = (messages: typeof a) =>
      client.chat.completions.create({ model: TEST_MODEL, messages, max_tokens: 2, temperature: 0 });
    await send(a);
    await send(b);
    for (const messages of [a, b]) {
      const again = await send(messages);
      const cached = (again.usage as { prompt_tokens_details?: { cached_tokens?: number } })
        .prompt_tokens_details?.cached_tokens;
      // Everything but the last prompt token, which is evaluated again for the first sample's logits.
      expect(cached).toBe(again.usage!.prompt_tokens - 1);
    }
  });
});
