// Generated HTTP requests for the runtime's API: valid-looking OpenAI bodies (chat, completions,
// embeddings, llama-server's tokenize/detokenize) with one field made odd (the error must name that
// field), an unknown field (400 unknown_parameter naming it), several odd fields at once, raw bodies
// that are not the JSON they claim, random routes and methods, and random headers. Every body keeps
// max_tokens small unless the mutated field is the token limit itself, so generation stays cheap.
import fc from 'fast-check';
import { RUNTIME_PATHS } from '../../../charts/runtime-contract.js';
import {
  CHAT_COMPLETION_FIELDS,
  COMPLETION_FIELDS,
  type FieldRule,
} from '../../../runtime/server/request-fields.js';
import { CHAT_COMPLETIONS_PATH } from '../../../runtime/server/routes/chat-completions.js';
import { COMPLETIONS_PATH } from '../../../runtime/server/routes/completions.js';
import { EMBEDDINGS_FIELDS, EMBEDDINGS_PATH } from '../../../runtime/server/routes/embeddings.js';
import { LLAMA_SERVER_PATHS } from '../../../runtime/server/routes/llama-server.js';
import { MODELS_PATH } from '../../../runtime/server/routes/models.js';
import { type FuzzValue, oddString, oddValue, preview, RawJson, toJson } from './fuzz-values.js';

export interface FuzzRequest {
  readonly kind: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** A 4xx answer must name this top-level field (or a path under it) in `param`. */
  readonly field?: string;
  /** The answer must be 400 unknown_parameter naming this field. */
  readonly unknown?: string;
  /** The request is valid: the answer must be 2xx. */
  readonly valid?: boolean;
}

interface Endpoint {
  readonly path: string;
  /** The endpoint's field list; undefined where unknown fields are ignored (llama-server's routes). */
  readonly fields?: Readonly<Record<string, FieldRule>>;
  readonly keys: readonly string[];
  readonly base: (model: string) => Record<string, FuzzValue>;
}

const ENDPOINTS: Record<string, Endpoint> = {
  chat: {
    path: CHAT_COMPLETIONS_PATH,
    fields: CHAT_COMPLETION_FIELDS,
    keys: Object.keys(CHAT_COMPLETION_FIELDS),
    base: (model) => ({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
  },
  completions: {
    path: COMPLETIONS_PATH,
    fields: COMPLETION_FIELDS,
    keys: Object.keys(COMPLETION_FIELDS),
    base: (model) => ({ model, prompt: 'hi', max_tokens: 2 }),
  },
  embeddings: {
    path: EMBEDDINGS_PATH,
    fields: EMBEDDINGS_FIELDS,
    keys: Object.keys(EMBEDDINGS_FIELDS),
    base: (model) => ({ model, input: 'hi' }),
  },
  tokenize: {
    path: LLAMA_SERVER_PATHS.tokenize,
    keys: ['content', 'add_special', 'parse_special', 'with_pieces'],
    base: () => ({ content: 'hi' }),
  },
  detokenize: {
    path: LLAMA_SERVER_PATHS.detokenize,
    keys: ['tokens'],
    base: () => ({ tokens: [1, 2] }),
  },
};
const ENDPOINT_NAMES = Object.keys(ENDPOINTS);

const raw = (text: string) => new RawJson(text);

/** A JSON schema nested `depth` levels deep through properties: what a recursive walker chokes on. */
const deepSchema = fc
  .integer({ min: 16, max: 12_000 })
  .map((depth) =>
    raw(
      `${'{"type":"object","properties":{"a":'.repeat(depth)}{"type":"string"}${'},"required":["a"],"additionalProperties":false}'.repeat(depth)}`,
    ),
  );

/** Values shaped like the field's own type, with odd values inside. */
function shapedValues(field: string): fc.Arbitrary<FuzzValue>[] {
  switch (field) {
    case 'messages':
      return [
        fc.array(
          fc.record({
            role: fc.constantFrom('user', 'system', 'assistant', 'tool', 'developer'),
            content: oddValue,
          }),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        fc.tuple(oddValue).map(([text]) => [{ role: 'user', content: [{ type: 'text', text }] }]),
        fc.tuple(oddValue).map(([part]) => [{ role: 'user', content: [part] }]),
        fc.tuple(oddValue).map(
          ([calls]): FuzzValue => [
            { role: 'user', content: 'hi' },
            { role: 'assistant', content: null, tool_calls: calls },
          ],
        ),
      ];
    case 'response_format':
      return [
        fc.oneof(oddValue, deepSchema).map((schema) => ({
          type: 'json_schema',
          json_schema: { name: 'out', schema, strict: true },
        })),
        fc.tuple(oddValue).map(([type]) => ({ type })),
      ];
    case 'tools':
      return [
        fc
          .oneof(oddValue, deepSchema)
          .map((parameters) => [{ type: 'function', function: { name: 'f', parameters } }]),
        fc.tuple(oddString).map(([name]) => [{ type: 'function', function: { name } }]),
      ];
    case 'tool_choice':
      return [fc.tuple(oddValue).map(([name]) => ({ type: 'function', function: { name } }))];
    case 'stop':
      return [fc.array(oddString, { maxLength: 6 })];
    case 'input':
    case 'tokens':
    case 'prompt':
      return [
        fc.array(fc.oneof(fc.integer(), fc.double(), oddString), { maxLength: 8 }),
        fc.array(fc.array(fc.oneof(fc.integer({ min: -5, max: 100_000 }), oddValue), { maxLength: 5 }), {
          maxLength: 4,
        }),
      ];
    case 'stream_options':
      return [fc.tuple(oddValue).map(([include_usage]) => ({ include_usage }))];
    default:
      return [];
  }
}

const fieldValue = (field: string): fc.Arbitrary<FuzzValue> => {
  const shaped = shapedValues(field);
  return shaped.length ? fc.oneof(oddValue, ...shaped) : oddValue;
};

// Header values the client can send (visible ASCII and spaces): anything else undici refuses itself.
const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 80,
});
const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/json;charset=UTF-16',
  'application/json; charset=latin1',
  'application/json, text/plain',
  'application/vnd.api+json',
  'application/jsonx',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  '*/*',
  ';',
];

