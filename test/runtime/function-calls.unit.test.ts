// The call syntax of a chat wrapper: the grammar of one forced call, and reading a call back out of
// streamed text — forced (the grammar guarantees it) and auto (text until it is surely a call).
import { ChatMLChatWrapper } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import {
  type CallEvent,
  FunctionCallParser,
  functionCallGbnf,
  functionCallSyntax,
  prefixGbnfRules,
} from '../../runtime/engine/function-calls.js';

const syntax = functionCallSyntax(new ChatMLChatWrapper());
const CALL = '||call: get_weather({"city": "Paris", "note": "a) b"})';

function feed(parser: FunctionCallParser, text: string, step: number): CallEvent[] {
  const events: CallEvent[] = [];
  for (let i = 0; i < text.length; i += step) events.push(...parser.push(text.slice(i, i + step)));
  return [...events, ...parser.finish()];
}

describe('function calls in the chat wrapper syntax', () => {
  it("reads ChatML's syntax from node-llama-cpp's wrapper", () => {
    expect(syntax.prefix).toBe('||call: ');
    expect(syntax.paramsPrefix('f')).toBe('(');
    expect(syntax.suffix('f')).toBe(')');
  });

  it.each([1, 2, 5, 100])('reads a forced call streamed %i characters at a time', (step) => {
    const parser = new FunctionCallParser(syntax, ['get_weather', 'get_time'], true);
    const events = feed(parser, CALL, step);
    expect(events[0]).toEqual({ kind: 'name', name: 'get_weather' });
    const args = events.filter((e) => e.kind === 'arguments').map((e) => (e as { text: string }).text);
    // The suffix ')' inside a string is not the end; the real one is never sent.
    expect(args.join('')).toBe('{"city": "Paris", "note": "a) b"}');
    expect(parser.done).toBe(true);
    expect(parser.call).toEqual({ name: 'get_weather', arguments: '{"city": "Paris", "note": "a) b"}' });
  });

  it('auto: plain text passes through once it cannot be a call', () => {
    const parser = new FunctionCallParser(syntax, ['get_weather'], false);
    expect(
      feed(parser, '|| is or', 1)
        .map((e) => (e as { text: string }).text)
        .join(''),
    ).toBe('|| is or');
    expect(parser.call).toBeUndefined();
  });

  it('auto: a call after leading whitespace is a call; an unknown function name is text', () => {
    const call = new FunctionCallParser(syntax, ['get_weather'], false);
    feed(call, `  ${CALL}`, 3);
    expect(call.call?.name).toBe('get_weather');
    const other = new FunctionCallParser(syntax, ['get_weather'], false);
    const events = feed(other, '||call: launch({})', 4);
    expect(events.every((e) => e.kind === 'text')).toBe(true);
    expect(other.call).toBeUndefined();
  });

  it('never splits a surrogate pair across argument fragments', () => {
    const parser = new FunctionCallParser(syntax, ['f'], true);
    const events = feed(parser, '||call: f({"e": "😀😀"})', 1);
    for (const e of events) if (e.kind === 'arguments') expect(e.text).not.toMatch(/[\uD800-\uDBFF]$/);
  });

  it('a function without parameters gets {} as arguments', () => {
    const parser = new FunctionCallParser(syntax, ['now'], true);
    feed(parser, '||call: now()', 2);
    expect(parser.call).toEqual({ name: 'now', arguments: '{}' });
  });

  it('prefixes every rule name, and only rule names', () => {
    const gbnf = 'root ::= "root" item [a-z] item\nitem ::= "x"';
    expect(prefixGbnfRules(gbnf, 'p-')).toBe('p-root ::= "root" p-item [a-z] p-item\np-item ::= "x"');
  });

  it('builds one grammar for a call to any of the functions', () => {
    const params = 'root ::= "{" string "}" "\\n\\n\\n\\n" [\\n]*\nstring ::= "\\"" [a-z]* "\\""';
    const gbnf = functionCallGbnf(syntax, [{ name: 'a', paramsGbnf: params }, { name: 'b' }]);
    expect(gbnf.split('\n')[0]).toBe('root ::= "||call: " ( "a(" fn0-root ")" | "b(" "" ")" )');
    expect(gbnf).toContain('fn0-root ::= "{" fn0-string "}"\n');
    expect(gbnf).not.toContain('[\\n]*');
  });
});
