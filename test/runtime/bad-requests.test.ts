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
  /** Refused by the router before any hook runs: no span, so no traceresponse header. */
  readonly untraced?: boolean;
}

const schemaFormat = (schema: unknown) => ({
  response_format: { type: 'json_schema', json_schema: { name: 'out', schema, strict: true } },
});
const objectOf = (properties: Record<string, unknown>) => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});
const SCHEMA = 'response_format.json_schema.schema';

/** Schemas the grammar cannot enforce, or that are malformed: refused by keyword path, never downgraded. */
function structuredOutputCases(): Case[] {
  const refused = (name: string, schema: unknown, param: string, code = 'unsupported_value'): Case => ({
    name: `response_format: ${name}`,
    path: CHAT,
    body: chat(schemaFormat(schema)),
    status: 400,
    code,
    param,
  });
  return [
    {
      name: 'response_format: unknown type',
      path: CHAT,
      body: chat({ response_format: { type: 'yaml' } }),
      status: 400,
      code: 'invalid_value',
      param: 'response_format.type',
    },
    {
      name: 'response_format: json_schema without a schema',
      path: CHAT,
      body: chat({ response_format: { type: 'json_schema', json_schema: { name: 'out' } } }),
      status: 400,
      code: 'missing_required_parameter',
      param: 'response_format.json_schema.schema',
    },
    refused(
      'numeric bound',
      objectOf({ age: { type: 'integer', minimum: 0 } }),
      `${SCHEMA}.properties.age.minimum`,
    ),
    refused(
      'regex pattern',
      objectOf({ id: { type: 'string', pattern: '^a+$' } }),
      `${SCHEMA}.properties.id.pattern`,
    ),
    refused(
      'oneOf',
      objectOf({ v: { oneOf: [{ type: 'string' }, { type: 'null' }] } }),
      `${SCHEMA}.properties.v.oneOf`,
    ),
    refused('allOf', { allOf: [{ type: 'object' }] }, `${SCHEMA}.allOf`),
    refused(
      'an unknown format',
      objectOf({ mail: { type: 'string', format: 'email' } }),
      `${SCHEMA}.properties.mail.format`,
    ),
    refused(
      'a nullable object by type list',
      objectOf({ o: { type: ['object', 'null'] } }),
      `${SCHEMA}.properties.o.type`,
    ),
    refused(
      'an OpenAPI nullable',
      objectOf({ n: { type: 'string', nullable: true } }),
      `${SCHEMA}.properties.n.nullable`,
    ),
    refused(
      'uniqueItems',
      objectOf({ a: { type: 'array', items: { type: 'string' }, uniqueItems: true } }),
      `${SCHEMA}.properties.a.uniqueItems`,
    ),
    refused(
      'a $ref that points nowhere',
      objectOf({ r: { $ref: '#/$defs/missing' } }),
      `${SCHEMA}.properties.r.$ref`,
      'invalid_value',
    ),
    refused(
      'a schema without a type',
      objectOf({ x: { description: 'anything' } }),
      `${SCHEMA}.properties.x`,
      'invalid_value',
    ),
    refused(
      'required names a missing property',
      { type: 'object', properties: {}, required: ['ghost'] },
      `${SCHEMA}.required`,
      'invalid_value',
    ),
    refused('a schema that is not an object', 'string', SCHEMA, 'invalid_type'),
  ];
}

const weatherTool = (name = 'get_weather', parameters: unknown = objectOf({ city: { type: 'string' } })) => ({
  type: 'function',
  function: { name, description: 'Weather in a city', parameters },
});
const callMessage = (id = 'call_1', args = '{"city":"Paris"}') => ({
  role: 'assistant',
  content: null,
  tool_calls: [{ id, type: 'function', function: { name: 'get_weather', arguments: args } }],
});

