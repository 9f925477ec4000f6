// The grammars of output constraints (response_format, forced tool calls), built by node-llama-cpp
// and kept in a small cache: frameworks send the same schema with every request, and building a
// grammar is the one part of a constrained request that costs before the queue.
import type { Llama, LlamaGrammar } from 'node-llama-cpp';
import { type CallableFunction, type FunctionCallSyntax, functionCallGbnf } from './function-calls.js';
import type { FunctionDefinition, OutputConstraint } from './types.js';

/** Grammars kept; the least recently used goes first. */
const CACHE_SIZE = 32;

/**
 * Rules of node-llama-cpp's JSON schema grammar replaced by narrower ones, so what it allows
 * validates where clients check it:
 * - numbers: node-llama-cpp allows 16 digits and a 16-digit exponent; `1e999` is JSON.parse's
 *   Infinity and a 16-digit integer can pass 2^53. Here integers have at most 15 digits (inside
 *   ±(2^53 − 1), the range zod's `.int()` writes as minimum/maximum), exponents 2 digits.
 * - string characters: a character beyond U+FFFF counts once in JSON Schema's maxLength (code
 *   points) but twice in JavaScript's (UTF-16 units, zod's `.max()`); here it must be written as a
 *   `\uXXXX` escape pair, which the grammar counts twice too, so maxLength holds either way.
 */
const NARROWER_RULES: Record<string, string> = {
  'integer-number-rule': '"-"? ("0" | [1-9] [0-9]{0,14})',
  'fractional-number-rule': '"-"? ("0" | [1-9] [0-9]{0,14}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?',
  'string-char-rule':
    '[^"\\\\\\x7F\\x00-\\x1F\\U00010000-\\U0010FFFF] | "\\\\" ["\\\\/bfnrt] | "\\\\u" [0-9a-fA-F]{4}',
};

export function narrowJsonRules(gbnf: string): string {
  return gbnf
    .split('\n')
    .map((line) => {
      const name = line.slice(0, line.indexOf(' ::= '));
      return Object.hasOwn(NARROWER_RULES, name) ? `${name} ::= ${NARROWER_RULES[name]}` : line;
    })
    .join('\n');
}

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
      case 'json_schema': {
        const json = await this.#llama.createGrammarForJsonSchema(constraint.schema as never);
        return this.#llama.createGrammar({
          grammar: narrowJsonRules(json.grammar),
          stopGenerationTriggers: json.stopGenerationTriggers,
          trimWhitespaceSuffix: json.trimWhitespaceSuffix,
        });
      }
      case 'function_call': {
        const callable: CallableFunction[] = [];
        for (const fn of functions) {
          const paramsGbnf =
            fn.params === undefined
              ? undefined
              : narrowJsonRules((await this.#llama.createGrammarForJsonSchema(fn.params as never)).grammar);
          callable.push({ name: fn.name, paramsGbnf });
        }
        return this.#llama.createGrammar({ grammar: functionCallGbnf(this.#syntax, callable) });
      }
    }
  }
}
