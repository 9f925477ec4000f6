// Every kind of bad input gets an OpenAI-shaped error with the right status, code and param, and
// none of them crashes the server or leaks a sequence. Real server, real llama.cpp, raw HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeServer } from '../../runtime/server/runtime-server.js';
import {
  startTestServer,
  TEST_MODEL,
  type TinyModelDir,
  testConfig,
  tinyModelDir,
} from './runtime-fixture.js';

const CHAT = '/v1/chat/completions';
const COMPLETIONS = '/v1/completions';
const JSON_TYPE = { 'content-type': 'application/json' };
const chat = (extra: Record<string, unknown>) => ({
  model: TEST_MODEL,
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});
const completion = (extra: Record<string, unknown>) => ({ model: TEST_MODEL, prompt: 'hi', ...extra });

interface Case {
  readonly name: string;
  readonly method?: string;
  readonly path: string;
  /** A value to JSON-encode, or raw text. */
  readonly body?: unknown;
  readonly raw?: string;
  readonly headers?: Record<string, string>;
  readonly status: number;
  readonly code: string;
  readonly param?: string | null;
  /** Words the message must contain. */
  readonly mentions?: string;
}

const CASES: Case[] = [
  { name: 'invalid JSON', path: CHAT, raw: '{"model": "tiny",', status: 400, code: 'invalid_json' },
  { name: 'empty JSON body', path: CHAT, raw: '', status: 400, code: 'invalid_json' },
  {
    name: 'body is an array',
    path: CHAT,
    body: [chat({})],
    status: 400,
    code: 'invalid_type',
    mentions: 'JSON object',
  },
  {
    name: 'body is a string',
    path: CHAT,
    body: 'hello',
    status: 400,
    code: 'invalid_type',
    mentions: 'JSON object',
  },
  {
    name: 'missing model',
    path: CHAT,
    body: { messages: [{ role: 'user', content: 'hi' }] },
    status: 400,
    code: 'missing_required_parameter',
    param: 'model',
  },
  {
    name: 'model of the wrong type',
    path: CHAT,
    body: chat({ model: 7 }),
    status: 400,
    code: 'invalid_type',
    param: 'model',
  },
  {
    name: 'missing messages',
    path: CHAT,
    body: { model: TEST_MODEL },
    status: 400,
    code: 'missing_required_parameter',
    param: 'messages',
  },
  {
    name: 'messages not an array',
    path: CHAT,
    body: chat({ messages: 'hi' }),
    status: 400,
    code: 'invalid_type',
    param: 'messages',
  },
  {
    name: 'empty messages',
    path: CHAT,
    body: chat({ messages: [] }),
    status: 400,
    code: 'invalid_value',
    param: 'messages',
  },
  {
    name: 'unknown role',
    path: CHAT,
    body: chat({ messages: [{ role: 'wizard', content: 'hi' }] }),
    status: 400,
    code: 'invalid_value',
    param: 'messages[0].role',
  },
  {
    name: 'missing role',
    path: CHAT,
    body: chat({ messages: [{ content: 'hi' }] }),
    status: 400,
    code: 'invalid_value',
    param: 'messages[0].role',
  },
  {
    name: 'content of the wrong type',
    path: CHAT,
    body: chat({ messages: [{ role: 'user', content: 5 }] }),
    status: 400,
    code: 'invalid_type',
    param: 'messages[0].content',
  },
  {
    name: 'temperature above 2',
    path: CHAT,
    body: chat({ temperature: 3 }),
    status: 400,
    code: 'invalid_value',
    param: 'temperature',
    mentions: 'at most 2',
  },
  {
    name: 'temperature as a string',
    path: CHAT,
    body: chat({ temperature: 'hot' }),
    status: 400,
    code: 'invalid_type',
    param: 'temperature',
  },
  {
    name: 'top_p above 1',
    path: CHAT,
    body: chat({ top_p: 1.5 }),
    status: 400,
    code: 'invalid_value',
    param: 'top_p',
  },
  {
    name: 'max_tokens 0',
    path: CHAT,
    body: chat({ max_tokens: 0 }),
    status: 400,
    code: 'invalid_value',
    param: 'max_tokens',
  },
  {
    name: 'max_tokens not an integer',
    path: CHAT,
    body: chat({ max_tokens: 1.5 }),
    status: 400,
    code: 'invalid_type',
    param: 'max_tokens',
  },
  {
    name: 'presence_penalty below -2',
    path: CHAT,
    body: chat({ presence_penalty: -3 }),
    status: 400,
    code: 'invalid_value',
    param: 'presence_penalty',
  },
  {
    name: 'frequency_penalty above 2',
    path: CHAT,
    body: chat({ frequency_penalty: 2.5 }),
    status: 400,
    code: 'invalid_value',
    param: 'frequency_penalty',
  },
  {
    name: 'top_k negative',
    path: CHAT,
    body: chat({ top_k: -1 }),
    status: 400,
    code: 'invalid_value',
    param: 'top_k',
  },
  {
    name: 'min_p above 1',
    path: CHAT,
    body: chat({ min_p: 2 }),
    status: 400,
    code: 'invalid_value',
    param: 'min_p',
  },
  {
    name: 'seed as a string',
    path: CHAT,
    body: chat({ seed: 'x' }),
    status: 400,
    code: 'invalid_type',
    param: 'seed',
  },
  {
    name: 'stream as a string',
    path: CHAT,
    body: chat({ stream: 'yes' }),
    status: 400,
    code: 'invalid_type',
    param: 'stream',
  },
  {
    name: 'five stop sequences',
    path: CHAT,
    body: chat({ stop: ['a', 'b', 'c', 'd', 'e'] }),
    status: 400,
    code: 'invalid_value',
    param: 'stop',
  },
  { name: 'n above 1', path: CHAT, body: chat({ n: 2 }), status: 400, code: 'unsupported_value', param: 'n' },
  {
    name: 'logprobs requested',
    path: CHAT,
    body: chat({ logprobs: true }),
    status: 400,
    code: 'unsupported_value',
    param: 'logprobs',
  },
  {
    name: 'tools given',
    path: CHAT,
    body: chat({ tools: [{ type: 'function' }] }),
    status: 400,
    code: 'unsupported_value',
    param: 'tools',
  },
  {
    name: 'unknown model',
    path: CHAT,
    body: chat({ model: 'gpt-4o' }),
    status: 404,
    code: 'model_not_found',
    param: 'model',
    mentions: 'gpt-4o',
  },
  {
    name: 'max_tokens beyond the context',
    path: CHAT,
    body: chat({ max_tokens: 5000 }),
    status: 400,
    code: 'context_length_exceeded',
    param: 'max_tokens',
    mentions: '2048',
  },
  {
    name: 'prompt longer than the context',
    path: COMPLETIONS,
    body: completion({ prompt: 'word '.repeat(3000) }),
    status: 400,
    code: 'context_length_exceeded',
    param: 'prompt',
  },
  {
    name: 'completions: missing prompt',
    path: COMPLETIONS,
    body: { model: TEST_MODEL },
    status: 400,
    code: 'missing_required_parameter',
    param: 'prompt',
  },
  {
    name: 'completions: two prompts',
    path: COMPLETIONS,
    body: completion({ prompt: ['a', 'b'] }),
    status: 400,
    code: 'invalid_value',
    param: 'prompt',
  },
  {
    name: 'completions: echo',
    path: COMPLETIONS,
    body: completion({ echo: true }),
    status: 400,
    code: 'unsupported_value',
    param: 'echo',
  },
  {
    name: 'body too large',
    path: CHAT,
    raw: JSON.stringify(chat({ pad: 'x'.repeat(5 * 1024 * 1024) })),
    status: 413,
    code: 'request_too_large',
  },
  {
    name: 'not JSON content type',
    path: CHAT,
    raw: 'hello',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'GET on a POST route',
    method: 'GET',
    path: CHAT,
    status: 405,
    code: 'method_not_allowed',
    mentions: 'POST',
  },
  {
    name: 'DELETE on /v1/models',
    method: 'DELETE',
    path: '/v1/models',
    status: 405,
    code: 'method_not_allowed',
  },
  {
    name: 'unknown route',
    method: 'GET',
    path: '/v1/embeddings',
    status: 404,
    code: 'not_found',
    mentions: '/v1/embeddings',
  },
  {
    name: 'unknown model in /v1/models/:id',
    method: 'GET',
    path: '/v1/models/nope',
    status: 404,
    code: 'model_not_found',
  },
];

