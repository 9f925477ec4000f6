// The loaded model's tokenizer as llama-server's /tokenize, /detokenize and /props expose it: token
// ids, their pieces (raw bytes when a piece is not valid UTF-8 on its own), the special tokens and
// the chat template. Token ids from a client are checked against the vocabulary first: llama.cpp
// aborts the process on an id out of range.
import type { LlamaModel, Token } from 'node-llama-cpp';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Uint8Array): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** GPT-2's byte-level BPE alphabet: each byte is stored in the vocabulary as one printable char. */
function gpt2ByteDecoder(): Map<string, number> {
  const bytes: number[] = [];
  for (let b = 33; b <= 126; b++) bytes.push(b);
  for (let b = 161; b <= 172; b++) bytes.push(b);
  for (let b = 174; b <= 255; b++) bytes.push(b);
  const chars = [...bytes];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      chars.push(256 + extra++);
    }
  }
  return new Map(bytes.map((byte, i) => [String.fromCodePoint(chars[i]!), byte]));
}

/** SentencePiece's byte-fallback tokens: `<0xC3>`. */
const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

export interface TokenizeOptions {
  /** Add the BOS/EOS tokens the model's metadata asks for (llama-server's add_special). */
  readonly addSpecial: boolean;
  /** Read special-token text such as `<s>` as those tokens (llama-server's parse_special). */
  readonly parseSpecial: boolean;
}

export class ModelTokenizer {
  readonly #model: LlamaModel;
  #gpt2Bytes: Map<string, number> | undefined;

  constructor(model: LlamaModel) {
    this.#model = model;
  }

  #vocabulary(): readonly string[] {
    return this.#model.fileInfo.metadata.tokenizer?.ggml?.tokens ?? [];
  }

  /** Token ids run from 0 to this, exclusive. */
  get vocabularySize(): number {
    return this.#vocabulary().length;
  }

  isValidToken(token: number): boolean {
    return Number.isInteger(token) && token >= 0 && token < this.vocabularySize;
  }

  tokenize(text: string, options: TokenizeOptions): Token[] {
    const tokens = this.#model.tokenize(text, options.parseSpecial);
    if (!options.addSpecial) return tokens;
    const { bos, eos, shouldPrependBosToken, shouldAppendEosToken } = this.#model.tokens;
    return [
      ...(shouldPrependBosToken && bos !== null ? [bos] : []),
      ...tokens,
      ...(shouldAppendEosToken && eos !== null ? [eos] : []),
    ];
  }

  /** The text of the tokens, special tokens written out (as llama-server does). Ids must be valid. */
  detokenize(tokens: readonly Token[]): string {
    return this.#model.detokenize(tokens, true);
  }

  /** One token's text, or its bytes when they are not valid UTF-8 on their own (a part of a character). */
  piece(token: Token): string | number[] {
    const text = this.#model.detokenize([token], true);
    if (!text.includes('\uFFFD')) return text;
    const stored = this.#vocabulary()[token] ?? '';
    const byte = BYTE_TOKEN.exec(stored);
    if (byte) return [Number.parseInt(byte[1]!, 16)];
    if (this.#model.fileInfo.metadata.tokenizer?.ggml?.model === 'gpt2') {
      this.#gpt2Bytes ??= gpt2ByteDecoder();
      const bytes = [...stored].map((char) => this.#gpt2Bytes!.get(char));
      if (bytes.every((b): b is number => b !== undefined) && !isUtf8(Uint8Array.from(bytes))) return bytes;
    }
    return text;
  }

  get bosToken(): string | null {
    return this.#model.tokens.bosString;
  }

  get eosToken(): string | null {
    return this.#model.tokens.eosString;
  }

  /** The model's own Jinja template (GGUF `tokenizer.chat_template`), if it has one. */
  get chatTemplate(): string | undefined {
    const template = this.#model.fileInfo.metadata.tokenizer?.chat_template;
    return typeof template === 'string' ? template : undefined;
  }
}
