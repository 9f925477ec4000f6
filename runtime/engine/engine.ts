// The inference engine: one model, one context, `parallel` sequences behind a bounded FIFO queue,
// decoded together: one llama_decode per step for every active sequence (StepBarrier, BatchLog).
// Private constructor + async factory; dispose() is safe to call twice.
import type { LlamaContextSequence, Token } from 'node-llama-cpp';
import { BatchLog } from './batch-log.js';
import { type EmbeddingRequest, type EmbeddingResult, Embeddings } from './embeddings.js';
import { DisposedError } from './errors/disposed-error.js';
import type { FunctionCallSyntax } from './function-calls.js';
import { generate, tokenBudget } from './generate.js';
import { type BuiltGrammar, GrammarCache } from './grammars.js';
import { type LoadedModel, loadModel } from './load-model.js';
import { PromptBuilder } from './prompt.js';
import { SequencePool } from './sequence-pool.js';
import { StepBarrier } from './step-barrier.js';
import { ModelTokenizer } from './tokenizer.js';
import type { EngineOptions, EngineStats, GenerationRequest, GenerationResult, ModelInfo } from './types.js';

/** @default for EngineOptions.maxQueue */
export const DEFAULT_MAX_QUEUE = 16;

const seconds = (from: number, to = performance.now()) => (to - from) / 1000;

/** A cached prefix this share of the prompt or more makes a sequence worth reusing (llama.cpp's slot similarity). */
const PREFIX_REUSE_SHARE = 0.5;

/**
 * The idle sequence holding the longest prefix of the prompt when that prefix is worth it; of equal
 * ones the lowest id, which keeps the busy sequences a run of consecutive ids, the only kind
 * llama.cpp decodes in one ubatch (step-barrier.ts). Else the least recently used one, so a
 * conversation's cache is not overwritten by an unrelated prompt. `ids` gives a sequence's id.
 */
export function pickSequence(
  free: readonly LlamaContextSequence[],
  tokens: readonly Token[],
  ids: (sequence: LlamaContextSequence) => number,
): number {
  let best = -1;
  let bestLength = 0;
  free.forEach((sequence, index) => {
    const length = sequence.compareContextTokens([...tokens]).firstDifferentIndex;
    if (length > bestLength || (length === bestLength && length > 0 && ids(sequence) < ids(free[best]!))) {
      best = index;
      bestLength = length;
    }
  });
  return best >= 0 && bestLength >= tokens.length * PREFIX_REUSE_SHARE ? best : 0;
}

export class Engine {
  readonly #loaded: LoadedModel;
  readonly #sequences: readonly LlamaContextSequence[];
  readonly #pool: SequencePool<LlamaContextSequence>;
  readonly #prompts: PromptBuilder;
  readonly #batches: BatchLog;
  readonly #steps: StepBarrier;
  readonly #embeddings: Embeddings;
  readonly #tokenizer: ModelTokenizer;
  readonly #grammars: GrammarCache;
  #partialUtf8Tokens: Token[] | undefined;
  #disposed = false;

  private constructor(loaded: LoadedModel, batches: BatchLog, steps: StepBarrier, maxQueue: number) {
    this.#loaded = loaded;
    this.#batches = batches;
    this.#steps = steps;
    // A fresh context hands out sequence ids 0, 1, 2… in order and none is ever disposed: the index
    // in this list is the sequence id llama.cpp sees.
    this.#sequences = Array.from({ length: loaded.info.parallel }, () => loaded.context.getSequence());
    this.#pool = new SequencePool(this.#sequences, maxQueue);
    this.#prompts = new PromptBuilder(loaded.model);
    this.#embeddings = new Embeddings(loaded.model, this.#pool, loaded.info);
    this.#tokenizer = new ModelTokenizer(loaded.model);
    this.#grammars = new GrammarCache(loaded.llama, this.#prompts.functionCallSyntax);
  }

  /**
   * Tokens that are not valid UTF-8 on their own (byte-fallback pieces of a character). llama.cpp's
   * grammar decodes bytes without refusing overlong forms, so a run of them can pass as one allowed
   * character (even a quote) while the text gets U+FFFD for each byte: under a grammar they are
   * never sampled (characters outside the vocabulary can still be written as \u escapes).
   */
  #bannedUnderGrammar(): Token[] {
    this.#partialUtf8Tokens ??= Array.from(
      { length: this.#tokenizer.vocabularySize },
      (_, id) => id as Token,
    ).filter((token) => typeof this.#tokenizer.piece(token) !== 'string');
    return this.#partialUtf8Tokens;
  }

  /** How the model writes a function call (its chat wrapper's syntax). */
  get functionCallSyntax(): FunctionCallSyntax {
    return this.#prompts.functionCallSyntax;
  }

  static async create(options: EngineOptions): Promise<Engine> {
    const steps = new StepBarrier();
    const batches = new BatchLog((sequences, results) => {
      steps.dispatched(results);
      options.onBatch?.(sequences);
    });
    const loaded = await loadModel(options, { itemPrioritizationStrategy: batches.strategy });
    const engine = new Engine(loaded, batches, steps, options.maxQueue ?? DEFAULT_MAX_QUEUE);
    return engine;
  }