/** Extra headers, each present or not. The content type, when drawn, replaces application/json. */
const randomHeaders: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    'content-type': fc.oneof(fc.constantFrom(...CONTENT_TYPES), headerText),
    traceparent: fc.oneof(
      fc.tuple(hex(32), hex(16), hex(2)).map(([t, s, f]) => `00-${t}-${s}-${f}`),
      fc.tuple(hex(2), hex(32), hex(16), hex(2)).map(([v, t, s, f]) => `${v}-${t}-${s}-${f}-extra`),
      headerText,
    ),
    tracestate: headerText,
    baggage: fc.oneof(
      headerText,
      headerText.map((v) => `kubellama.sample=${v}`),
      fc.constant('kubellama.sample=1;x=%ZZ'),
    ),
    authorization: fc.oneof(
      headerText,
      headerText.map((v) => `Bearer ${v}`),
    ),
    accept: fc.oneof(
      fc.constantFrom('text/event-stream', 'application/json', '*/*', 'image/png'),
      headerText,
    ),
    'accept-encoding': fc.oneof(fc.constantFrom('gzip', 'br', 'identity;q=0', 'deflate, *;q=0'), headerText),
    'content-encoding': fc.oneof(fc.constantFrom('gzip', 'identity', 'br'), headerText),
    'x-request-id': headerText,
    'user-agent': headerText,
  },
  { requiredKeys: [] },
);

function request(
  kind: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | undefined,
  expect: Pick<FuzzRequest, 'field' | 'unknown' | 'valid'> = {},
): FuzzRequest {
  const all = body === undefined ? headers : { 'content-type': 'application/json', ...headers };
  return {
    kind,
    method,
    path,
    headers: all,
    ...(body !== undefined ? { body } : {}),
    ...expect,
    // What fast-check prints for a counterexample: long bodies cut.
    [fc.toStringMethod]: () =>
      `${kind}: ${method} ${preview(path, 200)} ${JSON.stringify(all)} ${body === undefined ? '' : preview(body)}` +
      (expect.field ? ` (field ${expect.field})` : '') +
      (expect.unknown !== undefined ? ` (unknown ${JSON.stringify(expect.unknown)})` : ''),
  } as FuzzRequest;
}

