// The tiny model's tokenizer: a SentencePiece-style ("llama") vocabulary that llama.cpp's SPM
// tokenizer can encode any text with, and decode back to the same bytes.
//
// Why this shape:
// - A token for U+2581 (the SentencePiece space), one per printable ASCII character, and a few
//   common English pieces keep ordinary text short; every other byte (newline, tab, any UTF-8)
//   falls back to the 256 byte tokens <0x00>..<0xFF>, so nothing is ever <unk>.
// - `add_space_prefix` is off, so detokenize(tokenize(text)) === text with no leading-space
//   heuristics in between.
// - <s>, </s> and the ChatML markers are control tokens. llama.cpp recognises </s> and <|im_end|>
//   by their text as end-of-generation tokens; declaring them (and their types) here keeps it from
//   warning that it had to guess or to override a token's type.

/** llama.cpp's token types (LLAMA_TOKEN_TYPE_*), as stored in `tokenizer.ggml.token_type`. */
export const TokenType = {
  normal: 1,
  unknown: 2,
  control: 3,
  byte: 6,
} as const;

/** The SentencePiece meta symbol that stands for a space. */
export const SPACE_PIECE = '\u2581';

/**
 * Multi-character pieces, most preferred first. SPM merges two adjacent pieces only when their
 * concatenation is in the vocabulary, so each piece must split into two earlier tokens
 * (checked in buildTinyVocab).
 */
const MERGED_PIECES = [
  `${SPACE_PIECE}t`,
  `${SPACE_PIECE}a`,
  'th',
  'he',
  'in',
  'er',
  'an',
  're',
  'on',
  'at',
  'en',
  'nd',
  'es',
  'or',
  'is',
  'll',
  'ou',
  `${SPACE_PIECE}th`,
  `${SPACE_PIECE}the`,
  `${SPACE_PIECE}s`,
  `${SPACE_PIECE}w`,
  `${SPACE_PIECE}o`,
  `${SPACE_PIECE}i`,
  `${SPACE_PIECE}of`,
  `${SPACE_PIECE}to`,
  `${SPACE_PIECE}in`,
  `${SPACE_PIECE}and`,
  `${SPACE_PIECE}is`,
  'ing',
  'ed',
  'He',
  'Hel',
  'Hell',
  'Hello',
];

export interface TinyVocab {
  readonly tokens: readonly string[];
  readonly scores: readonly number[];
  readonly tokenTypes: readonly number[];
  readonly unkId: number;
  readonly bosId: number;
  readonly eosId: number;
  /** `<|im_end|>`: ends an assistant turn in the chat template. */
  readonly eotId: number;
}

export const IM_START = '<|im_start|>';
export const IM_END = '<|im_end|>';

/** ChatML, which node-llama-cpp recognises; ends with an open assistant turn when asked to. */
export const CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export function buildTinyVocab(): TinyVocab {
  const tokens: string[] = [];
  const scores: number[] = [];
  const tokenTypes: number[] = [];
  const add = (text: string, type: number, score: number): number => {
    tokens.push(text);
    tokenTypes.push(type);
    scores.push(score);
    return tokens.length - 1;
  };

  // The llama layout: <unk>, <s>, </s>, then the byte tokens, as SentencePiece exports it.
  const unkId = add('<unk>', TokenType.unknown, 0);
  const bosId = add('<s>', TokenType.control, 0);
  const eosId = add('</s>', TokenType.control, 0);
  for (let byte = 0; byte < 256; byte++) {
    add(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`, TokenType.byte, 0);
  }
  add(IM_START, TokenType.control, 0);
  const eotId = add(IM_END, TokenType.control, 0);

  // Single characters: their scores never decide anything (SPM only scores merges), but keep them
  // below every merge, as SentencePiece does.
  add(SPACE_PIECE, TokenType.normal, -1000);
  for (let code = 0x21; code <= 0x7e; code++) add(String.fromCharCode(code), TokenType.normal, -1000);

  const known = new Set(tokens);
  MERGED_PIECES.forEach((piece, rank) => {
    const chars = [...piece];
    const splits = chars
      .slice(1)
      .map((_, i) => [chars.slice(0, i + 1).join(''), chars.slice(i + 1).join('')]);
    if (known.has(piece)) throw new Error(`duplicate vocabulary piece '${piece}'`);
    if (!splits.some(([left, right]) => known.has(left!) && known.has(right!))) {
      throw new Error(`piece '${piece}' cannot be merged from two earlier tokens`);
    }
    // Higher score wins when SPM picks which adjacent pair to merge next.
    add(piece, TokenType.normal, -(rank + 1));
    known.add(piece);
  });

  return { tokens, scores, tokenTypes, unkId, bosId, eosId, eotId };
}
