// Smoke test of the generated tiny model against the real thing: node-llama-cpp's GGUF reader and
// llama.cpp itself (its prebuilt CPU binary), so a model that only our own writer understands
// cannot pass.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  getLlama,
  type Llama,
  LlamaChatSession,
  LlamaCompletion,
  LlamaLogLevel,
  type LlamaModel,
  readGgufFileInfo,
} from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import {
  TINY_LLAMA,
  TINY_MODEL_NAME,
  tinyModelBytes,
  writeTinyModel,
} from '../tools/tiny-model/tiny-llama.js';
import { buildTinyVocab, IM_END } from '../tools/tiny-model/tiny-vocab.js';

/**
 * The generator is meant to give these exact bytes on any machine and Node version. Update this
 * only when changing the model on purpose (and say so in the commit).
 */
const EXPECTED_SHA256 = 'ed8c297157795903eb74ce6ac120a1e01eb856c2610fa1f69c697f6fff348726';
const MAX_BYTES = 2 * 1024 * 1024;
/** This machine class has two cores; one thread keeps the test from fighting the rest of the suite. */
const THREADS = 1;

const ROUND_TRIP_TEXTS = [
  'Hello, world!',
  'the quick brown fox jumps over the lazy dog',
  '0123456789 +-*/ = 42.0e-3',
  ` !"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`,
  '  two leading spaces, two trailing  ',
  'line one\nline two\r\n\tindented\n\n',
  'looks special but is text: <s> </s> <unk> <|im_start|> <|im_end|>',
  'x',
];

