// What Python users see: the official OpenAI Python client and LangChain (`langchain-openai`'s
// ChatOpenAI and OpenAIEmbeddings with base_url) against the runtime serving the tiny model (real
// llama.cpp): chat, streaming, completions, structured output into pydantic models, tool calls,
// embeddings. They run from
// a venv made from PyPI (test/tools/python-clients/, cached); the Node `openai` client answering the
// same request is the reference. Skipped, saying why, only where Python cannot make a venv.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeServer } from '../../runtime/server/runtime-server.js';
import { type PythonVenv, pythonUnavailable, pythonVenv } from '../tools/python-clients/python-venv.js';
import {
  startTestServer,
  TEST_MODEL,
  type TinyModelDir,
  testConfig,
  tinyModelDir,
} from './runtime-fixture.js';

const run = promisify(execFile);
const CLIENTS = join(import.meta.dirname, '..', 'tools', 'python-clients', 'clients.py');
const PROMPT = 'Say hello.';
const unavailable = await pythonUnavailable();
if (unavailable) console.warn(`python-clients: skipped: ${unavailable}`);

describe.skipIf(unavailable !== undefined)('Python clients (openai, LangChain) against the runtime', () => {
  let model: TinyModelDir;
  let server: RuntimeServer;
  let venv: PythonVenv;
  let node: OpenAI;

  beforeAll(async () => {
    [venv, model] = await Promise.all([pythonVenv(), tinyModelDir()]);
    server = await startTestServer(testConfig(model.modelPath));
    node = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  }, 600_000);

  afterAll(async () => {
    await server?.close();
    await model?.remove();
  });

  /** Runs one case of clients.py; its stdout is one JSON object. */
  async function python(name: string): Promise<Record<string, unknown>> {
    const { stdout } = await run(venv.python, [CLIENTS, name], {
      env: {
        PATH: process.env.PATH,
        LANGSMITH_TRACING: 'false',
        OPENAI_BASE_URL: `${server.url}/v1`,
        MODEL: TEST_MODEL,
        PROMPT,
      },
      timeout: 60_000,
    });
    return JSON.parse(stdout) as Record<string, unknown>;
  }

  const reference = async () =>
    (
      await node.chat.completions.create({
        model: TEST_MODEL,
        messages: [{ role: 'user', content: PROMPT }],
        max_tokens: 8,
        temperature: 0,
      })
    ).choices[0]?.message.content;

  it('openai: a chat completion, with the Node client’s answer and usage', async () => {
    const answer = await python('openai-chat');
    expect(answer.content).toBe(await reference());
    expect(answer.finish_reason).toBe('length');
    expect(answer.id).toMatch(/^chatcmpl-/);
    expect(answer.usage).toMatchObject({ completion_tokens: 8 });
  });

  it('openai: a streamed chat completion, usage in the last chunk', async () => {
    const answer = await python('openai-chat-stream');
    expect(answer.content).toBe(await reference());
    expect(answer.chunks).toBeGreaterThan(2);
    expect(answer.usage).toMatchObject({ completion_tokens: 8 });
  });

  it('openai: a text completion and the model list', async () => {
    const completion = await python('openai-completion');
    const expected = await node.completions.create({
      model: TEST_MODEL,
      prompt: PROMPT,
      max_tokens: 8,
      temperature: 0,
    });
    expect(completion.text).toBe(expected.choices[0]?.text);
    expect(await python('openai-models')).toEqual({ ids: [TEST_MODEL] });
  });

  it('openai: a bad request raises BadRequestError naming the field', async () => {
    expect(await python('openai-bad-request')).toMatchObject({ status: 400, param: 'temperature' });
  });

  it('openai: parse() into a pydantic model (structured output, grammar-constrained)', async () => {
    const answer = await python('openai-parse');
    expect(answer.finish_reason).toBe('stop');
    expect(answer.parsed).toEqual({
      name: expect.any(String),
      population: expect.any(Number),
      size: expect.stringMatching(/^(small|big)$/),
    });
    expect((answer.parsed as { name: string }).name.length).toBeLessThanOrEqual(12);
  });

  it('openai: a named tool call whose arguments match the tool schema', async () => {
    const answer = await python('openai-tools');
    expect(answer.finish_reason).toBe('tool_calls');
    expect(answer.calls).toEqual([
      {
        id: expect.stringMatching(/^call_/),
        name: 'get_weather',
        arguments: { city: expect.any(String), unit: expect.stringMatching(/^(celsius|fahrenheit)$/) },
      },
    ]);
  });

  it('openai: embeddings (base64, the Python client’s default), identical inputs identical', async () => {
    const answer = await python('openai-embeddings');
    const reference = await node.embeddings.create({ model: TEST_MODEL, input: 'hello' });
    expect(answer).toEqual({
      count: 3,
      dims: reference.data[0]?.embedding.length,
      same: true,
      usage: expect.any(Number),
    });
  });

  it('LangChain: with_structured_output, bind_tools and OpenAIEmbeddings', async () => {
    const structured = await python('langchain-structured');
    expect(structured.parsed).toEqual({
      name: expect.any(String),
      population: expect.any(Number),
      size: expect.stringMatching(/^(small|big)$/),
    });
    const tools = await python('langchain-tools');
    expect(tools.calls).toEqual([
      {
        name: 'get_weather',
        args: { city: expect.any(String), unit: expect.stringMatching(/^(celsius|fahrenheit)$/) },
        id: expect.stringMatching(/^call_/),
      },
    ]);
    const embeddings = await python('langchain-embeddings');
    expect(embeddings).toMatchObject({ count: 2, same: true });
    expect(embeddings.dims).toBeGreaterThan(0);
  });

  it('LangChain ChatOpenAI: invoke and stream', async () => {
    const invoked = await python('langchain-invoke');
    expect(invoked.content).toBe(await reference());
    expect(invoked.finish_reason).toBe('length');
    expect(invoked.usage).toMatchObject({ output_tokens: 8 });
    const streamed = await python('langchain-stream');
    expect(streamed.content).toBe(invoked.content);
    expect(streamed.chunks).toBeGreaterThan(2);
  });
});