/** Content-type headers dropped: the cases that expect a field named need the body read as JSON. */
const nonTypeHeaders = randomHeaders.map(({ 'content-type': _, 'content-encoding': __, ...rest }) => rest);

/** The base body of an endpoint with one field (top-level) set to an odd or odd-inside value. */
function oneFieldOdd(model: string): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...ENDPOINT_NAMES).chain((name) => {
    const endpoint = ENDPOINTS[name]!;
    return fc.constantFrom(...endpoint.keys).chain((field) =>
      fc.tuple(fieldValue(field), nonTypeHeaders).map(([value, headers]) => {
        const body = { ...endpoint.base(model), [field]: value };
        return request(`odd ${name}.${field}`, 'POST', endpoint.path, headers, toJson(body), { field });
      }),
    );
  });
}

/** A field the endpoint's list does not know: 400 unknown_parameter naming it. */
function unknownField(model: string): fc.Arbitrary<FuzzRequest> {
  const listed = ['chat', 'completions', 'embeddings'] as const;
  return fc.constantFrom(...listed).chain((name) => {
    const endpoint = ENDPOINTS[name]!;
    const key = fc
      .oneof(
        fc.string({ unit: 'binary', maxLength: 24 }),
        fc.constantFrom(
          'Model',
          'MESSAGES',
          'max-tokens',
          'maxTokens',
          'constructor',
          'toString',
          'hasOwnProperty',
          ' model',
          'model\u0000',
        ),
        // A field of the other endpoint: completions' prompt on chat, chat's messages on completions.
        fc.constantFrom(
          ...Object.keys(CHAT_COMPLETION_FIELDS),
          ...Object.keys(COMPLETION_FIELDS),
          ...Object.keys(EMBEDDINGS_FIELDS),
        ),
      )
      // JSON parsing refuses __proto__ itself (prototype poisoning): the raw-body cases send it.
      .filter((k) => !Object.hasOwn(endpoint.fields!, k) && k !== '__proto__');
    const value = fc.oneof(fc.constantFrom<FuzzValue>(null, 1, 'x', true, [], {}), oddString);
    return fc.tuple(key, value, nonTypeHeaders).map(([k, v, headers]) => {
      const body = toJson({ ...endpoint.base(model), [k]: v });
      return request(`unknown ${name}`, 'POST', endpoint.path, headers, body, { unknown: k });
    });
  });
}

/** Several odd fields, unknown ones among them, and random headers: only "no 5xx, OpenAI shape". */
function manyFieldsOdd(model: string): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...ENDPOINT_NAMES).chain((name) => {
    const endpoint = ENDPOINTS[name]!;
    return fc
      .tuple(
        fc.dictionary(fc.oneof(fc.constantFrom(...endpoint.keys), fc.string({ maxLength: 8 })), oddValue, {
          minKeys: 2,
          maxKeys: 6,
        }),
        randomHeaders,
      )
      .map(([odd, headers]) =>
        request(`many ${name}`, 'POST', endpoint.path, headers, toJson({ ...endpoint.base(model), ...odd })),
      );
  });
}

