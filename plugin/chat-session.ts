// A chat with a model's OpenAI API (the `openai` client, streaming): each answer printed as it
// comes, then the request's trace id (the runtime's traceresponse header) and, when a Jaeger is
// known, a link to the trace. One prompt; or one request per line when stdin is not a terminal; or
// an interactive conversation (history kept) on a terminal.
import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { TRACERESPONSE_HEADER } from '../charts/runtime-contract.js';
import { traceIdOf } from '../lib/trace-response.js';
import { PluginError } from './errors.js';

export interface ChatSessionOptions {
  /** The model's OpenAI base URL (`…/v1`). */
  readonly baseURL: string;
  /** The name requests carry in `model` (a LlamaModel's name). */
  readonly model: string;
  /** Ask this one question and return. */
  readonly prompt?: string;
  readonly input: Readable & { readonly isTTY?: boolean };
  readonly output: Writable;
  /** The Jaeger UI link of a trace, when a Jaeger is known. */
  readonly traceLink?: (traceId: string) => string;
  /** @default 512 */
  readonly maxTokens?: number;
  /** Sampling; unset: the runtime's defaults. */
  readonly temperature?: number;
  readonly seed?: number;
}

export interface ChatTurn {
  readonly answer: string;
  readonly traceId: string;
}

function failure(error: unknown): PluginError {
  if (error instanceof OpenAI.APIError && error.status !== undefined) {
    return new PluginError(`the model answered ${error.status}: ${error.message}`);
  }
  const message =
    error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
  return new PluginError(`the chat request failed: ${message}`);
}

/** One streamed completion of `messages`, written to `output` as it arrives. */
export async function streamAnswer(
  client: OpenAI,
  options: ChatSessionOptions,
  messages: ChatCompletionMessageParam[],
): Promise<ChatTurn> {
  try {
    const { data: stream, response } = await client.chat.completions
      .create({
        model: options.model,
        messages,
        stream: true,
        max_tokens: options.maxTokens ?? 512,
        ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      })
      .withResponse();
    const traceId = traceIdOf(response.headers.get(TRACERESPONSE_HEADER));
    let answer = '';
    for await (const chunk of stream) {
      const text = chunk.choices[0]?.delta?.content ?? '';
      answer += text;
      options.output.write(text);
    }
    const link = options.traceLink?.(traceId);
    options.output.write(`\ntrace ${traceId}${link ? `  ${link}` : ''}\n`);
    return { answer, traceId };
  } catch (error) {
    throw error instanceof PluginError ? error : failure(error);
  }
}

export async function chatSession(options: ChatSessionOptions): Promise<ChatTurn[]> {
  // The runtime needs no key unless one is configured; the client insists on some string.
  const client = new OpenAI({ baseURL: options.baseURL, apiKey: 'unused', maxRetries: 1, timeout: 300_000 });
  const turns: ChatTurn[] = [];
  if (options.prompt !== undefined) {
    turns.push(await streamAnswer(client, options, [{ role: 'user', content: options.prompt }]));
    return turns;
  }
  const interactive = options.input.isTTY === true;
  const lines = createInterface({ input: options.input, output: options.output, terminal: interactive });
  const history: ChatCompletionMessageParam[] = [];
  try {
    if (interactive) {
      options.output.write(`chatting with ${options.model} (Ctrl-D or /exit to leave)\n`);
      lines.setPrompt('> ');
      lines.prompt();
    }
    for await (const line of lines) {
      const text = line.trim();
      if (interactive && text === '/exit') break;
      if (text) {
        // On a terminal a conversation (history kept); from a pipe, each line on its own.
        const messages: ChatCompletionMessageParam[] = interactive
          ? [...history, { role: 'user', content: text }]
          : [{ role: 'user', content: text }];
        const turn = await streamAnswer(client, options, messages);
        turns.push(turn);
        if (interactive)
          history.push({ role: 'user', content: text }, { role: 'assistant', content: turn.answer });
      }
      if (interactive) lines.prompt();
    }
  } finally {
    lines.close();
  }
  return turns;
}
