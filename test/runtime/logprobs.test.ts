// logprobs with the real `openai` client against the runtime on the tiny model: chat logprobs and
// top_logprobs, the legacy completions' shape (tokens, token_logprobs, top_logprobs, text_offset),
// streamed and not. Consistency, not numbers: the alternatives are sorted and counted as asked, the
// tokens spell the text, greedy picks the most likely token, and a probability is at most 1.
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

const EPSILON = 1e-6;

function expectSortedDescending(values: number[]): void {
  for (let i = 1; i < values.length; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1]! + EPSILON);
}

describe('logprobs', () => {
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

  it('chat: one entry per token, alternatives sorted and counted as asked, greedy picks the top', async () => {
    const completion = await client.chat.completions.create({
      model: TEST_MODEL,
      messages: [{ role: 'user', content: LONG_PROMPT }],
      max_tokens: 12,
      temperature: 0,
      logprobs: true,
      top_logprobs: 5,
    });
    const choice = completion.choices[0]!;
    const entries = choice.logprobs!.content!;
    expect(entries.length).toBe(completion.usage!.completion_tokens);
    // The bytes spell the content (a token may be part of a character; its text alone is then U+FFFD).
    expect(Buffer.from(entries.flatMap((e) => e.bytes!)).toString('utf8')).toBe(choice.message.content);
    for (const entry of entries) {
      expect(entry.logprob).toBeLessThanOrEqual(EPSILON);
      expect(entry.top_logprobs).toHaveLength(5);
      expectSortedDescending(entry.top_logprobs.map((t) => t.logprob));
      // Greedy: the chosen token is the most likely one.
      expect(entry.logprob).toBeCloseTo(entry.top_logprobs[0]!.logprob, 5);
      const total = entry.top_logprobs.reduce((sum, t) => sum + Math.exp(t.logprob), 0);
      expect(total).toBeLessThanOrEqual(1 + EPSILON);
    }
  });

  it('chat: logprobs without top_logprobs gives the chosen tokens only; without logprobs, null', async () => {
    const base = {
      model: TEST_MODEL,
      messages: [{ role: 'user' as const, content: 'hi' }],
      max_tokens: 4,
      temperature: 0,
    };
    const only = await client.chat.completions.create({ ...base, logprobs: true });
    for (const entry of only.choices[0]!.logprobs!.content!) expect(entry.top_logprobs).toEqual([]);
    const none = await client.chat.completions.create(base);
    expect(none.choices[0]!.logprobs).toBeNull();
  });

  it('chat: the stream carries the same logprobs, chunk by chunk', async () => {
    const request = {
      model: TEST_MODEL,
      messages: [{ role: 'user' as const, content: LONG_PROMPT }],
      max_tokens: 10,
      temperature: 0,
      logprobs: true,
      top_logprobs: 3,
    };
    const whole = await client.chat.completions.create(request);
    const streamed: OpenAI.ChatCompletionTokenLogprob[] = [];
    let text = '';
    for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) {
      const choice = chunk.choices[0];
      text += choice?.delta.content ?? '';
      streamed.push(...(choice?.logprobs?.content ?? []));
    }
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(streamed.map((e) => e.token)).toEqual(whole.choices[0]!.logprobs!.content!.map((e) => e.token));
    streamed.forEach((entry, i) => {
      expect(entry.logprob).toBeCloseTo(whole.choices[0]!.logprobs!.content![i]!.logprob, 4);
    });
  });

  it('completions: the legacy shape, text offsets counted from the start of the prompt', async () => {
    const completion = await client.completions.create({
      model: TEST_MODEL,
      prompt: LONG_PROMPT,
      max_tokens: 8,
      temperature: 0,
      logprobs: 3,
    });
    const choice = completion.choices[0]!;
    const lp = choice.logprobs!;
    expect(lp.tokens!.length).toBe(completion.usage!.completion_tokens);
    expect(lp.token_logprobs).toHaveLength(lp.tokens!.length);
    expect(lp.top_logprobs).toHaveLength(lp.tokens!.length);
    let offset = LONG_PROMPT.length;
    lp.tokens!.forEach((token, i) => {
      expect(lp.text_offset![i]).toBe(offset);
      offset += token.length;
      const top = Object.values(lp.top_logprobs![i]!);
      expect(top.length).toBeGreaterThan(0);
      expect(top.length).toBeLessThanOrEqual(3);
      expectSortedDescending(top);
      expect(lp.token_logprobs![i]).toBeCloseTo(Math.max(...top), 5);
    });
  });

  it('completions: streamed logprobs match the whole response', async () => {
    const request = { model: TEST_MODEL, prompt: LONG_PROMPT, max_tokens: 6, temperature: 0, logprobs: 2 };
    const whole = await client.completions.create(request);
    const tokens: string[] = [];
    const offsets: number[] = [];
    for await (const chunk of await client.completions.create({ ...request, stream: true })) {
      tokens.push(...(chunk.choices[0]?.logprobs?.tokens ?? []));
      offsets.push(...(chunk.choices[0]?.logprobs?.text_offset ?? []));
    }
    expect(tokens).toEqual(whole.choices[0]!.logprobs!.tokens);
    expect(offsets).toEqual(whole.choices[0]!.logprobs!.text_offset);
  });

  it('sampled tokens are consistent with their alternatives at temperature 1', async () => {
    const completion = await client.chat.completions.create({
      model: TEST_MODEL,
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 10,
      temperature: 1,
      // llama.cpp's top_k, which the openai client's types do not know.
      ...({ top_k: 5 } as object),
      seed: 42,
      logprobs: true,
      top_logprobs: 20,
    });
    for (const entry of completion.choices[0]!.logprobs!.content!) {
      // top_k 5 leaves five candidates: the chosen one is among them (same bytes), with the same logprob.
      expect(entry.top_logprobs.length).toBeLessThanOrEqual(5);
      const same = entry.top_logprobs.find((t) => Buffer.from(t.bytes!).equals(Buffer.from(entry.bytes!)));
      expect(same).toBeDefined();
      expect(same!.logprob).toBeCloseTo(entry.logprob, 5);
    }
  });
});