describe('tiny GGUF model', () => {
  let dir: string;
  let modelPath: string;
  let llama: Llama;
  let model: LlamaModel;
  const logs: Array<{ level: LlamaLogLevel; message: string }> = [];
  let consoleWarn: MockInstance;
  let consoleError: MockInstance;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubellama-tiny-model-'));
    modelPath = join(dir, 'tiny.gguf');
    // node-llama-cpp reports some problems of its own through the console rather than the logger.
    consoleWarn = vi.spyOn(console, 'warn');
    consoleError = vi.spyOn(console, 'error');
  });

  afterAll(async () => {
    await llama?.dispose();
    consoleWarn?.mockRestore();
    consoleError?.mockRestore();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes the same small file on every run', async () => {
    const written = await writeTinyModel(modelPath);
    const onDisk = await readFile(modelPath);

    expect(onDisk.equals(tinyModelBytes())).toBe(true);
    expect(written.bytes).toBe(onDisk.length);
    expect((await stat(modelPath)).size).toBeLessThan(MAX_BYTES);
    expect(written.sha256).toBe(createHash('sha256').update(onDisk).digest('hex'));
    expect(written.sha256).toBe(EXPECTED_SHA256);
  });

  it('reads back with node-llama-cpp as a llama model', async () => {
    const info = await readGgufFileInfo(modelPath, { logWarnings: false });
    const vocab = buildTinyVocab();
    const arch = info.architectureMetadata;

    expect(info.version).toBe(3);
    expect(info.metadata.general.architecture).toBe('llama');
    expect(info.metadata.general.name).toBe(TINY_MODEL_NAME);
    expect(Number(info.metadata.general.alignment)).toBe(32);
    expect(arch.context_length).toBe(TINY_LLAMA.contextLength);
    expect(arch.embedding_length).toBe(TINY_LLAMA.embeddingLength);
    expect(arch.block_count).toBe(TINY_LLAMA.blockCount);
    expect(arch.feed_forward_length).toBe(TINY_LLAMA.feedForwardLength);
    expect(arch.attention?.head_count).toBe(TINY_LLAMA.headCount);
    expect(arch.attention?.head_count_kv).toBe(TINY_LLAMA.headCountKv);
    expect(arch.attention?.layer_norm_rms_epsilon).toBeCloseTo(TINY_LLAMA.layerNormRmsEpsilon, 10);
    expect(arch.rope?.dimension_count).toBe(TINY_LLAMA.embeddingLength / TINY_LLAMA.headCount);
    expect(arch.vocab_size).toBe(vocab.tokens.length);

    const tokenizer = info.metadata.tokenizer;
    expect(tokenizer.ggml.model).toBe('llama');
    expect(tokenizer.ggml.tokens).toEqual(vocab.tokens);
    expect(tokenizer.ggml.token_type).toEqual(vocab.tokenTypes);
    expect(tokenizer.ggml.eot_token_id).toBe(vocab.tokens.indexOf(IM_END));
    expect(tokenizer.chat_template).toContain('<|im_start|>');

    // token_embd, output_norm, output, and nine tensors per block.
    expect(Number(info.tensorCount)).toBe(3 + 9 * TINY_LLAMA.blockCount);
    const tensors = info.tensorInfo ?? [];
    const byName = new Map(tensors.map((t) => [t.name, t]));
    expect(byName.get('token_embd.weight')?.dimensions.map(Number)).toEqual([
      TINY_LLAMA.embeddingLength,
      vocab.tokens.length,
    ]);
    expect(byName.get('blk.1.ffn_down.weight')?.dimensions.map(Number)).toEqual([
      TINY_LLAMA.feedForwardLength,
      TINY_LLAMA.embeddingLength,
    ]);
    const fileSize = (await stat(modelPath)).size;
    for (const tensor of tensors) {
      expect(Number(tensor.offset) % 32, tensor.name).toBe(0);
      const bytes = tensor.dimensions.reduce<number>((n, d) => n * Number(d), 4);
      expect(Number(tensor.fileOffset) + bytes, tensor.name).toBeLessThanOrEqual(fileSize);
    }
  });

  it('loads in llama.cpp', { timeout: 60_000 }, async () => {
    llama = await getLlama({
      gpu: false,
      build: 'never',
      maxThreads: THREADS,
      logLevel: LlamaLogLevel.info,
      logger: (level, message) => logs.push({ level, message }),
    });
    model = await llama.loadModel({ modelPath });

    expect(model.tokens.bosString).toBe('<s>');
    expect(model.tokens.eosString).toBe('</s>');
    expect(model.tokens.eotString).toBe(IM_END);
    expect(model.isEogToken(model.tokens.eot ?? undefined)).toBe(true);
    expect(model.isEogToken(model.tokens.eos ?? undefined)).toBe(true);
  });

  it('round-trips ASCII text through tokenize and detokenize', () => {
    for (const text of ROUND_TRIP_TEXTS) {
      const tokens = model.tokenize(text);
      expect(model.detokenize(tokens), JSON.stringify(text)).toBe(text);
    }
    // The merged pieces are in use: common words take fewer tokens than characters.
    expect(model.tokenize(' the and is').length).toBe(3);
  });

  it('generates tokens', { timeout: 60_000 }, async () => {
    const context = await model.createContext({ contextSize: 1024, threads: THREADS });
    try {
      const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
      const generated: number[] = [];
      await completion.generateCompletion('Once upon a time', {
        maxTokens: 16,
        temperature: 0,
        onToken: (tokens) => generated.push(...tokens),
      });
      expect(generated.length).toBeGreaterThan(0);
      expect(generated.length).toBeLessThanOrEqual(16);
    } finally {
      await context.dispose();
    }
  });

  it('answers a chat prompt through its ChatML template', { timeout: 60_000 }, async () => {
    const context = await model.createContext({ contextSize: 1024, threads: THREADS });
    try {
      const session = new LlamaChatSession({ contextSequence: context.getSequence() });
      expect(session.chatWrapper.wrapperName).toBe('ChatML');
      const answer = await session.prompt('Say hello.', { maxTokens: 16, temperature: 0 });
      expect(typeof answer).toBe('string');
    } finally {
      await context.dispose();
    }
  });

  it('logged no warnings or errors along the way', () => {
    // The logger is live (this line is llama.cpp's own), so an empty list below means something.
    const nameLine = `general.name          = ${TINY_MODEL_NAME}`;
    expect(logs.some(({ message }) => message.includes(nameLine))).toBe(true);
    const problems = logs.filter(({ level }) =>
      [LlamaLogLevel.warn, LlamaLogLevel.error, LlamaLogLevel.fatal].includes(level),
    );
    expect(problems).toEqual([]);
    expect(consoleWarn).not.toHaveBeenCalled();
    expect(consoleError).not.toHaveBeenCalled();
  });
});