function toolCases(): Case[] {
  const tool = (
    name: string,
    extra: Record<string, unknown>,
    param: string,
    code = 'invalid_value',
  ): Case => ({
    name: `tools: ${name}`,
    path: CHAT,
    body: chat(extra),
    status: 400,
    code,
    param,
  });
  const user = { role: 'user', content: 'weather?' };
  return [
    tool(
      'a name that is not an identifier',
      { tools: [weatherTool('get weather')] },
      'tools[0].function.name',
    ),
    tool('a name defined twice', { tools: [weatherTool(), weatherTool()] }, 'tools[1].function.name'),
    tool(
      'parameters the grammar cannot enforce',
      { tools: [weatherTool('w', objectOf({ city: { type: 'string', pattern: '.' } }))] },
      'tools[0].function.parameters.properties.city.pattern',
      'unsupported_value',
    ),
    tool(
      'parameters not an object schema',
      { tools: [weatherTool('w', { type: 'string' })] },
      'tools[0].function.parameters',
    ),
    tool(
      'a type other than function',
      { tools: [{ type: 'custom', custom: { name: 'x' } }] },
      'tools[0].type',
    ),
    tool(
      'tool_choice naming an unknown tool',
      { tools: [weatherTool()], tool_choice: { type: 'function', function: { name: 'get_time' } } },
      'tool_choice.function.name',
    ),
    tool('tool_choice without tools', { tool_choice: 'required' }, 'tool_choice'),
    tool('tool_choice of an unknown mode', { tools: [weatherTool()], tool_choice: 'always' }, 'tool_choice'),
    tool(
      'a tool message without tool_call_id',
      { messages: [user, callMessage(), { role: 'tool', content: '20' }] },
      'messages[2].tool_call_id',
      'missing_required_parameter',
    ),
    tool(
      'a tool message answering an unknown id',
      { messages: [user, callMessage(), { role: 'tool', tool_call_id: 'call_9', content: '20' }] },
      'messages[2].tool_call_id',
    ),
    tool(
      'a tool message with no call before it',
      { messages: [user, { role: 'tool', tool_call_id: 'call_1', content: '20' }] },
      'messages[1].role',
    ),
    tool(
      'tool_calls left unanswered',
      { messages: [user, callMessage(), { role: 'user', content: 'and?' }] },
      'messages[1].tool_calls[0].id',
    ),
    tool(
      'tool_calls arguments that are not JSON',
      {
        messages: [
          user,
          callMessage('call_1', '{city'),
          { role: 'tool', tool_call_id: 'call_1', content: '20' },
        ],
      },
      'messages[1].tool_calls[0].function.arguments',
    ),
    tool(
      'a JSON response format with tools in play',
      { tools: [weatherTool()], response_format: { type: 'json_object' } },
      'response_format',
      'unsupported_value',
    ),
    tool(
      'logprobs with tools in play',
      { tools: [weatherTool()], logprobs: true },
      'logprobs',
      'unsupported_value',
    ),
  ];
}

/** The field list (runtime/server/request-fields.ts): unknown fields and values the runtime does not do. */
function fieldCases(): Case[] {
  const field = (name: string, path: string, body: unknown, code: string, param: string): Case => ({
    name,
    path,
    body,
    status: 400,
    code,
    param,
  });
  return [
    field('an unknown field', CHAT, chat({ temperature_boost: 2 }), 'unknown_parameter', 'temperature_boost'),
    field(
      'completions: an unknown field',
      COMPLETIONS,
      completion({ messages: [] }),
      'unknown_parameter',
      'messages',
    ),
    field('a logit_bias', CHAT, chat({ logit_bias: { '50256': -100 } }), 'unsupported_value', 'logit_bias'),
    field(
      'reasoning_effort',
      CHAT,
      chat({ reasoning_effort: 'high' }),
      'unsupported_value',
      'reasoning_effort',
    ),
    field(
      'deprecated functions',
      CHAT,
      chat({ functions: [{ name: 'f' }] }),
      'unsupported_value',
      'functions',
    ),
    field('audio output', CHAT, chat({ modalities: ['text', 'audio'] }), 'unsupported_value', 'modalities'),
    field(
      'top_logprobs above 20',
      CHAT,
      chat({ logprobs: true, top_logprobs: 21 }),
      'invalid_value',
      'top_logprobs',
    ),
    field('top_logprobs without logprobs', CHAT, chat({ top_logprobs: 2 }), 'invalid_value', 'top_logprobs'),
    field(
      'completions: logprobs above 5',
      COMPLETIONS,
      completion({ logprobs: 6 }),
      'invalid_value',
      'logprobs',
    ),
    field('completions: best_of 2', COMPLETIONS, completion({ best_of: 2 }), 'unsupported_value', 'best_of'),
    field('completions: a suffix', COMPLETIONS, completion({ suffix: 'end' }), 'unsupported_value', 'suffix'),
  ];
}

