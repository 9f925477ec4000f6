// Turns a request's input into prompt tokens: the model's chat template for chat messages, plain
// tokenization (with BOS where the model wants it) for text completions.
import {
  type ChatHistoryItem,
  type ChatWrapper,
  type LlamaModel,
  type LlamaText,
  resolveChatWrapper,
  type Token,
} from 'node-llama-cpp';
import type { ChatMessage, GenerationInput } from './types.js';

export interface PreparedPrompt {
  readonly tokens: Token[];
  /** Tokens besides end-of-generation that end the answer (the template's turn terminators). */
  readonly stopTokens: ReadonlySet<Token>;
  /** Template stop texts that are not single tokens. */
  readonly stopTexts: readonly string[];
}

function toHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((message) => {
    if (message.role === 'assistant') return { type: 'model', response: [message.content] };
    if (message.role === 'user') return { type: 'user', text: message.content };
    return { type: 'system', text: message.content };
  });
  // An empty model turn at the end: the template renders the assistant's opening for us to continue.
  history.push({ type: 'model', response: [] });
  return history;
}

function splitTriggers(model: LlamaModel, triggers: readonly LlamaText[]) {
  const stopTokens = new Set<Token>();
  const stopTexts: string[] = [];
  for (const trigger of triggers) {
    if (trigger.values.every((value) => typeof value === 'string')) {
      const text = trigger.toString();
      if (text.length > 0) stopTexts.push(text);
      continue;
    }
    const tokens = trigger.tokenize(model.tokenizer);
    if (tokens.length === 1) stopTokens.add(tokens[0]!);
  }
  return { stopTokens, stopTexts };
}

export class PromptBuilder {
  readonly #model: LlamaModel;
  readonly #chatWrapper: ChatWrapper;

  constructor(model: LlamaModel) {
    this.#model = model;
    this.#chatWrapper = resolveChatWrapper(model);
  }

  get chatTemplate(): string {
    return this.#chatWrapper.wrapperName;
  }

  build(input: GenerationInput): PreparedPrompt {
    if (input.kind === 'text') {
      const tokens = this.#model.tokenize(input.prompt);
      const bos = this.#model.tokens.bos;
      if (bos !== null && this.#model.tokens.shouldPrependBosToken) tokens.unshift(bos);
      return { tokens, stopTokens: new Set(), stopTexts: [] };
    }
    const state = this.#chatWrapper.generateContextState({ chatHistory: toHistory(input.messages) });
    const tokens = state.contextText.tokenize(this.#model.tokenizer);
    return { tokens, ...splitTriggers(this.#model, state.stopGenerationTriggers) };
  }
}
