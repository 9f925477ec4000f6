// Builds OpenAI's response objects and stream chunks for the two generation endpoints from the
// choice's events (choice-output.ts), so the generation handler does not care which one it serves.
import type { GenerationResult } from '../engine/types.js';
import type { ChoiceEvent, ChoiceOutput, PlacedLogprob } from './choice-output.js';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatLogprobs,
  Completion,
  CompletionLogprobs,
  FinishReason,
  Usage,
} from './openai-types.js';

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

/** Response identity shared by every object of one response. */
export interface ResponseIds {
  readonly id: string;
  readonly created: number;
  readonly model: string;
}

export interface ResponseFormat {
  readonly idPrefix: string;
  full(ids: ResponseIds, result: GenerationResult, choice: ChoiceOutput, withLogprobs: boolean): object;
  /** The chunk sent before any text (chat: the assistant role), if any. */
  start(ids: ResponseIds, toolCall: boolean): object | undefined;
  /** The chunk of one choice event; logprobs null unless asked for. */
  event(ids: ResponseIds, event: ChoiceEvent, withLogprobs: boolean): object;
  finish(ids: ResponseIds, reason: FinishReason): object;
  usage(ids: ResponseIds, usage: Usage): object;
}

function chatLogprobs(entries: readonly PlacedLogprob[]): ChatLogprobs {
  return {
    content: entries.map((entry) => ({
      token: entry.token,
      logprob: entry.logprob,
      bytes: [...entry.bytes],
      top_logprobs: entry.top.map((alt) => ({
        token: alt.token,
        logprob: alt.logprob,
        bytes: [...alt.bytes],
      })),
    })),
    refusal: null,
  };
}

function completionLogprobs(entries: readonly PlacedLogprob[]): CompletionLogprobs {
  return {
    tokens: entries.map((entry) => entry.token),
    token_logprobs: entries.map((entry) => entry.logprob),
    // A dict per token; two alternatives that detokenize alike keep the likelier one.
    top_logprobs: entries.map((entry) => {
      const top: Record<string, number> = {};
      for (const alt of entry.top) if (!(alt.token in top)) top[alt.token] = alt.logprob;
      return top;
    }),
    text_offset: entries.map((entry) => entry.offset),
  };
}

function chatChunk(
  ids: ResponseIds,
  delta: ChatCompletionChunk['choices'][number]['delta'],
  reason: FinishReason | null,
  logprobs: ChatLogprobs | null = null,
): ChatCompletionChunk {
  return {
    id: ids.id,
    object: 'chat.completion.chunk',
    created: ids.created,
    model: ids.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ index: 0, delta, logprobs, finish_reason: reason }],
  };
}

export const chatFormat: ResponseFormat = {
  idPrefix: 'chatcmpl-',
  full(ids, result, choice, withLogprobs): ChatCompletion {
    const toolCalls = choice.toolCalls;
    return {
      id: ids.id,
      object: 'chat.completion',
      created: ids.created,
      model: ids.model,
      system_fingerprint: SYSTEM_FINGERPRINT,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: choice.content,
            refusal: null,
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          },
          logprobs: withLogprobs ? chatLogprobs(choice.logprobs) : null,
          finish_reason: choice.finishReason(result.finishReason),
        },
      ],
      usage: usageOf(result),
    };
  },
  start: (ids, toolCall) => chatChunk(ids, { role: 'assistant', content: toolCall ? null : '' }, null),
  event(ids, event, withLogprobs) {
    switch (event.kind) {
      case 'content':
        return chatChunk(
          ids,
          { content: event.text },
          null,
          withLogprobs ? chatLogprobs(event.logprobs) : null,
        );
      case 'call':
        return chatChunk(
          ids,
          {
            tool_calls: [
              { index: 0, id: event.id, type: 'function', function: { name: event.name, arguments: '' } },
            ],
          },
          null,
        );
      case 'arguments':
        return chatChunk(ids, { tool_calls: [{ index: 0, function: { arguments: event.text } }] }, null);
    }
  },
  finish: (ids, reason) => chatChunk(ids, {}, reason),
  usage: (ids, usage): ChatCompletionChunk => ({
    id: ids.id,
    object: 'chat.completion.chunk',
    created: ids.created,
    model: ids.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [],
    usage,
  }),
};

function completion(
  ids: ResponseIds,
  text: string,
  reason: FinishReason | null,
  logprobs: CompletionLogprobs | null = null,
): Completion {
  return {
    id: ids.id,
    object: 'text_completion',
    created: ids.created,
    model: ids.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ index: 0, text, logprobs, finish_reason: reason }],
  };
}

export const completionFormat: ResponseFormat = {
  idPrefix: 'cmpl-',
  full: (ids, result, choice, withLogprobs) => ({
    ...completion(
      ids,
      choice.content ?? '',
      choice.finishReason(result.finishReason),
      withLogprobs ? completionLogprobs(choice.logprobs) : null,
    ),
    usage: usageOf(result),
  }),
  start: () => undefined,
  event: (ids, event, withLogprobs) =>
    completion(
      ids,
      event.kind === 'content' ? event.text : '',
      null,
      withLogprobs && event.kind === 'content' ? completionLogprobs(event.logprobs) : null,
    ),
  finish: (ids, reason) => completion(ids, '', reason),
  usage: (ids, usage) => ({ ...completion(ids, '', null), choices: [], usage }),
};
