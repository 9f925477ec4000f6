// llama-server's /health, /tokenize, /detokenize and /props on the real runtime with the tiny model:
// llama-server's shapes, the round trip through the real tokenizer, the API key (open /health), the
// 503 while the model loads, and 400s naming the field.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeServer } from '../../runtime/server/runtime-server.js';
import {
  memoryLog,
  startTestServer,
  TEST_MODEL,
  type TinyModelDir,
  testConfig,
  tinyModelDir,
} from './runtime-fixture.js';

const KEY = 'sk-compat';
const AUTH = { authorization: `Bearer ${KEY}` };
const JSON_TYPE = { 'content-type': 'application/json' };

interface ErrorBody {
  error: { code: string; param: string | null; message: string };
}

describe('llama-server compatibility endpoints', () => {
  let model: TinyModelDir;
  let server: RuntimeServer;

  const post = async (path: string, body: unknown, headers: Record<string, string> = AUTH) => {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { ...JSON_TYPE, ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const tokenize = async (body: Record<string, unknown>) => {
    const { status, body: answer } = await post('/tokenize', body);
    expect(status, JSON.stringify(answer)).toBe(200);
    return answer.tokens as unknown[];
  };

  beforeAll(async () => {
    model = await tinyModelDir();
    server = await startTestServer(testConfig(model.modelPath, { parallel: 2, apiKey: KEY }));
  });

  afterAll(async () => {
    await server?.close();
    await model?.remove();
  });

  it('GET /health: 200 {"status":"ok"} when loaded, without a key', async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it("GET /health: 503 with llama-server's body while the model loads", async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The model's path resolves only when released, as while a pull runs.
    const loading = await RuntimeServer.start(testConfig(model.modelPath, { apiKey: KEY }), {
      env: { OTEL_SDK_DISABLED: 'true' },
      log: memoryLog().log,
      resolveModel: async (path) => {
        await held;
        return path;
      },
    });
    try {
      const response = await fetch(`${loading.url}/health`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        error: { code: 503, message: 'Loading model', type: 'unavailable_error' },
      });
      release();
      await loading.loaded();
      expect((await fetch(`${loading.url}/health`)).status).toBe(200);
    } finally {
      release();
      await loading.close();
    }
  });

  it('POST /tokenize and /detokenize round-trip text through the model tokenizer', async () => {
    const text = 'Hello world, once upon a time';
    const tokens = (await tokenize({ content: text })) as number[];
    expect(tokens.length).toBeGreaterThan(1);
    expect(tokens.every((t) => Number.isInteger(t))).toBe(true);
    const { status, body } = await post('/detokenize', { tokens });
    expect(status).toBe(200);
    expect(body).toEqual({ content: text });
  });

  it('add_special adds BOS as the generation endpoints do; parse_special reads <s> as BOS', async () => {
    const props = (await (await fetch(`${server.url}/props`, { headers: AUTH })).json()) as {
      bos_token: string;
    };
    const plain = (await tokenize({ content: 'Once upon a time' })) as number[];
    const special = (await tokenize({ content: 'Once upon a time', add_special: true })) as number[];
    expect(special.slice(1)).toEqual(plain);
    const [bos] = (await tokenize({ content: props.bos_token })) as number[];
    expect(special[0]).toBe(bos);
    // The prompt of /v1/completions is tokenized with BOS: its usage counts the same tokens.
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const completion = await client.completions.create({
      model: TEST_MODEL,
      prompt: 'Once upon a time',
      max_tokens: 1,
    });
    expect(completion.usage?.prompt_tokens).toBe(special.length);
    // As plain text, <s> is several tokens; parsed, it is BOS.
    expect(await tokenize({ content: '<s>', parse_special: true })).toEqual([bos]);
    const literal = (await tokenize({ content: '<s>', parse_special: false })) as number[];
    expect(literal).not.toContain(bos);
    expect(literal.length).toBeGreaterThan(1);
  });

  it('with_pieces: id and piece, the bytes of a piece that is not UTF-8 on its own', async () => {
    const pieces = (await tokenize({ content: 'Hello á', with_pieces: true })) as Array<{
      id: number;
      piece: string | number[];
    }>;
    const ids = (await tokenize({ content: 'Hello á' })) as number[];
    expect(pieces.map((p) => p.id)).toEqual(ids);
    // 'á' is C3 A1: two byte-fallback tokens in the tiny vocabulary, as in llama-server's README.
    expect(pieces.slice(-2).map((p) => p.piece)).toEqual([[0xc3], [0xa1]]);
    const bytes = pieces.flatMap((p) => (typeof p.piece === 'string' ? [...Buffer.from(p.piece)] : p.piece));
    expect(Buffer.from(bytes).toString('utf8')).toBe('Hello á');
  });

  it('GET /props: the model, slots, per-sequence context, chat template and build', async () => {
    const response = await fetch(`${server.url}/props`, { headers: AUTH });
    expect(response.status).toBe(200);
    const props = (await response.json()) as Record<string, unknown>;
    expect(props).toMatchObject({
      default_generation_settings: { n_ctx: testConfig(model.modelPath).contextSize },
      total_slots: 2,
      model_alias: TEST_MODEL,
      model_path: model.modelPath,
      modalities: { vision: false, audio: false },
      bos_token: '<s>',
      eos_token: '</s>',
    });
    expect(props.chat_template).toMatch(/<\|im_start\|>/);
    expect(props.build_info).toMatch(/\S/);
  });

  it('asks for the API key on /tokenize, /detokenize and /props, not on /health', async () => {
    for (const [path, init] of [
      ['/tokenize', { method: 'POST', headers: JSON_TYPE, body: '{"content":"x"}' }],
      ['/detokenize', { method: 'POST', headers: JSON_TYPE, body: '{"tokens":[1]}' }],
      ['/props', {}],
    ] as const) {
      const response = await fetch(`${server.url}${path}`, init);
      expect(response.status, path).toBe(401);
      expect(((await response.json()) as ErrorBody).error.code).toBe('invalid_api_key');
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('answers bad input with a 400 naming the field, and survives an id out of the vocabulary', async () => {
    const cases: Array<[string, unknown, string, string]> = [
      ['/tokenize', {}, 'content', 'missing_required_parameter'],
      ['/tokenize', { content: 5 }, 'content', 'invalid_type'],
      ['/tokenize', { content: 'x', add_special: 'yes' }, 'add_special', 'invalid_type'],
      ['/tokenize', { content: 'x', with_pieces: 1 }, 'with_pieces', 'invalid_type'],
      ['/detokenize', {}, 'tokens', 'missing_required_parameter'],
      ['/detokenize', { tokens: 'x' }, 'tokens', 'invalid_type'],
      ['/detokenize', { tokens: [1, 1.5] }, 'tokens[1]', 'invalid_type'],
      ['/detokenize', { tokens: [1, 999_999] }, 'tokens[1]', 'invalid_value'],
      ['/detokenize', { tokens: [-1] }, 'tokens[0]', 'invalid_value'],
    ];
    for (const [path, body, param, code] of cases) {
      const answer = await post(path, body);
      expect(answer.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect((answer.body as unknown as ErrorBody).error, `${path} ${JSON.stringify(body)}`).toMatchObject({
        param,
        code,
      });
    }
    // llama.cpp aborts the process on such an id; the server must still be here.
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const wrong = await fetch(`${server.url}/tokenize`, { headers: AUTH });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });
});
