// One generation on one sequence: reuse the cached prompt prefix, evaluate the rest of the prompt
// (prefill), then sample token by token (decode), reporting each step to the observer. Every request
// for a token waits for the step (StepBarrier) so the sequences sharing the context decode together.
import {
  type LlamaContextSequence,
  type LlamaGrammar,
  LlamaGrammarEvaluationState,
  type LlamaModel,
  type SequenceEvaluateOptions,
  type Token,
  TokenBias,
} from 'node-llama-cpp';
import type { BatchLog } from './batch-log.js';
import { ContextLengthExceededError } from './errors/context-length-exceeded-error.js';
import type { PreparedPrompt } from './prompt.js';
import type { StepSlot } from './step-barrier.js';
import { StopDetector } from './stop-detector.js';
import type { FinishReason, GenerationObserver, SamplingOptions, TokenLogprob } from './types.js';

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
  readonly onText: GenerationRequestOnText | undefined;
  readonly signal: AbortSignal | undefined;
  /** Every sampled token must follow it (response_format, forced tool calls). */
  readonly grammar?: LlamaGrammar;
  /** Tokens never sampled (with a grammar: those that are not valid UTF-8 on their own). */
  readonly bannedTokens?: readonly Token[];
  /** Collect log probabilities with this many alternatives per token. */
  readonly logprobs?: { readonly top: number };
  /** A token's text and bytes, for log probabilities. */
  readonly describeToken?: (token: Token) => { readonly token: string; readonly bytes: readonly number[] };
}

type GenerationRequestOnText = (delta: string, logprobs: readonly TokenLogprob[]) => unknown;

export interface GenerateOutcome {
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly cachedTokens: number;
  readonly completionTokens: number;
  readonly aborted: boolean;
  readonly prefillSeconds: number;
  readonly decodeSeconds: number;
  readonly logprobs?: readonly TokenLogprob[];
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

function evaluateOptions(
  sampling: SamplingOptions,
  punish: () => Token[],
  grammar: LlamaGrammarEvaluationState | undefined,
  tokenBias: TokenBias | undefined,
): SequenceEvaluateOptions {
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
    grammarEvaluationState: grammar,
    tokenBias,
  };
}

/**
 * A token's log probability and its top alternatives, from node-llama-cpp's probabilities: the
 * softmax of the candidates left after the whole sampler chain (grammar, penalties, top-k/top-p/
 * min-p, temperature), sorted most likely first. Tokens the chain removed (probability 0) are left out.
 */
function logprobOf(
  describe: (token: Token) => { readonly token: string; readonly bytes: readonly number[] },
  token: Token,
  top: number,
  confidence: number | undefined,
  probabilities: ReadonlyMap<Token, number> | undefined,
): TokenLogprob {
  const alternatives: TokenLogprob['top'][number][] = [];
  if (probabilities !== undefined) {
    for (const [candidate, p] of probabilities) {
      if (alternatives.length >= top || p <= 0) break;
      alternatives.push({ ...describe(candidate), logprob: Math.log(p) });
    }
  }
  const p = confidence ?? probabilities?.get(token) ?? 0;
  // OpenAI's floor for "practically impossible"; a logprob is never -Infinity in JSON.
  return { ...describe(token), logprob: p > 0 ? Math.log(p) : -9999, top: alternatives };
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
  const { model, sequence, slot, batches, prompt, sampling, observer, onText, signal, grammar } = args;
  const budget = tokenBudget(prompt.tokens.length, sampling.maxTokens, sequence.contextSize);
  // A grammar's own stop triggers: node-llama-cpp's JSON schema grammar ends in newlines to stop on.
  const grammarStops = (grammar?.stopGenerationTriggers ?? []).map((trigger) =>
    typeof trigger === 'string' ? trigger : Array.isArray(trigger) ? trigger.join('') : trigger.toString(),
  );
  const stops = new StopDetector([...(sampling.stop ?? []), ...prompt.stopTexts, ...grammarStops]);
  const generated: Token[] = [];
  let pending: Token[] = [];
  let finishReason: FinishReason = 'length';
  const top = args.logprobs?.top ?? 0;
  const logprobs: TokenLogprob[] | undefined = args.logprobs ? [] : undefined;
  /** Log probabilities of tokens whose text has not been emitted yet. */
  let unsent = 0;
  let stopAsked = false;
  const emit = (text: string) => {
    if (text.length === 0) return;
    const these = logprobs?.slice(unsent) ?? [];
    unsent = logprobs?.length ?? 0;
    if (onText?.(text, these) === 'stop') stopAsked = true;
  };

  const prefillStart = performance.now();
  observer?.phaseStarted?.('prefill');
  const cachedTokens = await reusePrefix(sequence, prompt.tokens);
  const punish = () => [...prompt.tokens.slice(-PENALTY_WINDOW), ...generated].slice(-PENALTY_WINDOW);
  const grammarState = grammar ? new LlamaGrammarEvaluationState({ model, grammar }) : undefined;
  const banned = args.bannedTokens?.length
    ? new TokenBias(model.tokenizer).set([...args.bannedTokens], 'never')
    : undefined;
  const iterator = sequence.evaluateWithMetadata(
    prompt.tokens.slice(cachedTokens),
    { confidence: logprobs !== undefined && top === 0, probabilities: top > 0 },
    evaluateOptions(sampling, punish, grammarState, banned),
  );

  let prefillSeconds = 0;
  let decodeStart = 0;
  let lastTokenAt = 0;
  try {
    while (generated.length < budget && !signal?.aborted) {
      await slot.ready();
      if (signal?.aborted) break;
      const mark = batches.count;
      const askedAt = performance.now();
      let next: Awaited<ReturnType<typeof iterator.next>>;
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
      const token = next.value.token;
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
      if (logprobs) {
        const { confidence, probabilities } = next.value as {
          confidence?: number;
          probabilities?: Map<Token, number>;
        };
        const describe =
          args.describeToken ??
          ((t: Token) => {
            const text = model.detokenize([t], false);
            return { token: text, bytes: [...Buffer.from(text, 'utf8')] };
          });
        logprobs.push(logprobOf(describe, token, top, confidence, probabilities));
      }
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
      if (stops.stopped || stopAsked) {
        finishReason = 'stop';
        break;
      }
    }
  } finally {
    // Leave first: the other sequences' next step must not wait for this one's clean-up.
    slot.leave();
    await iterator.return();
  }
  if (!stops.stopped && !stopAsked) {
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
    // The tokens whose text was emitted (a cut stop sequence's tokens are not).
    logprobs: logprobs?.slice(0, unsent),
  };
}