/** Bodies that are not the JSON object they claim to be. */
function rawBodies(model: string): fc.Arbitrary<FuzzRequest> {
  const valid = toJson(ENDPOINTS.chat!.base(model));
  const body = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.integer({ min: 1, max: valid.length - 1 }).map((n) => valid.slice(0, n)),
    fc.string({ maxLength: 20 }).map((tail) => `${valid}${tail}`),
    fc.constantFrom(
      '',
      'null',
      '[]',
      '0',
      '"x"',
      '\uFEFF{}',
      `{"model":"${model}","model":5}`,
      `{"__proto__":{"polluted":true},"model":"${model}","prompt":"hi"}`,
      `{"constructor":{"prototype":{"polluted":true}},"model":"${model}","prompt":"hi"}`,
      '{"a":1}}}}',
      '{"a":"\\ud800"}',
      '{"a":"\\u0000"}',
      '{"a":"\\x41"}',
      `{"model":"${model}","prompt":"hi","max_tokens":1e400}`,
    ),
    fc
      .tuple(fc.integer({ min: 32, max: 100_000 }), fc.constantFrom('[', '{"a":'))
      .map(([depth, open]) => open.repeat(depth)),
    fc.integer({ min: 32, max: 20_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  );
  return fc
    .tuple(fc.constantFrom(...ENDPOINT_NAMES), body, randomHeaders)
    .map(([name, text, headers]) => request(`raw ${name}`, 'POST', ENDPOINTS[name]!.path, headers, text));
}

const KNOWN_PATHS = [
  ...ENDPOINT_NAMES.map((n) => ENDPOINTS[n]!.path),
  MODELS_PATH,
  `${MODELS_PATH}/tiny`,
  LLAMA_SERVER_PATHS.health,
  LLAMA_SERVER_PATHS.props,
  RUNTIME_PATHS.health,
  RUNTIME_PATHS.ready,
  RUNTIME_PATHS.metrics,
  '/',
];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Known and random paths (odd segments, bad percent-encoding, queries) with any method. */
function randomRoutes(model: string): fc.Arbitrary<FuzzRequest> {
  const path = fc.oneof(
    fc.constantFrom(...KNOWN_PATHS),
    fc.tuple(fc.constantFrom(...KNOWN_PATHS), fc.webQueryParameters()).map(([p, q]) => `${p}?${q}`),
    fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
    fc
      .tuple(fc.constantFrom('/v1/models/', '/v1/', '/'), oddString)
      .map(([p, s]) => `${p}${encodeURIComponent(Buffer.from(s).toString()).slice(0, 1500)}`),
    fc.constantFrom(
      '/v1/%zz',
      '/v1/models/%ED%A0%80', // an encoded lone surrogate
      '/v1/models/%00',
      '/%2e%2e/%2e%2e/etc/passwd',
      '//v1//models',
      '/v1/chat/completions/',
      '/V1/MODELS',
      '/v1/models?%zz=1',
      '/metrics?name[]=x',
      `/v1/models/${'a'.repeat(2000)}`,
    ),
  );
  return fc
    .tuple(fc.constantFrom(...METHODS), path, randomHeaders, fc.option(oddValue, { nil: undefined }))
    .map(([method, p, headers, value]) => {
      const canHaveBody = method !== 'GET' && method !== 'HEAD';
      const body =
        canHaveBody && value !== undefined ? toJson({ ...ENDPOINTS.chat!.base(model), x: value }) : undefined;
      return request('route', method, p, headers, body);
    });
}

/** Valid requests with random honoured options: each must succeed (the server still serves). */
function validRequests(model: string): fc.Arbitrary<FuzzRequest> {
  const options = fc.record(
    {
      max_tokens: fc.integer({ min: 1, max: 4 }),
      temperature: fc.double({ min: 0, max: 2, noNaN: true }),
      top_p: fc.double({ min: 0, max: 1, noNaN: true }),
      seed: fc.integer(),
      stream: fc.boolean(),
      stop: fc.array(fc.string({ minLength: 1, maxLength: 5 }), { maxLength: 4 }),
    },
    { requiredKeys: ['max_tokens'] },
  );
  const content = fc.oneof(fc.constant('hi'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }));
  return fc.oneof(
    fc.tuple(content, options).map(([c, o]) =>
      request(
        'valid chat',
        'POST',
        CHAT_COMPLETIONS_PATH,
        {},
        toJson({ model, messages: [{ role: 'user', content: c }], ...o }),
        {
          valid: true,
        },
      ),
    ),
    fc.tuple(content, options).map(([c, o]) =>
      request('valid completion', 'POST', COMPLETIONS_PATH, {}, toJson({ model, prompt: c, ...o }), {
        valid: true,
      }),
    ),
    content.map((c) =>
      request('valid embeddings', 'POST', EMBEDDINGS_PATH, {}, toJson({ model, input: c }), { valid: true }),
    ),
  );
}

/** Every kind of request, weighted toward the ones with a precise expectation. */
export function fuzzRequest(model: string): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(
    { weight: 8, arbitrary: oneFieldOdd(model) },
    { weight: 3, arbitrary: unknownField(model) },
    { weight: 3, arbitrary: manyFieldsOdd(model) },
    { weight: 3, arbitrary: rawBodies(model) },
    { weight: 3, arbitrary: randomRoutes(model) },
    { weight: 2, arbitrary: validRequests(model) },
  );
}