const CASES: Case[] = [
  { name: 'invalid JSON', path: CHAT, raw: '{"model": "tiny",', status: 400, code: 'invalid_json' },
  { name: 'empty JSON body', path: CHAT, raw: '', status: 400, code: 'invalid_json' },
  {
    // Found by fuzzing: fastify refused these as "not valid JSON", naming nothing.
    name: 'a __proto__ key inside a field',
    path: CHAT,
    raw: `{"model":"${TEST_MODEL}","messages":[{"role":"user","content":"hi"}],"stream":{"__proto__":0}}`,
    status: 400,
    code: 'invalid_value',
    param: 'stream.__proto__',
  },
  {
    name: 'a constructor.prototype key in a message',
    path: CHAT,
    raw: `{"model":"${TEST_MODEL}","messages":[{"role":"user","content":"hi","constructor":{"prototype":{}}}]}`,
    status: 400,
    code: 'invalid_value',
    param: 'messages[0].constructor',
  },
  {
    name: 'a __proto__ key at the top (escaped)',
    path: COMPLETIONS,
    raw: `{"\\u005f_proto__":{"polluted":true},"model":"${TEST_MODEL}","prompt":"hi"}`,
    status: 400,
    code: 'invalid_value',
    param: '__proto__',
  },
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
  ...structuredOutputCases(),
  ...toolCases(),
  ...fieldCases(),
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
    // The fuzzer's finding: the error named max_tokens when the limit came from max_completion_tokens.
    name: 'max_completion_tokens beyond the context (it wins over max_tokens)',
    path: CHAT,
    body: chat({ max_tokens: 2, max_completion_tokens: 5000 }),
    status: 400,
    code: 'context_length_exceeded',
    param: 'max_completion_tokens',
    mentions: 'max_completion_tokens',
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
    path: '/v1/nothing-here',
    status: 404,
    code: 'not_found',
    mentions: '/v1/nothing-here',
  },
  // Found by fuzzing (test/reliability/fuzz-runtime.test.ts): fastify's own shape, and a 500.
  {
    name: 'a path that is not valid percent-encoding',
    method: 'GET',
    path: '/v1/%zz',
    status: 400,
    code: 'invalid_url',
    untraced: true,
  },
  {
    name: 'a path segment over the router limit',
    method: 'GET',
    path: `/v1/models/${'a'.repeat(200)}`,
    status: 414,
    code: 'uri_too_long',
    untraced: true,
  },
  {
    name: 'embeddings: an input nested thousands deep',
    path: '/v1/embeddings',
    raw: `{"model":"${TEST_MODEL}","input":[${'['.repeat(5000)}${']'.repeat(5000)}]}`,
    status: 400,
    code: 'invalid_value',
    param: 'input[0][0]',
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
    if (!c.untraced)
      expect(response.headers.get('traceresponse')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });

  it('accepts what frameworks send that cannot change the result, and what it honours', async () => {
    const response = await fetch(`${server.url}${CHAT}`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: JSON.stringify(
        chat({
          max_tokens: 2,
          n: 1,
          stream: false,
          stream_options: null,
          user: 'u-1',
          metadata: { app: 'test' },
          store: false,
          service_tier: 'auto',
          safety_identifier: 'abc',
          prompt_cache_key: 'k',
          parallel_tool_calls: true,
          logit_bias: {},
          modalities: ['text'],
          response_format: { type: 'text' },
        }),
      ),
    });
    expect(response.status).toBe(200);
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
