// The tiny test model: a 2-layer llama with random weights and a byte-fallback tokenizer.
// It says nothing sensible, but llama.cpp loads and runs it like any llama model, in well under a
// second and under 1 MB, so tests can exercise the real inference path without downloading weights.
// The bytes are a pure function of this file (seeded PRNG, no clock), so its sha256 is stable.
import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { encodeGguf, type GgufTensor, type GgufValue, gguf } from './gguf-writer.js';
import { mulberry32, uniformFloats } from './prng.js';
import { buildTinyVocab, CHAT_TEMPLATE, type TinyVocab } from './tiny-vocab.js';

export const TINY_MODEL_NAME = 'kubellama-tiny';

/**
 * Sampling for a test that needs the tiny model to answer something: greedy, so the same prompt gets
 * the same answer. At the default temperature its random weights answered nothing once in CI (an
 * end-of-turn or only whitespace sampled; which, not known).
 */
export const GREEDY = { temperature: 0 } as const;

/** Hyperparameters, named after the llama.* metadata keys they become. */
export const TINY_LLAMA = {
  contextLength: 2048,
  embeddingLength: 64,
  blockCount: 2,
  feedForwardLength: 128,
  headCount: 4,
  headCountKv: 4,
  layerNormRmsEpsilon: 1e-5,
  ropeFreqBase: 10_000,
  /** Any fixed value will do; changing it changes every weight and so the file's sha256. */
  seed: 0x6b75_626c,
} as const;

/** llama.cpp's LLAMA_FTYPE_ALL_F32: every tensor is F32. */
const FILE_TYPE_ALL_F32 = 0;

function metadata(vocab: TinyVocab): Array<[string, GgufValue]> {
  const h = TINY_LLAMA;
  return [
    ['general.architecture', gguf.str('llama')],
    ['general.type', gguf.str('model')],
    ['general.name', gguf.str(TINY_MODEL_NAME)],
    ['general.alignment', gguf.u32(32)],
    ['general.file_type', gguf.u32(FILE_TYPE_ALL_F32)],
    ['llama.vocab_size', gguf.u32(vocab.tokens.length)],
    ['llama.context_length', gguf.u32(h.contextLength)],
    ['llama.embedding_length', gguf.u32(h.embeddingLength)],
    ['llama.block_count', gguf.u32(h.blockCount)],
    ['llama.feed_forward_length', gguf.u32(h.feedForwardLength)],
    ['llama.attention.head_count', gguf.u32(h.headCount)],
    ['llama.attention.head_count_kv', gguf.u32(h.headCountKv)],
    ['llama.attention.layer_norm_rms_epsilon', gguf.f32(h.layerNormRmsEpsilon)],
    // llama's graph rotates the whole head (it asserts n_rot == head size).
    ['llama.rope.dimension_count', gguf.u32(h.embeddingLength / h.headCount)],
    ['llama.rope.freq_base', gguf.f32(h.ropeFreqBase)],
    ['tokenizer.ggml.model', gguf.str('llama')],
    ['tokenizer.ggml.tokens', gguf.strs(vocab.tokens)],
    ['tokenizer.ggml.scores', gguf.f32s(vocab.scores)],
    ['tokenizer.ggml.token_type', gguf.i32s(vocab.tokenTypes)],
    ['tokenizer.ggml.bos_token_id', gguf.u32(vocab.bosId)],
    ['tokenizer.ggml.eos_token_id', gguf.u32(vocab.eosId)],
    ['tokenizer.ggml.eot_token_id', gguf.u32(vocab.eotId)],
    ['tokenizer.ggml.unknown_token_id', gguf.u32(vocab.unkId)],
    ['tokenizer.ggml.add_bos_token', gguf.bool(true)],
    ['tokenizer.ggml.add_eos_token', gguf.bool(false)],
    ['tokenizer.ggml.add_space_prefix', gguf.bool(false)],
    ['tokenizer.chat_template', gguf.str(CHAT_TEMPLATE)],
  ];
}

/** The tensors llama.cpp's llama loader requires, in ggml dims order ([inputs, outputs] for a matrix). */
function tensors(vocabSize: number): GgufTensor[] {
  const h = TINY_LLAMA;
  const embd = h.embeddingLength;
  const ff = h.feedForwardLength;
  const kvDim = (embd / h.headCount) * h.headCountKv;
  const next = mulberry32(h.seed);

  // Matrices get uniform weights scaled by 1/sqrt(inputs), so activations stay near unit size;
  // RMS-norm weights are 1, as in a freshly initialised llama.
  const matrix = (name: string, inputs: number, outputs: number): GgufTensor => ({
    name,
    dims: [inputs, outputs],
    type: 'f32',
    data: uniformFloats(next, inputs * outputs, 1 / Math.sqrt(inputs)),
  });
  const norm = (name: string): GgufTensor => ({
    name,
    dims: [embd],
    type: 'f32',
    data: new Float32Array(embd).fill(1),
  });

  const out = [matrix('token_embd.weight', embd, vocabSize)];
  for (let i = 0; i < h.blockCount; i++) {
    out.push(
      norm(`blk.${i}.attn_norm.weight`),
      matrix(`blk.${i}.attn_q.weight`, embd, embd),
      matrix(`blk.${i}.attn_k.weight`, embd, kvDim),
      matrix(`blk.${i}.attn_v.weight`, embd, kvDim),
      matrix(`blk.${i}.attn_output.weight`, embd, embd),
      norm(`blk.${i}.ffn_norm.weight`),
      matrix(`blk.${i}.ffn_gate.weight`, embd, ff),
      matrix(`blk.${i}.ffn_up.weight`, embd, ff),
      matrix(`blk.${i}.ffn_down.weight`, ff, embd),
    );
  }
  out.push(norm('output_norm.weight'), matrix('output.weight', embd, vocabSize));
  return out;
}

/** The complete GGUF file, identical on every call. */
export function tinyModelBytes(): Buffer {
  const vocab = buildTinyVocab();
  return encodeGguf({ metadata: metadata(vocab), tensors: tensors(vocab.tokens.length) });
}

export interface WrittenModel {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * Writes the model to `path` (creating its folder). It goes to a temporary file first and is
 * renamed into place, so a reader never sees half a model.
 */
export async function writeTinyModel(path: string): Promise<WrittenModel> {
  const bytes = tinyModelBytes();
  await mkdir(dirname(path), { recursive: true });
  const partial = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  try {
    await writeFile(partial, bytes);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return { path, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}
