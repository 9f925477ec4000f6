/** One embedding input holds more tokens than a sequence's context. */
export class EmbeddingInputTooLongError extends Error {
  /** Position of the input in the request's list. */
  readonly index: number;
  readonly inputTokens: number;
  readonly contextSize: number;

  constructor(index: number, inputTokens: number, contextSize: number) {
    super(
      `This model's maximum context length is ${contextSize} tokens, but input ${index} has ${inputTokens} ` +
        'tokens. Please shorten it.',
    );
    this.name = 'EmbeddingInputTooLongError';
    this.index = index;
    this.inputTokens = inputTokens;
    this.contextSize = contextSize;
  }
}
