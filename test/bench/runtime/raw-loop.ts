// The ceiling: node-llama-cpp's own generation loop on one context, no HTTP, no telemetry. The
// same prompt tokens and greedy sampling the server gets, `concurrency` sequences at once.
import { getLlama, type Llama, type LlamaContextSequence, LlamaLogLevel, type Token } from 'node-llama-cpp';
import { type RunResult, type StreamTiming, summarize } from './measure.js';

export interface RawLoopOptions {
  readonly modelPath: string;
  readonly prompt: string;
  readonly threads: number;
  readonly contextSize: number;
  readonly maxTokens: number;
  readonly parallel: number;
}

export class RawLoop {
  readonly #llama: Llama;
  readonly #sequences: LlamaContextSequence[];
  readonly #tokens: Token[];
  readonly #maxTokens: number;

  private constructor(llama: Llama, sequences: LlamaContextSequence[], tokens: Token[], maxTokens: number) {
    this.#llama = llama;
    this.#sequences = sequences;
    this.#tokens = tokens;
    this.#maxTokens = maxTokens;
  }

  static async create(options: RawLoopOptions): Promise<RawLoop> {
    const llama = await getLlama({
      gpu: false,
      build: 'never',
      maxThreads: options.threads,
      logLevel: LlamaLogLevel.error,
    });
    const model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: 0 });
    const context = await model.createContext({
      contextSize: options.contextSize,
      sequences: options.parallel,
      threads: options.threads,
    });
    const sequences = Array.from({ length: options.parallel }, () => context.getSequence());
    const tokens = model.tokenize(options.prompt);
    if (model.tokens.bos !== null && model.tokens.shouldPrependBosToken) tokens.unshift(model.tokens.bos);
    return new RawLoop(llama, sequences, tokens, options.maxTokens);
  }

  async #stream(index: number): Promise<StreamTiming> {
    const sequence = this.#sequences[index]!;
    const started = performance.now();
    // Like the server: keep the cached prompt prefix, evaluate at least its last token again.
    await sequence.eraseContextTokenRanges([
      { start: this.#tokens.length - 1, end: sequence.nextTokenIndex },
    ]);
    let first = 0;
    let last = 0;
    let count = 0;
    for await (const _token of sequence.evaluate(
      this.#tokens.slice(Math.min(sequence.nextTokenIndex, this.#tokens.length - 1)),
      { temperature: 0 },
    )) {
      last = performance.now();
      if (count === 0) first = last;
      if (++count >= this.#maxTokens) break;
    }
    return { ttft: (first - started) / 1000, decode: (last - first) / 1000, tokens: count };
  }

  async run(concurrency: number): Promise<RunResult> {
    const started = performance.now();
    const streams = await Promise.all(Array.from({ length: concurrency }, (_, i) => this.#stream(i)));
    return summarize(concurrency, streams, (performance.now() - started) / 1000);
  }

  async dispose(): Promise<void> {
    await this.#llama.dispose();
  }
}