  get info(): ModelInfo {
    return this.#loaded.info;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  get tokenizer(): ModelTokenizer {
    return this.#tokenizer;
  }

  /** Length of the vectors embed() returns. */
  get embeddingDimensions(): number {
    return this.#embeddings.dimensions;
  }

  /** The llama.cpp release node-llama-cpp runs, e.g. `b6000 (ggml-org/llama.cpp)`. */
  get buildInfo(): string {
    const { release, repo } = this.#loaded.llama.llamaCppRelease;
    return `${release} (${repo})`;
  }

  stats(): EngineStats {
    const used = this.#sequences.reduce(
      (sum, sequence) => sum + (sequence.disposed ? 0 : sequence.nextTokenIndex),
      0,
    );
    const total = this.#sequences.reduce((sum, sequence) => sum + sequence.contextSize, 0);
    return {
      processing: this.#pool.inUse,
      deferred: this.#pool.waiting,
      kvCacheUsage: total === 0 ? 0 : used / total,
    };
  }

  /** RAM and VRAM node-llama-cpp reports as in use, in bytes. */
  async memory(): Promise<{ ram: number; vram: number }> {
    const vram = await this.#loaded.llama.getVramState();
    return { ram: process.memoryUsage().rss, vram: vram.used };
  }

  /**
   * Waits for a sequence (throws QueueFullError when the queue is full, AbortedError when the signal
   * fires first), builds the prompt, and generates. Throws ContextLengthExceededError before any
   * token is generated when the prompt cannot fit.
   */
  async generate(request: GenerationRequest): Promise<GenerationResult> {
    if (this.#disposed) throw new DisposedError();
    const { observer } = request;
    const started = performance.now();
    // Tokenize first: a prompt that cannot fit is refused before it takes a place in the queue,
    // and the tokens tell which idle sequence already holds the longest part of it.
    observer?.phaseStarted?.('tokenize');
    const prompt = this.#prompts.build(request.input);
    observer?.phaseEnded?.('tokenize', { inputTokens: prompt.tokens.length });
    const tokenizeSeconds = seconds(started);
    tokenBudget(prompt.tokens.length, request.sampling.maxTokens, this.#loaded.info.contextSize);
    // The grammar too is built before the queue: it does not need a sequence.
    let grammar: BuiltGrammar | undefined;
    if (request.constraint) {
      const functions = request.input.kind === 'chat' ? request.input.functions : undefined;
      grammar = await this.#grammars.get(request.constraint, functions);
    }

    const queueStart = performance.now();
    observer?.phaseStarted?.('queue');
    let sequence: LlamaContextSequence;
    try {
      sequence = await this.#pool.acquire(request.signal, (free) =>
        pickSequence(free, prompt.tokens, (s) => this.#sequences.indexOf(s)),
      );
    } finally {
      observer?.phaseEnded?.('queue', {});
    }
    const queueSeconds = seconds(queueStart);
    try {
      const outcome = await generate({
        model: this.#loaded.model,
        sequence,
        slot: this.#steps.join(this.#sequences.indexOf(sequence)),
        batches: this.#batches,
        prompt,
        sampling: request.sampling,
        observer,
        onText: request.onText,
        signal: request.signal,
        grammar: grammar?.grammar,
        bannedTokens: grammar ? this.#bannedUnderGrammar() : undefined,
        logprobs: request.logprobs,
        describeToken: (token) => {
          const piece = this.#tokenizer.piece(token);
          return typeof piece === 'string'
            ? { token: piece, bytes: [...Buffer.from(piece, 'utf8')] }
            : { token: Buffer.from(piece).toString('utf8'), bytes: piece };
        },
      });
      return {
        text: outcome.text,
        finishReason: outcome.finishReason,
        promptTokens: prompt.tokens.length,
        cachedTokens: outcome.cachedTokens,
        completionTokens: outcome.completionTokens,
        aborted: outcome.aborted,
        logprobs: outcome.logprobs,
        grammar: grammar && { buildSeconds: grammar.buildSeconds, cached: grammar.cached },
        timings: {
          queue: queueSeconds,
          tokenize: tokenizeSeconds,
          prefill: outcome.prefillSeconds,
          decode: outcome.decodeSeconds,
          timeToFirstToken: queueSeconds + tokenizeSeconds + outcome.prefillSeconds,
        },
      };
    } finally {
      this.#pool.release(sequence);
    }
  }

  /** Embeds the inputs (embeddings.ts), waiting in the same queue as generations. */
  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    if (this.#disposed) throw new DisposedError();
    return this.#embeddings.embed(request);
  }

  /** Refuses new and waiting requests and frees llama.cpp. Safe to call twice. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#pool.dispose();
    await this.#embeddings.dispose();
    await this.#loaded.llama.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
