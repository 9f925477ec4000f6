// Embeddings of the loaded model on an embedding context of its own (node-llama-cpp's), created on
// the first request and disposed with the engine. A request waits in the engine's queue like a
// generation and holds a sequence's place while it runs, so embeddings count against `parallel`
// and `maxQueue` (a full queue refuses them with QueueFullError, i.e. 429) and in the gauges.
import type { LlamaContextSequence, LlamaEmbeddingContext, LlamaModel, Token } from 'node-llama-cpp';
import { AbortedError } from './errors/aborted-error.js';
import { EmbeddingInputTooLongError } from './errors/embedding-input-too-long-error.js';
import type { SequencePool } from './sequence-pool.js';
import type { GenerationObserver } from './types.js';

/** A text, or the token ids of one. */
export type EmbeddingInput = string | readonly Token[];

export interface EmbeddingRequest {
  readonly inputs: readonly EmbeddingInput[];
  /** Sees the `queue` phase. */
  readonly observer?: Pick<GenerationObserver, 'phaseStarted' | 'phaseEnded'>;
  /** Aborting stops the wait, or the batch before its next input, and frees the place. */
  readonly signal?: AbortSignal;
}

export interface EmbeddingResult {
  /** One unit-length (L2) vector per input, in input order. */
  readonly vectors: readonly number[][];
  /** Tokens evaluated over every input, BOS/EOS included. */
  readonly inputTokens: number;
  /** Seconds waiting for a place, and computing. */
  readonly timings: { readonly queue: number; readonly embed: number };
}

export interface EmbeddingsOptions {
  /** Tokens one input may hold: the engine's per-sequence context. */
  readonly contextSize: number;
  readonly threads: number;
}

/** Euclidean normalisation, as llama-server's /v1/embeddings and OpenAI's vectors have it. */
function normalized(vector: readonly number[]): number[] {
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  return norm > 0 ? vector.map((x) => x / norm) : [...vector];
}

const seconds = (from: number) => (performance.now() - from) / 1000;

export class Embeddings {
  readonly #model: LlamaModel;
  readonly #pool: SequencePool<LlamaContextSequence>;
  readonly #options: EmbeddingsOptions;
  #context: Promise<LlamaEmbeddingContext> | undefined;

  constructor(model: LlamaModel, pool: SequencePool<LlamaContextSequence>, options: EmbeddingsOptions) {
    this.#model = model;
    this.#pool = pool;
    this.#options = options;
  }

  /** Length of each vector. */
  get dimensions(): number {
    return this.#model.embeddingVectorSize;
  }

  #embeddingContext(): Promise<LlamaEmbeddingContext> {
    this.#context ??= this.#model
      .createEmbeddingContext({
        contextSize: this.#options.contextSize,
        // One input is evaluated in one batch.
        batchSize: this.#options.contextSize,
        threads: this.#options.threads,
      })
      .catch((error: unknown) => {
        this.#context = undefined;
        throw error;
      });
    return this.#context;
  }

  /**
   * Checks every input fits (EmbeddingInputTooLongError, before queueing), waits for a place
   * (QueueFullError, AbortedError), then embeds the inputs one after another.
   */
  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    const context = await this.#embeddingContext();
    let inputTokens = 0;
    request.inputs.forEach((input, index) => {
      const length = context.calculateInputLength(typeof input === 'string' ? input : [...input]);
      // node-llama-cpp refuses an input as long as the context.
      if (length >= this.#options.contextSize)
        throw new EmbeddingInputTooLongError(index, length, this.#options.contextSize);
      inputTokens += length;
    });

    const queueStart = performance.now();
    request.observer?.phaseStarted?.('queue');
    let place: LlamaContextSequence;
    try {
      // The least recently used sequence: its cache is the one least likely to be wanted next.
      place = await this.#pool.acquire(request.signal, () => 0);
    } finally {
      request.observer?.phaseEnded?.('queue', {});
    }
    const queue = seconds(queueStart);
    const started = performance.now();
    try {
      const vectors: number[][] = [];
      for (const input of request.inputs) {
        if (request.signal?.aborted) throw new AbortedError();
        const embedding = await context.getEmbeddingFor(typeof input === 'string' ? input : [...input]);
        vectors.push(normalized(embedding.vector));
      }
      return { vectors, inputTokens, timings: { queue, embed: seconds(started) } };
    } finally {
      this.#pool.release(place);
    }
  }

  /** Frees the embedding context, if one was created. Safe to call twice. */
  async dispose(): Promise<void> {
    const context = this.#context;
    this.#context = undefined;
    await (await context?.catch(() => undefined))?.dispose();
  }
}
