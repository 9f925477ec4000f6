// Request schemas (zod) and response types of the OpenAI endpoints the runtime serves. Known fields
// are checked for type and range; which fields exist, and what the runtime does with each, is the
// one list in request-fields.ts (a field it does not list is refused, see validate.ts).
import { z } from 'zod';

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const content = z.union([z.string(), z.array(textPart)]);

/** OpenAI's rule for function and schema names. */
export const NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
const name = z.string().regex(NAME_PATTERN, 'expected 1 to 64 letters, digits, underscores or dashes');

const toolCall = z.object({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

const message = z.discriminatedUnion('role', [
  z.object({ role: z.enum(['system', 'developer', 'user']), content, name: z.string().optional() }),
  z.object({
    role: z.literal('assistant'),
    content: content.nullable().optional(),
    name: z.string().optional(),
    refusal: z.string().nullable().optional(),
    tool_calls: z.array(toolCall).nullable().optional(),
  }),
  z.object({ role: z.literal('tool'), content, tool_call_id: z.string().min(1) }),
]);

const stop = z
  .union([z.string(), z.array(z.string()).max(4)])
  .nullable()
  .optional();

/** Sampling fields both endpoints accept. */
const sampling = {
  model: z.string().min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: z
    .object({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() })
    .nullable()
    .optional(),
  max_tokens: z.int().min(1).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.int().min(1).max(1).nullable().optional(),
  stop,
  seed: z.int().nullable().optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  logit_bias: z
    .record(z.string(), z.number())
    .refine((bias) => Object.keys(bias).length === 0)
    .nullable()
    .optional(),
  user: z.string().optional(),
  // llama.cpp's own.
  top_k: z.int().min(0).nullable().optional(),
  min_p: z.number().min(0).max(1).nullable().optional(),
  repeat_penalty: z.number().min(0).max(10).nullable().optional(),
};

const functionTool = z.object({
  type: z.literal('function'),
  function: z.object({
    name,
    description: z.string().optional(),
    // Checked against what the grammar enforces (json-schema-support.ts) by the route.
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullable().optional(),
  }),
});

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) }),
]);

const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name,
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);

const absent = z.null().optional();

export const chatCompletionRequest = z.object({
  ...sampling,
  messages: z.array(message).min(1),
  max_completion_tokens: z.int().min(1).nullable().optional(),
  logprobs: z.boolean().nullable().optional(),
  top_logprobs: z.int().min(0).max(20).nullable().optional(),
  response_format: responseFormat.nullable().optional(),
  tools: z.array(functionTool).max(128).nullable().optional(),
  tool_choice: toolChoice.nullable().optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  store: z.boolean().nullable().optional(),
  service_tier: z.string().nullable().optional(),
  prompt_cache_key: z.string().nullable().optional(),
  prompt_cache_retention: z.string().nullable().optional(),
  safety_identifier: z.string().nullable().optional(),
  prediction: z.unknown().optional(),
  audio: absent,
  modalities: z.array(z.literal('text')).max(1).nullable().optional(),
  reasoning_effort: absent,
  verbosity: absent,
  web_search_options: absent,
  functions: absent,
  function_call: absent,
});

export const completionRequest = z.object({
  ...sampling,
  prompt: z.union([z.string(), z.array(z.string()).min(1).max(1)]),
  logprobs: z.int().min(0).max(5).nullable().optional(),
  echo: z.literal(false).nullable().optional(),
  suffix: absent,
  best_of: z.int().min(1).max(1).nullable().optional(),
});

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequest>;
export type CompletionRequest = z.infer<typeof completionRequest>;
export type ChatRequestMessage = ChatCompletionRequest['messages'][number];

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

export type FinishReason = 'stop' | 'length' | 'tool_calls';

export interface TopLogprob {
  token: string;
  logprob: number;
  bytes: number[];
}

/** A chat choice's logprobs: one entry per content token. */
export interface ChatLogprobs {
  content: Array<TopLogprob & { top_logprobs: TopLogprob[] }>;
  refusal: null;
}

/** The legacy completions' logprobs. */
export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: number[];
  top_logprobs: Array<Record<string, number>>;
  text_offset: number[];
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A streamed piece of a tool call: id, type and name come first, then argument fragments. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; refusal: null; tool_calls?: ToolCall[] };
    logprobs: ChatLogprobs | null;
    finish_reason: FinishReason;
  }>;
  usage: Usage;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: Array<{
    index: number;
    delta: { role?: 'assistant'; content?: string | null; tool_calls?: ToolCallDelta[] };
    logprobs: ChatLogprobs | null;
    finish_reason: FinishReason | null;
  }>;
  usage?: Usage | null;
}

export interface Completion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: Array<{
    index: number;
    text: string;
    logprobs: CompletionLogprobs | null;
    finish_reason: FinishReason | null;
  }>;
  usage?: Usage | null;
}

export interface ModelList {
  object: 'list';
  data: Array<{ id: string; object: 'model'; created: number; owned_by: string }>;
}
