// Builds OpenAI's response objects and stream chunks for the two generation endpoints, so the
// generation handler does not care which one it serves.
import type { FinishReason, GenerationResult } from '../engine/types.js';
import type { ChatCompletion, ChatCompletionChunk, Completion, Usage } from './openai-types.js';

/** OpenAI's field; one value per build of the runtime and model. */
export const SYSTEM_FINGERPRINT = 'kubellama-llama.cpp';

export function usageOf(result: GenerationResult): Usage {
  return {
    prompt_tokens: result.promptTokens,
    completion_tokens: result.completionTokens,
    total_tokens: result.promptTokens + result.completionTokens,
    prompt_tokens_details: { cached_tokens: result.cachedTokens },
  };
}

export interface ResponseFormat {
  readonly idPrefix: string;
  full(id: string, created: number, model: string, result: GenerationResult): object;
  /** The chunk sent before any text (chat: the assistant role), if any. */
  start(id: string, created: number, model: string): object | undefined;
  text(id: string, created: number, model: string, delta: string): object;
  finish(id: string, created: number, model: string, reason: FinishReason): object;
  usage(id: string, created: number, model: string, usage: Usage): object;
}

export const chatFormat: ResponseFormat = {
  idPrefix: 'chatcmpl-',
  full(id, created, model, result): ChatCompletion {
    return {
      id,
      object: 'chat.completion',
      created,
      model,
      system_fingerprint: SYSTEM_FINGERPRINT,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: result.text, refusal: null },
          logprobs: null,
          finish_reason: result.finishReason,
        },
      ],
      usage: usageOf(result),
    };
  },
  start: (id, created, model) => chatChunk(id, created, model, { role: 'assistant', content: '' }, null),
  text: (id, created, model, delta) => chatChunk(id, created, model, { content: delta }, null),
  finish: (id, created, model, reason) => chatChunk(id, created, model, {}, reason),
  usage: (id, created, model, usage): ChatCompletionChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [],
    usage,
  }),
};

function chatChunk(
  id: string,
  created: number,
  model: string,
  delta: ChatCompletionChunk['choices'][number]['delta'],
  reason: FinishReason | null,
): ChatCompletionChunk {
  return {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: reason }],
  };
}

function completion(
  id: string,
  created: number,
  model: string,
  text: string,
  reason: FinishReason | null,
): Completion {
  return {
    id,
    object: 'text_completion',
    created,
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ index: 0, text, logprobs: null, finish_reason: reason }],
  };
}

export const completionFormat: ResponseFormat = {
  idPrefix: 'cmpl-',
  full: (id, created, model, result) => ({
    ...completion(id, created, model, result.text, result.finishReason),
    usage: usageOf(result),
  }),
  start: () => undefined,
  text: (id, created, model, delta) => completion(id, created, model, delta, null),
  finish: (id, created, model, reason) => completion(id, created, model, '', reason),
  usage: (id, created, model, usage) => ({ ...completion(id, created, model, '', null), choices: [], usage }),
};
