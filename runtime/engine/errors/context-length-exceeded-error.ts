/** The prompt (plus the tokens asked for) does not fit a sequence's context. */
export class ContextLengthExceededError extends Error {
  readonly promptTokens: number;
  readonly requestedTokens: number;
  readonly contextSize: number;

  constructor(promptTokens: number, requestedTokens: number, contextSize: number) {
    super(
      `This model's maximum context length is ${contextSize} tokens. However, you requested ` +
        `${promptTokens + requestedTokens} tokens (${promptTokens} in the prompt, ${requestedTokens} for the ` +
        'completion).',
    );
    this.name = 'ContextLengthExceededError';
    this.promptTokens = promptTokens;
    this.requestedTokens = requestedTokens;
    this.contextSize = contextSize;
  }
}
