// One generation on one sequence: reuse the cached prompt prefix, evaluate the rest of the prompt
// (prefill), then sample token by token (decode), reporting each step to the observer. Every request
// for a token waits for the step (StepBarrier) so the sequences sharing the context decode together.
import type { LlamaContextSequence, LlamaModel, SequenceEvaluateOptions, Token } from 'node-llama-cpp';
import type { BatchLog } from './batch-log.js';
import { ContextLengthExceededError } from './errors/context-length-exceeded-error.js';
import type { PreparedPrompt } from './prompt.js';
import type { StepSlot } from './step-barrier.js';
import { StopDetector } from './stop-detector.js';
import type { FinishReason, GenerationObserver, SamplingOptions } from './types.js';

/** llama.cpp's default repeat_last_n: the window of tokens the penalties look at. */
const PENALTY_WINDOW = 64;
/** Tokens kept as context for detokenizing the next piece (leading spaces, merges). */
const DETOKENIZE_CONTEXT = 8;

export interface GenerateArgs {
  readonly model: LlamaModel;
  readonly sequence: LlamaContextSequence;
  /** This generation's place in the context's steps; left when the generation ends. */
  readonly slot: StepSlot;
  readonly batches: BatchLog;
  readonly prompt: PreparedPrompt;
  readonly sampling: SamplingOptions;
  readonly observer: GenerationObserver | undefined;
  readonly onText: ((delta: string) => void) | undefined;
  readonly signal: AbortSignal | undefined;
}

export interface GenerateOutcome {
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly cachedTokens: number;
  readonly completionTokens: number;
  readonly aborted: boolean;
  readonly prefillSeconds: number;
  readonly decodeSeconds: number;
}

const seconds = (from: number, to = performance.now()) => (to - from) / 1000;

/** Throws ContextLengthExceededError when the prompt and max_tokens cannot fit; else the token budget. */
export function tokenBudget(
  promptTokens: number,
  maxTokens: number | undefined,
  contextSize: number,
): number {
  if (promptTokens >= contextSize || (maxTokens !== undefined && promptTokens + maxTokens > contextSize)) {
    throw new ContextLengthExceededError(promptTokens, maxTokens ?? 1, contextSize);
  }
  return maxTokens ?? contextSize - promptTokens;
}

function evaluateOptions(sampling: SamplingOptions, punish: () => Token[]): SequenceEvaluateOptions {
  const penalty = sampling.repeatPenalty ?? 1;
  const frequencyPenalty = sampling.frequencyPenalty ?? 0;
  const presencePenalty = sampling.presencePenalty ?? 0;
  const penalize = penalty !== 1 || frequencyPenalty !== 0 || presencePenalty !== 0;
  return {
    temperature: sampling.temperature ?? 1,
    topK: sampling.topK,
    topP: sampling.topP,
    minP: sampling.minP,
    seed: sampling.seed,
    repeatPenalty: penalize
      ? { punishTokens: punish, maxPunishTokens: PENALTY_WINDOW, penalty, frequencyPenalty, presencePenalty }
      : undefined,
  };
}

/** Moves the sequence's state to the longest cached prefix of the prompt; returns its length. */
async function reusePrefix(sequence: LlamaContextSequence, tokens: readonly Token[]): Promise<number> {
  let reuse = sequence.compareContextTokens([...tokens]).firstDifferentIndex;
  // At least one prompt token must be evaluated to get logits for the first sample.
  reuse = Math.min(reuse, tokens.length - 1);
  if (reuse < sequence.nextTokenIndex) {
    await sequence.eraseContextTokenRanges([{ start: reuse, end: sequence.nextTokenIndex }]);
  }
  return reuse;
}

export async function generate(args: GenerateArgs): Promise<GenerateOutcome> {
  const { model, sequence, slot, batches, prompt, sampling, observer, onText, signal } = args;
  const budget = tokenBudget(prompt.tokens.length, sampling.maxTokens, sequence.contextSize);
  const stops = new StopDetector([...(sampling.stop ?? []), ...prompt.stopTexts]);
  const generated: Token[] = [];
  let pending: Token[] = [];
  let finishReason: FinishReason = 'length';
  const emit = (text: string) => {
    if (text.length > 0) onText?.(text);
  };

  const prefillStart = performance.now();
  observer?.phaseStarted?.('prefill');
  const cachedTokens = await reusePrefix(sequence, prompt.tokens);
  const punish = () => [...prompt.tokens.slice(-PENALTY_WINDOW), ...generated].slice(-PENALTY_WINDOW);
  const iterator = sequence.evaluate(prompt.tokens.slice(cachedTokens), evaluateOptions(sampling, punish));

  let prefillSeconds = 0;
  let decodeStart = 0;
  let lastTokenAt = 0;
  try {
    while (generated.length < budget && !signal?.aborted) {
      await slot.ready();
      if (signal?.aborted) break;
      const mark = batches.count;
      const askedAt = performance.now();
      let next: IteratorResult<Token>;
      try {
        next = await iterator.next();
      } finally {
        slot.received();
      }
      const now = performance.now();
      if (generated.length === 0) {
        prefillSeconds = seconds(prefillStart, now);
        observer?.phaseEnded?.('prefill', { inputTokens: prompt.tokens.length, cachedTokens });
        decodeStart = now;
        observer?.phaseStarted?.('decode');
      }
      if (next.done) {
        finishReason = 'stop';
        break;
      }
      const token = next.value;
      if (prompt.stopTokens.has(token)) {
        finishReason = 'stop';
        break;
      }
      observer?.tokenGenerated?.({
        index: generated.length,
        token,
        decodeSeconds: seconds(askedAt, now),
        gapSeconds: lastTokenAt === 0 ? 0 : seconds(lastTokenAt, now),
        // The first token ends a prompt that may span several decodes: only decode steps are known.
        batchSize: generated.length === 0 ? 0 : batches.sequencesAfter(mark),
      });
      lastTokenAt = now;
      generated.push(token);
      pending.push(token);
      const piece = model.detokenize(
        pending,
        false,
        generated.slice(-pending.length - DETOKENIZE_CONTEXT, -pending.length),
      );
      // A piece ending in U+FFFD is a UTF-8 character split across tokens: wait for the rest.
      if (piece.endsWith('\uFFFD')) continue;
      pending = [];
      emit(stops.push(piece));
      if (stops.stopped) {
        finishReason = 'stop';
        break;
      }
    }
  } finally {
    // Leave first: the other sequences' next step must not wait for this one's clean-up.
    slot.leave();
    await iterator.return();
  }
  if (!stops.stopped) {
    if (pending.length > 0)
      emit(stops.push(model.detokenize(pending, false, generated.slice(0, -pending.length))));
    emit(stops.flush());
  }
  if (decodeStart === 0) {
    // Aborted or stopped before the first token: close the prefill step anyway.
    prefillSeconds = seconds(prefillStart);
    observer?.phaseEnded?.('prefill', { inputTokens: prompt.tokens.length, cachedTokens });
    decodeStart = performance.now();
    observer?.phaseStarted?.('decode');
  }
  const decodeSeconds = seconds(decodeStart);
  observer?.phaseEnded?.('decode', { outputTokens: generated.length });
  return {
    text: stops.text,
    finishReason,
    cachedTokens,
    completionTokens: generated.length,
    aborted: signal?.aborted === true,
    prefillSeconds,
    decodeSeconds,
  };
}
