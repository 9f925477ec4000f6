// Turns a request's input into prompt tokens: the model's chat template for chat messages, plain
// tokenization (with BOS where the model wants it) for text completions.
import {
  type ChatHistoryItem,
  type ChatModelFunctions,
  type ChatWrapper,
  type LlamaModel,
  type LlamaText,
  resolveChatWrapper,
  type Token,
} from 'node-llama-cpp';
import { type FunctionCallSyntax, functionCallSyntax } from './function-calls.js';
import type { ChatMessage, FunctionDefinition, GenerationInput } from './types.js';

export interface PreparedPrompt {
  readonly tokens: Token[];
  /** Tokens besides end-of-generation that end the answer (the template's turn terminators). */
  readonly stopTokens: ReadonlySet<Token>;
  /** Template stop texts that are not single tokens. */
  readonly stopTexts: readonly string[];
}

function toHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((message) => {
    if (message.role === 'assistant') {
      const calls = (message.functionCalls ?? []).map((call) => ({
        type: 'functionCall' as const,
        name: call.name,
        params: call.params,
        result: call.result,
      }));
      return { type: 'model', response: message.content === '' ? calls : [message.content, ...calls] };
    }
    if (message.role === 'user') return { type: 'user', text: message.content };
    return { type: 'system', text: message.content };
  });
  // The answer continues the last model turn when it ended in function calls (the wrapper renders
  // their results inside it, as node-llama-cpp's LlamaChat does); else an empty model turn at the
  // end: the template renders the assistant's opening for us to continue.
  const last = messages.at(-1);
  if (!(last?.role === 'assistant' && (last.functionCalls?.length ?? 0) > 0))
    history.push({ type: 'model', response: [] });
  return history;
}

function toFunctions(functions: readonly FunctionDefinition[] | undefined): ChatModelFunctions | undefined {
  if (functions === undefined || functions.length === 0) return undefined;
  return Object.fromEntries(
    functions.map((fn) => [fn.name, { description: fn.description, params: fn.params }]),
  );
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

  /** How the model's chat wrapper writes a function call. */
  get functionCallSyntax(): FunctionCallSyntax {
    return functionCallSyntax(this.#chatWrapper);
  }

  build(input: GenerationInput): PreparedPrompt {
    if (input.kind === 'text') {
      const tokens = this.#model.tokenize(input.prompt);
      const bos = this.#model.tokens.bos;
      if (bos !== null && this.#model.tokens.shouldPrependBosToken) tokens.unshift(bos);
      return { tokens, stopTokens: new Set(), stopTexts: [] };
    }
    const state = this.#chatWrapper.generateContextState({
      chatHistory: toHistory(input.messages),
      availableFunctions: toFunctions(input.functions),
      documentFunctionParams: true,
    });
    const tokens = state.contextText.tokenize(this.#model.tokenizer);
    return { tokens, ...splitTriggers(this.#model, state.stopGenerationTriggers) };
  }
}
