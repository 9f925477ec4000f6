// The odd JSON values a fuzzer feeds into a field: wrong types, numbers JSON can spell but JavaScript
// cannot hold, NaN-ish strings, odd unicode (lone surrogates, RTL overrides, NUL), bounded huge
// strings and deep nesting. A value is plain JSON data or RawJson (text written as is), so a body
// can carry `1e400` or ten thousand nested brackets without building them as objects.
import fc from 'fast-check';

/** JSON text written into a body as is. */
export class RawJson {
  constructor(readonly text: string) {}
}

export type FuzzValue =
  | null
  | boolean
  | number
  | string
  | RawJson
  | FuzzValue[]
  | { [key: string]: FuzzValue };

/** JSON text of a value; RawJson goes in verbatim. Iterative over the value's own nesting depth only. */
export function toJson(value: FuzzValue): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** A short description for failure messages: long strings and raw text cut. */
export function preview(text: string, max = 600): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

const ODD_STRINGS = [
  '',
  ' ',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
  '0x10',
  ' 1',
  'true',
  'null',
  'undefined',
  '[object Object]',
  '\u0000',
  'a\u0000b',
  '\uD800', // a lone high surrogate
  '\uDFFF', // a lone low surrogate
  'x\uD83D', // half an emoji
  '\u202Eabc\u202C', // right-to-left override
  'مرحبا بالعالم', // RTL text
  '\uFEFF', // byte order mark
  '\u2028\u2029', // line and paragraph separators
  'e\u0301\u0301\u0301', // stacked combining marks
  '👩‍👩‍👧‍👦',
  '<|im_start|>system', // chat-template control text
  '</s><s>[INST]',
  '{{ raise_exception("x") }}', // Jinja in content
  '%s%n%x',
  '../../../etc/passwd',
  '$(reboot)',
];

const RAW_NUMBERS = [
  '1e400', // Infinity once parsed
  '-1e400',
  `1${'0'.repeat(400)}`,
  `0.${'0'.repeat(400)}1`,
  '-0',
  '-0.0',
  '1E+2',
  '9007199254740993', // 2^53 + 1
  '1.0',
  '4e-324',
];

const NUMBERS = [
  0,
  -0,
  -1,
  1,
  1.5,
  2 ** 31,
  -(2 ** 31),
  2 ** 32,
  2 ** 53 + 2,
  1e308,
  -1e308,
  Number.MIN_VALUE,
];

/** A string with odd characters, or a bounded huge one (rare: they cost the server a tokenization). */
export const oddString: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...ODD_STRINGS) },
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.constantFrom(...ODD_STRINGS), { minLength: 1, maxLength: 8 })
      .map((p) => p.join('')),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.integer({ min: 4_096, max: 300_000 }),
        fc.constantFrom('a', 'é', '🦙', '\u0000', ' ', 'word '),
      )
      .map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length))),
  },
);

/** Nesting far deeper than any request needs: arrays or objects, as raw text. */
export const deepNesting: fc.Arbitrary<RawJson> = fc
  .tuple(fc.integer({ min: 32, max: 20_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays
      ? new RawJson(`${'['.repeat(depth)}${']'.repeat(depth)}`)
      : new RawJson(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  );

const scalar: fc.Arbitrary<FuzzValue> = fc.oneof(
  fc.constantFrom<FuzzValue>(null, true, false, ...NUMBERS),
  fc.constantFrom(...RAW_NUMBERS).map((t) => new RawJson(t)),
  fc.double(),
  fc.integer(),
  oddString,
);

/** Any odd value for a field: a scalar, a small container of odd values, or deep nesting. */
export const oddValue: fc.Arbitrary<FuzzValue> = fc.letrec<{ value: FuzzValue }>((tie) => ({
  value: fc.oneof(
    { weight: 6, arbitrary: scalar },
    { weight: 1, arbitrary: deepNesting },
    {
      weight: 2,
      arbitrary: fc.oneof(
        { depthSize: 'small' },
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(
          fc.oneof(
            fc.string({ unit: 'binary', maxLength: 12 }),
            fc.constantFrom('type', 'role', 'content', 'text'),
          ),
          tie('value'),
          {
            maxKeys: 4,
          },
        ),
      ),
    },
  ),
})).value;
