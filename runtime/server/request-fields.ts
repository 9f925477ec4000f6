// The one list of the request fields the generation endpoints know, and what the runtime does with
// each (decided field by field against the OpenAI API reference):
// - honoured: it changes the generation as OpenAI documents;
// - ignored: accepted and dropped, because ignoring it cannot change the result (bookkeeping, routing);
// - default-only: accepted only with OpenAI's default value (null, absent, or the value named in the
//   note); any other value is refused with 400 `unsupported_value` naming the field.
// A field not listed is refused with 400 `unknown_parameter`. runtime/README.md shows this list;
// test/runtime/request-fields.unit.test.ts keeps it and the request schemas (openai-types.ts) equal.

export type FieldUse = 'honoured' | 'ignored' | 'default-only';

export interface FieldRule {
  readonly use: FieldUse;
  /** What the runtime does with it, or why it is refused. */
  readonly note: string;
}

const honoured = (note: string): FieldRule => ({ use: 'honoured', note });
const ignored = (note: string): FieldRule => ({ use: 'ignored', note });
const defaultOnly = (note: string): FieldRule => ({ use: 'default-only', note });

/** Fields both generation endpoints share. */
const COMMON: Record<string, FieldRule> = {
  model: honoured('must name the served model (its alias)'),
  stream: honoured('server-sent events'),
  stream_options: honoured(
    'include_usage (a last chunk with usage); include_obfuscation is accepted and ignored',
  ),
  max_tokens: honoured('generation stops at this many tokens (finish_reason length)'),
  temperature: honoured('0 is greedy'),
  top_p: honoured('nucleus sampling'),
  n: defaultOnly("only 'n': 1 (one choice per request)"),
  stop: honoured('up to 4 strings; the text ends before the first'),
  seed: honoured('seeds the sampler'),
  presence_penalty: honoured("llama.cpp's presence penalty over the last 64 tokens"),
  frequency_penalty: honoured("llama.cpp's frequency penalty over the last 64 tokens"),
  logit_bias: defaultOnly('not implemented: only {} or null'),
  user: ignored('an end-user id for abuse monitoring; no effect on the result'),
  top_k: honoured("llama.cpp's, not OpenAI's"),
  min_p: honoured("llama.cpp's, not OpenAI's"),
  repeat_penalty: honoured("llama.cpp's, not OpenAI's"),
};

export const CHAT_COMPLETION_FIELDS: Readonly<Record<string, FieldRule>> = {
  ...COMMON,
  messages: honoured(
    'system, developer, user, assistant (with tool_calls) and tool messages; text parts only',
  ),
  max_completion_tokens: honoured('wins over max_tokens'),
  logprobs: honoured('per token of the content (not of tool calls)'),
  top_logprobs: honoured('0 to 20 alternatives per token; needs logprobs: true'),
  response_format: honoured('text, json_object, json_schema: enforced by a grammar'),
  tools: honoured("function tools, rendered by the model's chat wrapper"),
  tool_choice: honoured('none, auto, required, or one named function (grammar-forced)'),
  parallel_tool_calls: honoured(
    'accepted either way: the runtime makes at most one call per turn, which both allow',
  ),
  metadata: ignored('stored-completion tags; no effect on the result'),
  store: ignored('nothing is stored; no effect on the result'),
  service_tier: ignored('one tier; it changes latency, never the result'),
  prompt_cache_key: ignored('a routing hint; prefix caching is automatic'),
  prompt_cache_retention: ignored('a cache-lifetime hint; no effect on the result'),
  safety_identifier: ignored('an end-user id for abuse monitoring; no effect on the result'),
  prediction: ignored('predicted outputs only speed up; the result is the same'),
  audio: defaultOnly('text output only: null'),
  modalities: defaultOnly('text output only: ["text"] or null'),
  reasoning_effort: defaultOnly('not a reasoning model control here: null'),
  verbosity: defaultOnly('not implemented: null'),
  web_search_options: defaultOnly('no web search: null'),
  functions: defaultOnly("deprecated by OpenAI: use 'tools'"),
  function_call: defaultOnly("deprecated by OpenAI: use 'tool_choice'"),
};

export const COMPLETION_FIELDS: Readonly<Record<string, FieldRule>> = {
  ...COMMON,
  prompt: honoured('a string, or an array of one string'),
  logprobs: honoured('0 to 5 alternatives per token (tokens, token_logprobs, top_logprobs, text_offset)'),
  echo: defaultOnly('not implemented: false'),
  suffix: defaultOnly('not implemented: null'),
  best_of: defaultOnly('only 1'),
};

/** Throws 400 unknown_parameter for the first top-level field the endpoint does not know. */
export function unknownField(body: object, fields: Readonly<Record<string, FieldRule>>): string | undefined {
  return Object.keys(body).find((key) => !Object.hasOwn(fields, key));
}
