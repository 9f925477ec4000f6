// The span of one embeddings request, `embeddings {model}` under the HTTP span with llama.queue
// under it (GenAI semantic conventions), and its gen_ai.server.request.duration through the same
// RuntimeMetrics.record as generations. Names come from semconv.ts and span-names.ts.
import { type Context, type Span, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import type { EmbeddingResult } from '../engine/embeddings.js';
import type { GenerationObserver, GenerationPhase } from '../engine/types.js';
import type { RuntimeMetrics } from './metrics.js';
import { endSpansWithError, errorType } from './request-tracer.js';
import {
  ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_ENCODING_FORMATS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_LLAMA_TIME_IN_QUEUE,
  GEN_AI_OPERATION_EMBEDDINGS,
  GEN_AI_PROVIDER_LLAMA_CPP,
} from './semconv.js';
import { operationSpanName, SPAN_QUEUE } from './span-names.js';

export interface EmbeddingsTracerOptions {
  readonly tracer: Tracer;
  readonly metrics: RuntimeMetrics | undefined;
  /** The context holding the HTTP server span. */
  readonly parent: Context;
  readonly model: string;
  readonly encodingFormat: string;
}

export class EmbeddingsTracer implements Pick<GenerationObserver, 'phaseStarted' | 'phaseEnded'> {
  readonly #options: EmbeddingsTracerOptions;
  readonly #span: Span;
  readonly #context: Context;
  readonly #started = performance.now();
  #queue: Span | undefined;
  #ended = false;

  constructor(options: EmbeddingsTracerOptions) {
    this.#options = options;
    this.#span = options.tracer.startSpan(
      operationSpanName(GEN_AI_OPERATION_EMBEDDINGS, options.model),
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_EMBEDDINGS,
          [ATTR_GEN_AI_PROVIDER_NAME]: GEN_AI_PROVIDER_LLAMA_CPP,
          [ATTR_GEN_AI_REQUEST_MODEL]: options.model,
          [ATTR_GEN_AI_REQUEST_ENCODING_FORMATS]: [options.encodingFormat],
        },
      },
      options.parent,
    );
    this.#context = trace.setSpan(options.parent, this.#span);
  }

  phaseStarted(phase: GenerationPhase): void {
    if (phase !== 'queue') return;
    this.#queue = this.#options.tracer.startSpan(SPAN_QUEUE, { kind: SpanKind.INTERNAL }, this.#context);
  }

  phaseEnded(phase: GenerationPhase): void {
    if (phase !== 'queue') return;
    this.#queue?.end();
    this.#queue = undefined;
  }

  #record(outcome: { errorType?: string; inputTokens?: number }): void {
    this.#options.metrics?.record({
      operation: GEN_AI_OPERATION_EMBEDDINGS,
      model: this.#options.model,
      durationSeconds: (performance.now() - this.#started) / 1000,
      ...(outcome.errorType ? { errorType: outcome.errorType } : {}),
      ...(outcome.inputTokens !== undefined ? { embeddedTokens: outcome.inputTokens } : {}),
    });
  }

  succeeded(result: EmbeddingResult, dimensions: number): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#span.setAttributes({
      [ATTR_GEN_AI_RESPONSE_MODEL]: this.#options.model,
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: result.inputTokens,
      [ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT]: dimensions,
      [ATTR_LLAMA_TIME_IN_QUEUE]: result.timings.queue,
    });
    this.#span.end();
    this.#record({ inputTokens: result.inputTokens });
  }

  /** Ends the spans with the error; a client that went away is marked aborted, not failed. */
  failed(error: unknown, options: { aborted?: boolean } = {}): void {
    if (this.#ended) return;
    this.#ended = true;
    const spans = this.#queue ? [this.#queue, this.#span] : [this.#span];
    endSpansWithError(spans, this.#span, error, options.aborted === true);
    this.#queue = undefined;
    this.#record({ errorType: errorType(error) });
  }
}
