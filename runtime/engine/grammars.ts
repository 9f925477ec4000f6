// The grammars of output constraints (response_format, forced tool calls), built by node-llama-cpp
// and kept in a small cache: frameworks send the same schema with every request, and building a
// grammar is the one part of a constrained request that costs before the queue.
import type { Llama, LlamaGrammar } from 'node-llama-cpp';
import { type CallableFunction, type FunctionCallSyntax, functionCallGbnf } from './function-calls.js';
import type { FunctionDefinition, OutputConstraint } from './types.js';

/** Grammars kept; the least recently used goes first. */
const CACHE_SIZE = 32;

export interface BuiltGrammar {
  readonly grammar: LlamaGrammar;
  readonly buildSeconds: number;
  readonly cached: boolean;
}

export class GrammarCache {
  readonly #llama: Llama;
  readonly #syntax: FunctionCallSyntax;
  readonly #cache = new Map<string, Promise<LlamaGrammar>>();

  constructor(llama: Llama, syntax: FunctionCallSyntax) {
    this.#llama = llama;
    this.#syntax = syntax;
  }

  async get(
    constraint: OutputConstraint,
    functions: readonly FunctionDefinition[] = [],
  ): Promise<BuiltGrammar> {
    const started = performance.now();
    const chosen =
      constraint.kind === 'function_call'
        ? constraint.functions.map((name) => functions.find((fn) => fn.name === name)!)
        : [];
    const key = JSON.stringify(constraint.kind === 'function_call' ? [constraint.kind, chosen] : constraint);
    let grammar = this.#cache.get(key);
    const cached = grammar !== undefined;
    if (grammar === undefined) {
      grammar = this.#build(constraint, chosen);
      this.#cache.set(key, grammar);
      grammar.catch(() => this.#cache.delete(key));
      if (this.#cache.size > CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
    } else {
      // Most recently used last.
      this.#cache.delete(key);
      this.#cache.set(key, grammar);
    }
    const built = await grammar;
    return { grammar: built, buildSeconds: (performance.now() - started) / 1000, cached };
  }

  async #build(
    constraint: OutputConstraint,
    functions: readonly FunctionDefinition[],
  ): Promise<LlamaGrammar> {
    switch (constraint.kind) {
      case 'json':
        return this.#llama.getGrammarFor('json');
      case 'json_schema':
        return this.#llama.createGrammarForJsonSchema(constraint.schema as never);
      case 'function_call': {
        const callable: CallableFunction[] = [];
        for (const fn of functions) {
          const paramsGbnf =
            fn.params === undefined
              ? undefined
              : (await this.#llama.createGrammarForJsonSchema(fn.params as never)).grammar;
          callable.push({ name: fn.name, paramsGbnf });
        }
        return this.#llama.createGrammar({ grammar: functionCallGbnf(this.#syntax, callable) });
      }
    }
  }
}
