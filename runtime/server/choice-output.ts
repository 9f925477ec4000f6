// What one choice becomes as the engine's text streams in: plain content, or a tool call read out of
// the model's call syntax (FunctionCallParser), with the log probabilities of the content's tokens
// and their character offsets (the legacy completions' text_offset). Streamed and whole responses
// are both built from its events, so they cannot disagree.
import { randomUUID } from 'node:crypto';
import { FunctionCallParser, type FunctionCallSyntax } from '../engine/function-calls.js';
import type { FinishReason as EngineFinishReason, TokenLogprob } from '../engine/types.js';
import type { FinishReason, ToolCall } from './openai-types.js';

/** A token's log probability with its offset in the text (prompt included, as OpenAI counts). */
export interface PlacedLogprob extends TokenLogprob {
  readonly offset: number;
}

export type ChoiceEvent =
  | { readonly kind: 'content'; readonly text: string; readonly logprobs: readonly PlacedLogprob[] }
  /** The first piece of a call: id, type and name, empty arguments. */
  | { readonly kind: 'call'; readonly id: string; readonly name: string }
  | { readonly kind: 'arguments'; readonly text: string };

/** How the choice reads function calls: none, maybe (tool_choice auto), or surely (required, named). */
export interface ToolCalling {
  readonly syntax: FunctionCallSyntax;
  readonly names: readonly string[];
  readonly forced: boolean;
}

export class ChoiceOutput {
  readonly #parser: FunctionCallParser | undefined;
  #offset: number;
  #content = '';
  #logprobs: PlacedLogprob[] = [];
  #callId: string | undefined;
  /** Log probabilities of text the parser holds back, until it turns out to be content. */
  #held: TokenLogprob[] = [];

  /** `textOffset`: where the generated text starts (the prompt's length for completions). */
  constructor(tools: ToolCalling | undefined, textOffset = 0) {
    this.#parser = tools && new FunctionCallParser(tools.syntax, tools.names, tools.forced);
    this.#offset = textOffset;
  }

  /** True once a whole call was read: the generation can stop. */
  get callDone(): boolean {
    return this.#parser?.done === true;
  }

  #place(logprobs: readonly TokenLogprob[]): PlacedLogprob[] {
    return logprobs.map((entry) => {
      const placed = { ...entry, offset: this.#offset };
      this.#offset += entry.token.length;
      return placed;
    });
  }

  #addContent(text: string, logprobs: readonly TokenLogprob[]): ChoiceEvent {
    const placed = this.#place(logprobs);
    this.#content += text;
    this.#logprobs.push(...placed);
    return { kind: 'content', text, logprobs: placed };
  }

  push(delta: string, logprobs: readonly TokenLogprob[]): ChoiceEvent[] {
    if (!this.#parser) return [this.#addContent(delta, logprobs)];
    this.#held.push(...logprobs);
    return this.#events(this.#parser.push(delta));
  }

  finish(): ChoiceEvent[] {
    return this.#parser ? this.#events(this.#parser.finish()) : [];
  }

  #events(parsed: ReturnType<FunctionCallParser['push']>): ChoiceEvent[] {
    return parsed.map((event) => {
      if (event.kind === 'text') {
        const held = this.#held;
        this.#held = [];
        return this.#addContent(event.text, held);
      }
      if (event.kind === 'name') {
        this.#callId = `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
        return { kind: 'call', id: this.#callId, name: event.name };
      }
      return { kind: 'arguments', text: event.text };
    });
  }

  /** The content, null when the choice is a tool call (as OpenAI answers). */
  get content(): string | null {
    return this.toolCalls.length > 0 && this.#content === '' ? null : this.#content;
  }

  get toolCalls(): ToolCall[] {
    const call = this.#parser?.call;
    if (!call || this.#callId === undefined) return [];
    return [{ id: this.#callId, type: 'function', function: { name: call.name, arguments: call.arguments } }];
  }

  get logprobs(): readonly PlacedLogprob[] {
    return this.#logprobs;
  }

  /** OpenAI's finish_reason: `tool_calls` when a call was made and not cut short. */
  finishReason(engine: EngineFinishReason): FinishReason {
    return this.toolCalls.length > 0 && engine !== 'length' ? 'tool_calls' : engine;
  }
}