describe('bad requests', () => {
  let model: TinyModelDir;
  let server: RuntimeServer;

  beforeAll(async () => {
    model = await tinyModelDir();
    server = await startTestServer(testConfig(model.modelPath, { parallel: 1 }));
  });

  afterAll(async () => {
    await server?.close();
    await model?.remove();
  });

  it.each(CASES)('$name → $status $code', async (c) => {
    const response = await fetch(`${server.url}${c.path}`, {
      method: c.method ?? 'POST',
      headers: c.method === 'GET' || c.method === 'DELETE' ? {} : { ...JSON_TYPE, ...c.headers },
      body: c.method === 'GET' || c.method === 'DELETE' ? undefined : (c.raw ?? JSON.stringify(c.body)),
    });
    const body = (await response.json()) as {
      error: { message: string; type: string; param: string | null; code: string };
    };
    expect({ status: response.status, code: body.error.code }).toEqual({ status: c.status, code: c.code });
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(body.error.message.length).toBeGreaterThan(10);
    expect(body.error.type).toBe(c.status >= 500 ? 'server_error' : 'invalid_request_error');
    if (c.param !== undefined) expect(body.error.param).toBe(c.param);
    if (c.param) expect(body.error.message).toContain(c.param);
    if (c.mentions) expect(body.error.message).toContain(c.mentions);
    if (c.status === 405) expect(response.headers.get('allow')).toBeTruthy();
    expect(response.headers.get('traceresponse')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });

  it('is still healthy after all of them, with no sequence held', async () => {
    expect(server.context.engine?.stats()).toMatchObject({ processing: 0, deferred: 0 });
    const response = await fetch(`${server.url}${CHAT}`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: JSON.stringify(chat({ max_tokens: 2 })),
    });
    expect(response.status).toBe(200);
  });
});

describe('API key', () => {
  let model: TinyModelDir;
  let server: RuntimeServer;

  beforeAll(async () => {
    model = await tinyModelDir();
    server = await startTestServer(testConfig(model.modelPath, { parallel: 1, apiKey: 'sk-test-key' }));
  });

  afterAll(async () => {
    await server?.close();
    await model?.remove();
  });

  const models = (headers: Record<string, string>) => fetch(`${server.url}/v1/models`, { headers });

  it('refuses a request without a key', async () => {
    const response = await models({});
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
  });

  it('refuses a wrong key', async () => {
    const response = await models({ authorization: 'Bearer sk-wrong' });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      'Incorrect API key',
    );
  });

  it('accepts the right key, and leaves probes and metrics open', async () => {
    expect((await models({ authorization: 'Bearer sk-test-key' })).status).toBe(200);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
  });
});
