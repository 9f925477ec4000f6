// Turns one generation's steps into the span tree of ARCHITECTURE.md: the operation span under the HTTP
// span, and llama.tokenize / queue / prefill / decode under it. Span lifecycle lives here only.
import {
  type Attributes,
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { TraceDetail } from '../../charts/runtime-contract.js';
import type {
  GenerationObserver,
  GenerationPhase,
  GenerationResult,
  PhaseInfo,
  SamplingOptions,
  TokenTiming,
} from '../engine/types.js';
import type { RuntimeMetrics } from './metrics.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY,
  ATTR_GEN_AI_REQUEST_SEED,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_K,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_LLAMA_ABORTED,
  ATTR_LLAMA_BATCH_SIZE_MAX,
  ATTR_LLAMA_BATCH_SIZE_MEAN,
  ATTR_LLAMA_BATCH_SIZE_MIN,
  ATTR_LLAMA_DECODE_DURATION,
  ATTR_LLAMA_DECODE_TOKENS,
  ATTR_LLAMA_GRAMMAR_BUILD_DURATION,
  ATTR_LLAMA_GRAMMAR_CACHED,
  ATTR_LLAMA_PREFILL_DURATION,
  ATTR_LLAMA_PROMPT_CACHED_TOKENS,
  ATTR_LLAMA_PROMPT_EVALUATED_TOKENS,
  ATTR_LLAMA_PROMPT_TOKENS,
  ATTR_LLAMA_REQUEST_MIN_P,
  ATTR_LLAMA_REQUEST_REPEAT_PENALTY,
  ATTR_LLAMA_TIME_IN_QUEUE,
  ATTR_LLAMA_TIME_TO_FIRST_TOKEN,
  ATTR_LLAMA_TRACE_DETAIL,
  GEN_AI_PROVIDER_LLAMA_CPP,
} from './semconv.js';
import {
  EVENT_FIRST_TOKEN,
  operationSpanName,
  SPAN_DECODE,
  SPAN_PREFILL,
  SPAN_QUEUE,
  SPAN_TOKENIZE,
} from './span-names.js';
import { TokenTimings } from './token-timings.js';

const PHASE_SPANS: Record<GenerationPhase, string> = {
  queue: SPAN_QUEUE,
  tokenize: SPAN_TOKENIZE,
  prefill: SPAN_PREFILL,
  decode: SPAN_DECODE,
};

export interface RequestTracerOptions {
  readonly tracer: Tracer;
  readonly metrics: RuntimeMetrics | undefined;
  /** The context holding the HTTP server span (or the CLI's root). */
  readonly parent: Context;
  readonly operation: string;
  readonly model: string;
  readonly sampling: SamplingOptions;
  readonly detail: TraceDetail;
  readonly eventCountLimit: number;
  /** gen_ai.input.messages etc., set only when content capture is on. */
  readonly inputContent?: Attributes;
  readonly captureContent: boolean;
  /** Request attributes besides sampling, always set (gen_ai.output.type, tool counts). */
  readonly requestAttributes?: Attributes;
}

/** What the response said, for gen_ai.output.messages. */
export interface OutputRecord {
  readonly content: string | null;
  readonly toolCalls?: readonly { id: string; function: { name: string; arguments: string } }[];
  readonly finishReason: string;
}

