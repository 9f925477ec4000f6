// Function calls in the model's own syntax: node-llama-cpp's chat wrapper says how a call is written
// (ChatML: `||call: name({"a": 1})`), the prompt renders the available functions and earlier calls
// that way, and this module (1) builds the GBNF grammar that forces one call to one of the allowed
// functions, its arguments following the function's JSON schema, and (2) reads a call back out of
// the generated text as it streams.
import type { ChatWrapper, LlamaText } from 'node-llama-cpp';

/** The literal text around a call, from ChatWrapperSettings.functions.call. */
export interface FunctionCallSyntax {
  readonly prefix: string;
  /** Other prefixes the model may write for a call (detection only). */
  readonly prefixAlternatives: readonly string[];
  paramsPrefix(name: string): string;
  suffix(name: string): string;
  /** What stands for the arguments of a function without parameters. */
  readonly emptyParams: string;
}

const text = (value: string | LlamaText) => (typeof value === 'string' ? value : value.toString());
const withName = (template: string, name: string) => template.replaceAll('{{functionName}}', name);

export function functionCallSyntax(wrapper: ChatWrapper): FunctionCallSyntax {
  const call = wrapper.settings.functions.call;
  const placeholder = call.emptyCallParamsPlaceholder;
  return {
    prefix: text(call.prefix),
    prefixAlternatives: (call.prefixAlternateMatches ?? []).map(text),
    paramsPrefix: (name) => withName(text(call.paramsPrefix), name),
    suffix: (name) => withName(text(call.suffix), name),
    emptyParams: placeholder === undefined || placeholder === '' ? '' : JSON.stringify(placeholder),
  };
}

/** A GBNF string literal. */
export function gbnfLiteral(value: string): string {
  const escaped = value.replace(/[\\"\n\r\t]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\${c}`,
  );
  return `"${escaped}"`;
}

/** The trailing newlines node-llama-cpp's JSON schema grammar appends to its root (a stop trigger). */
const JSON_SCHEMA_ROOT_TAIL = ' "\\n\\n\\n\\n" [\\n]*';

/**
 * Renames every rule of a GBNF grammar (one rule per line, as node-llama-cpp writes them) with a
 * prefix, so several grammars can live in one file. Names inside string literals and character
 * classes are left alone.
 */
export function prefixGbnfRules(gbnf: string, prefix: string): string {
  const lines = gbnf.split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
  const names = new Set(lines.map((line) => line.slice(0, line.indexOf('::=')).trim()));
  return lines
    .map((line) => {
      let out = '';
      let i = 0;
      while (i < line.length) {
        const c = line[i]!;
        if (c === '"' || c === '[') {
          const close = c === '"' ? '"' : ']';
          let j = i + 1;
          while (j < line.length && line[j] !== close) j += line[j] === '\\' ? 2 : 1;
          out += line.slice(i, j + 1);
          i = j + 1;
        } else if (/[a-zA-Z0-9_-]/.test(c)) {
          let j = i;
          while (j < line.length && /[a-zA-Z0-9_-]/.test(line[j]!)) j++;
          const word = line.slice(i, j);
          out += names.has(word) ? `${prefix}${word}` : word;
          i = j;
        } else {
          out += c;
          i++;
        }
      }
      return out;
    })
    .join('\n');
}

/** What the call grammar needs of one function: its name and its arguments' JSON schema grammar. */
export interface CallableFunction {
  readonly name: string;
  /** node-llama-cpp's GBNF for the parameters' schema (LlamaJsonSchemaGrammar.grammar); none: no parameters. */
  readonly paramsGbnf?: string;
}

/** GBNF for exactly one call, in the wrapper's syntax, to one of `functions`. */
export function functionCallGbnf(syntax: FunctionCallSyntax, functions: readonly CallableFunction[]): string {
  const rules: string[] = [];
  const alternatives = functions.map((fn, i) => {
    const head = gbnfLiteral(fn.name + syntax.paramsPrefix(fn.name));
    const tail = gbnfLiteral(syntax.suffix(fn.name));
    if (fn.paramsGbnf === undefined) return `${head} ${gbnfLiteral(syntax.emptyParams)} ${tail}`;
    const params = prefixGbnfRules(fn.paramsGbnf, `fn${i}-`);
    const root = `fn${i}-root ::=`;
    const lines = params.split('\n').map((line) => {
      if (!line.startsWith(root)) return line;
      if (!line.endsWith(JSON_SCHEMA_ROOT_TAIL))
        throw new Error('node-llama-cpp JSON schema grammar changed shape: no trailing newlines rule');
      return line.slice(0, -JSON_SCHEMA_ROOT_TAIL.length);
    });
    rules.push(...lines);
    return `${head} fn${i}-root ${tail}`;
  });
  return [`root ::= ${gbnfLiteral(syntax.prefix)} ( ${alternatives.join(' | ')} )`, ...rules].join('\n');
}

/** What a call parser reports as the text streams in. */
export type CallEvent =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'arguments'; readonly text: string };