function samplingAttributes(sampling: SamplingOptions): Attributes {
  const attributes: Attributes = {
    [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: sampling.maxTokens,
    [ATTR_GEN_AI_REQUEST_TEMPERATURE]: sampling.temperature,
    [ATTR_GEN_AI_REQUEST_TOP_P]: sampling.topP,
    [ATTR_GEN_AI_REQUEST_TOP_K]: sampling.topK,
    [ATTR_GEN_AI_REQUEST_SEED]: sampling.seed,
    [ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY]: sampling.presencePenalty,
    [ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY]: sampling.frequencyPenalty,
    [ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: sampling.stop ? [...sampling.stop] : undefined,
    [ATTR_LLAMA_REQUEST_MIN_P]: sampling.minP,
    [ATTR_LLAMA_REQUEST_REPEAT_PENALTY]: sampling.repeatPenalty,
  };
  for (const key of Object.keys(attributes)) if (attributes[key] === undefined) delete attributes[key];
  return attributes;
}

/** A low-cardinality error.type: the error class name, or the HTTP error code. */
export function errorType(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string')
    return error.code;
  return error instanceof Error ? error.name : 'Error';
}

/**
 * Ends a request's open spans for its failure: marked aborted (no error status) when the client
 * left, else with error.type and an error status; the exception is recorded on `operation` only.
 */
export function endSpansWithError(
  spans: readonly Span[],
  operation: Span,
  error: unknown,
  aborted: boolean,
): void {
  const type = errorType(error);
  for (const span of spans) {
    if (aborted) {
      span.setAttribute(ATTR_LLAMA_ABORTED, true);
    } else {
      span.setAttribute(ATTR_ERROR_TYPE, type);
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      if (span === operation && error instanceof Error) span.recordException(error);
    }
    span.end();
  }
}

export class RequestTracer implements GenerationObserver {
  readonly #options: RequestTracerOptions;
  readonly #span: Span;
  readonly #context: Context;
  readonly #phases = new Map<GenerationPhase, Span>();
  readonly #timings: TokenTimings | undefined;
  readonly #started = performance.now();
  /** llama.batch.size over the decode steps: min, max, sum, count. */
  readonly #batch = { min: Number.POSITIVE_INFINITY, max: 0, sum: 0, count: 0 };
  #ended = false;

  constructor(options: RequestTracerOptions) {
    this.#options = options;
    this.#span = options.tracer.startSpan(
      operationSpanName(options.operation, options.model),
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          [ATTR_GEN_AI_OPERATION_NAME]: options.operation,
          [ATTR_GEN_AI_PROVIDER_NAME]: GEN_AI_PROVIDER_LLAMA_CPP,
          [ATTR_GEN_AI_REQUEST_MODEL]: options.model,
          [ATTR_LLAMA_TRACE_DETAIL]: options.detail,
          ...samplingAttributes(options.sampling),
          ...options.requestAttributes,
          ...(options.captureContent ? options.inputContent : {}),
        },
      },
      options.parent,
    );
    this.#context = trace.setSpan(options.parent, this.#span);
    // Timings are kept only when someone will see them.
    this.#timings = options.detail === 'token' && this.#span.isRecording() ? new TokenTimings() : undefined;
  }

  get span(): Span {
    return this.#span;
  }

  phaseStarted(phase: GenerationPhase): void {
    const span = this.#options.tracer.startSpan(
      PHASE_SPANS[phase],
      { kind: SpanKind.INTERNAL },
      this.#context,
    );
    if (phase === 'decode') span.addEvent(EVENT_FIRST_TOKEN);
    this.#phases.set(phase, span);
  }

  phaseEnded(phase: GenerationPhase, info: PhaseInfo): void {
    const span = this.#phases.get(phase);
    if (!span) return;
    this.#phases.delete(phase);
    if (phase === 'tokenize' && info.inputTokens !== undefined)
      span.setAttribute(ATTR_LLAMA_PROMPT_TOKENS, info.inputTokens);
    if (phase === 'prefill' && info.inputTokens !== undefined) {
      const cached = info.cachedTokens ?? 0;
      span.setAttributes({
        [ATTR_LLAMA_PROMPT_TOKENS]: info.inputTokens,
        [ATTR_LLAMA_PROMPT_CACHED_TOKENS]: cached,
        [ATTR_LLAMA_PROMPT_EVALUATED_TOKENS]: info.inputTokens - cached,
      });
    }
    if (phase === 'decode') {
      span.setAttribute(ATTR_LLAMA_DECODE_TOKENS, info.outputTokens ?? 0);
      const batch = this.#batch;
      if (batch.count > 0) {
        span.setAttributes({
          [ATTR_LLAMA_BATCH_SIZE_MIN]: batch.min,
          [ATTR_LLAMA_BATCH_SIZE_MEAN]: batch.sum / batch.count,
          [ATTR_LLAMA_BATCH_SIZE_MAX]: batch.max,
        });
      }
      this.#timings?.writeTo(span, this.#options.eventCountLimit);
    }
    span.end();
  }

  tokenGenerated(timing: TokenTiming): void {
    this.#timings?.add(timing);
    if (timing.batchSize > 0) {
      const batch = this.#batch;
      batch.min = Math.min(batch.min, timing.batchSize);
      batch.max = Math.max(batch.max, timing.batchSize);
      batch.sum += timing.batchSize;
      batch.count++;
    }
  }

  /** Ends the operation span with the response's attributes and records the request's metrics. */
  succeeded(result: GenerationResult, responseId: string, output?: string | OutputRecord): void {
    if (this.#ended) return;
    this.#ended = true;
    const { timings } = result;
    this.#span.setAttributes({
      [ATTR_GEN_AI_RESPONSE_ID]: responseId,
      [ATTR_GEN_AI_RESPONSE_MODEL]: this.#options.model,
      [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: [
        typeof output === 'object' ? output.finishReason : result.finishReason,
      ],
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: result.promptTokens,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: result.completionTokens,
      [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: result.cachedTokens,
      [ATTR_LLAMA_TIME_IN_QUEUE]: timings.queue,
      [ATTR_LLAMA_TIME_TO_FIRST_TOKEN]: timings.timeToFirstToken,
      [ATTR_LLAMA_PREFILL_DURATION]: timings.prefill,
      [ATTR_LLAMA_DECODE_DURATION]: timings.decode,
    });
    if (result.aborted) this.#span.setAttribute(ATTR_LLAMA_ABORTED, true);
    if (result.grammar) {
      this.#span.setAttributes({
        [ATTR_LLAMA_GRAMMAR_BUILD_DURATION]: result.grammar.buildSeconds,
        [ATTR_LLAMA_GRAMMAR_CACHED]: result.grammar.cached,
      });
    }
    if (this.#options.captureContent && output !== undefined) {
      const record =
        typeof output === 'string' ? { content: output, finishReason: result.finishReason } : output;
      // The GenAI conventions' parts: text, and tool_call with id, name and arguments.
      const parts: object[] = record.content !== null ? [{ type: 'text', content: record.content }] : [];
      for (const call of record.toolCalls ?? []) {
        let args: unknown = call.function.arguments;
        try {
          args = JSON.parse(call.function.arguments);
        } catch {}
        parts.push({ type: 'tool_call', id: call.id, name: call.function.name, arguments: args });
      }
      this.#span.setAttribute(
        ATTR_GEN_AI_OUTPUT_MESSAGES,
        JSON.stringify([{ role: 'assistant', parts, finish_reason: record.finishReason }]),
      );
    }
    this.#span.end();
    this.#options.metrics?.record({
      operation: this.#options.operation,
      model: this.#options.model,
      durationSeconds: (performance.now() - this.#started) / 1000,
      usage: {
        inputTokens: result.promptTokens,
        evaluatedInputTokens: result.promptTokens - result.cachedTokens,
        outputTokens: result.completionTokens,
        prefillSeconds: timings.prefill,
        decodeSeconds: timings.decode,
        timeToFirstTokenSeconds: timings.timeToFirstToken,
      },
    });
  }

  /** Ends every open span with the error; an abort before generation ends them without error status. */
  failed(error: unknown, options: { aborted?: boolean } = {}): void {
    if (this.#ended) return;
    this.#ended = true;
    const type = errorType(error);
    endSpansWithError([...this.#phases.values(), this.#span], this.#span, error, options.aborted === true);
    this.#phases.clear();
    this.#options.metrics?.record({
      operation: this.#options.operation,
      model: this.#options.model,
      durationSeconds: (performance.now() - this.#started) / 1000,
      errorType: type,
    });
  }
}