const parses = (json: string) => {
  try {
    JSON.parse(json);
    return true;
  } catch {
    return false;
  }
};

/**
 * Reads one call out of generated text as it streams. `forced`: the grammar guarantees a call;
 * otherwise (tool_choice auto) the text is held back while it could still be the start of a call,
 * and becomes plain text as soon as it cannot, or when the call turns out malformed.
 */
export class FunctionCallParser {
  readonly #syntax: FunctionCallSyntax;
  readonly #names: readonly string[];
  readonly #forced: boolean;
  #state: 'undecided' | 'name' | 'arguments' | 'text' | 'done' = 'undecided';
  #buffer = '';
  /** Everything received while undecided, to give back as text if it is not a call. */
  #raw = '';
  #name = '';
  #arguments = '';

  constructor(syntax: FunctionCallSyntax, names: readonly string[], forced: boolean) {
    this.#syntax = syntax;
    this.#names = names;
    this.#forced = forced;
  }

  /** True once a whole call has been read (the generation can stop). */
  get done(): boolean {
    return this.#state === 'done';
  }

  /** The call read so far; undefined when the output is text. */
  get call(): { readonly name: string; readonly arguments: string } | undefined {
    if (this.#state === 'arguments' || this.#state === 'done')
      return { name: this.#name, arguments: this.#arguments === '' ? '{}' : this.#arguments };
    return undefined;
  }

  #toText(): CallEvent[] {
    this.#state = 'text';
    const all = this.#raw;
    this.#raw = '';
    this.#buffer = '';
    return all === '' ? [] : [{ kind: 'text', text: all }];
  }

  push(delta: string): CallEvent[] {
    if (this.#state === 'text') return delta === '' ? [] : [{ kind: 'text', text: delta }];
    if (this.#state === 'done') return [];
    this.#raw += delta;
    this.#buffer += delta;
    const events: CallEvent[] = [];
    if (this.#state === 'undecided') {
      const start = this.#buffer.trimStart();
      const prefixes = [this.#syntax.prefix, ...this.#syntax.prefixAlternatives];
      const found = prefixes.find((p) => start.startsWith(p));
      if (found !== undefined) {
        this.#state = 'name';
        this.#buffer = start.slice(found.length).trimStart();
      } else if (prefixes.some((p) => p.startsWith(start))) {
        return events;
      } else if (!this.#forced) {
        return this.#toText();
      }
    }
    if (this.#state === 'name') {
      // A shorter alternative prefix may have matched before the space that follows it.
      this.#buffer = this.#buffer.trimStart();
      const match = this.#names.find((n) => this.#buffer.startsWith(n + this.#syntax.paramsPrefix(n)));
      if (match === undefined) {
        const possible = this.#names.some((n) => (n + this.#syntax.paramsPrefix(n)).startsWith(this.#buffer));
        return possible || this.#forced ? events : this.#toText();
      }
      this.#state = 'arguments';
      this.#name = match;
      this.#buffer = this.#buffer.slice((match + this.#syntax.paramsPrefix(match)).length);
      events.push({ kind: 'name', name: match });
    }
    // Arguments: hold back as much as the suffix could take, emit the rest.
    const suffix = this.#syntax.suffix(this.#name);
    if (this.#buffer.endsWith(suffix)) {
      const args = this.#buffer.slice(0, this.#buffer.length - suffix.length);
      if (args.trim() === this.#syntax.emptyParams || parses(args)) {
        this.#state = 'done';
        this.#buffer = '';
        // A function without parameters gets OpenAI's empty arguments.
        const complete = args.trim() === this.#syntax.emptyParams && !parses(args) ? '{}' : args;
        const rest = complete.slice(this.#arguments.length);
        this.#arguments = complete;
        if (rest !== '') events.push({ kind: 'arguments', text: rest });
        return events;
      }
    }
    let ready = this.#buffer.slice(0, Math.max(0, this.#buffer.length - suffix.length));
    // Never split a surrogate pair between two fragments.
    if (/[\uD800-\uDBFF]$/.test(ready)) ready = ready.slice(0, -1);
    const fresh = ready.slice(this.#arguments.length);
    if (fresh !== '') {
      this.#arguments = ready;
      events.push({ kind: 'arguments', text: fresh });
    }
    return events;
  }

  /** At the end of the generation: what is still held back. */
  finish(): CallEvent[] {
    if (this.#state === 'undecided' || (this.#state === 'name' && !this.#forced)) return this.#toText();
    if (this.#state !== 'arguments') return [];
    // Cut short (max_tokens): the partial arguments, as OpenAI returns them.
    const rest = this.#buffer.slice(this.#arguments.length);
    this.#arguments = this.#buffer;
    return rest === '' ? [] : [{ kind: 'arguments', text: rest }];
  }
}
