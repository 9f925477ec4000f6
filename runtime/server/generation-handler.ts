// Runs one generation for an HTTP request, streamed (SSE) or not: traces it, ties it to the client
// connection and the request timeout, and maps engine failures to API errors. HTTP errors (queue
// full, prompt too long) are answered before the first byte of a stream.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Attributes } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AbortedError } from '../engine/errors/aborted-error.js';
import { ContextLengthExceededError } from '../engine/errors/context-length-exceeded-error.js';
import type {
  GenerationInput,
  GenerationObserver,
  GenerationResult,
  OutputConstraint,
  SamplingOptions,
  TokenLogprob,
} from '../engine/types.js';
import { RequestTracer } from '../telemetry/request-tracer.js';
import type { AppContext } from './app-context.js';
import { ChoiceOutput, type ToolCalling } from './choice-output.js';
import { engineApiError } from './engine-errors.js';
import { ApiError } from './errors.js';
import type { ResponseFormat, ResponseIds } from './response-format.js';
import { usageOf } from './response-format.js';

export interface GenerationCall {
  readonly operation: string;
  readonly format: ResponseFormat;
  readonly input: GenerationInput;
  readonly sampling: SamplingOptions;
  readonly stream: boolean;
  readonly includeUsage: boolean;
  /** `messages` or `prompt`: the parameter a too-long prompt is blamed on. */
  readonly promptParam: string;
  /** The field the token limit came from (`max_completion_tokens` wins over `max_tokens` on chat). */
  readonly maxTokensParam: string;
  /** gen_ai.input.messages, recorded only when content capture is on. */
  readonly inputContent: Attributes;
  /** Request attributes of the operation span besides sampling (output type, tools). */
  readonly requestAttributes?: Attributes;
  /** A grammar the output follows. */
  readonly constraint?: OutputConstraint;
  /** Log probabilities with this many alternatives per token. */
  readonly logprobs?: { readonly top: number };
  /** Tool calls read out of the output (tool_choice other than none). */
  readonly toolCalling?: (syntax: ToolCalling['syntax']) => ToolCalling;
  /** Where the generated text starts, for text_offset (the prompt's length on /v1/completions). */
  readonly textOffset?: number;
}

function toApiError(error: unknown, call: GenerationCall, timedOut: boolean): unknown {
  if (error instanceof ContextLengthExceededError) {
    const param =
      call.sampling.maxTokens !== undefined && error.promptTokens < error.contextSize
        ? call.maxTokensParam
        : call.promptParam;
    const advice = `Please reduce the length of ${call.promptParam} or ${call.maxTokensParam}.`;
    return new ApiError('context_length_exceeded', `${error.message} ${advice}`, param);
  }
  return engineApiError(error, timedOut, 'The request timed out while waiting for a free sequence.');
}

const sse = (data: object | string) => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

export async function handleGeneration(
  app: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  call: GenerationCall,
): Promise<unknown> {
  const engine = app.requireEngine();
  const model = app.config.modelAlias;
  const id = `${call.format.idPrefix}${randomUUID().replaceAll('-', '')}`;
  const ids: ResponseIds = { id, created: Math.floor(Date.now() / 1000), model };
  const toolCalling = call.toolCalling?.(engine.functionCallSyntax);
  const choice = new ChoiceOutput(toolCalling, call.textOffset);
  const withLogprobs = call.logprobs !== undefined;
  const tracer = new RequestTracer({
    tracer: app.telemetry.tracer,
    metrics: app.metrics,
    parent: request.otel.context,
    operation: call.operation,
    model,
    sampling: call.sampling,
    detail: app.config.traceDetail,
    eventCountLimit: app.telemetry.eventCountLimit,
    captureContent: app.config.captureContent,
    inputContent: call.inputContent,
    requestAttributes: call.requestAttributes,
  });

  // Stop generating as soon as the client goes away or the request runs out of time.
  const disconnected = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) disconnected.abort();
  });
  const timeout = AbortSignal.timeout(app.config.requestTimeoutSeconds * 1000);
  const signal = AbortSignal.any([disconnected.signal, timeout]);
  const fail = (error: unknown) => {
    const aborted = error instanceof AbortedError && !timeout.aborted;
    tracer.failed(error, { aborted });
    return toApiError(error, call, timeout.aborted);
  };

  const generationRequest = {
    input: call.input,
    sampling: call.sampling,
    constraint: call.constraint,
    logprobs: call.logprobs,
    signal,
  };
  const succeeded = (result: GenerationResult) =>
    tracer.succeeded(result, id, {
      content: choice.content,
      toolCalls: choice.toolCalls,
      finishReason: choice.finishReason(result.finishReason),
    });

  if (!call.stream) {
    let result: GenerationResult;
    try {
      result = await engine.generate({
        ...generationRequest,
        observer: tracer,
        // A whole call read (tool_choice auto) ends the generation.
        onText: (delta: string, logprobs: readonly TokenLogprob[]) => {
          choice.push(delta, logprobs);
          return choice.callDone ? 'stop' : undefined;
        },
      });
    } catch (error) {
      throw fail(error);
    }
    choice.finish();
    succeeded(result);
    if (timeout.aborted)
      throw new ApiError(
        'request_timeout',
        `The request ran past ${app.config.requestTimeoutSeconds}s and was stopped.`,
      );
    return call.format.full(ids, result, choice, withLogprobs);
  }

  // A Readable fed with push(): each event goes straight to the piped response, without the
  // Writable + Transform hop a PassThrough adds per token.
  const stream = new Readable({ read() {} });
  let ended = false;
  const push = (event: string) => {
    if (!ended && !stream.destroyed) stream.push(event);
  };
  const write = (data: object | string) => push(sse(data));
  const end = () => {
    if (ended) return;
    ended = true;
    if (!stream.destroyed) stream.push(null);
  };
  let markStarted = () => {};
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  const observer: GenerationObserver = {
    phaseStarted(phase) {
      tracer.phaseStarted(phase);
      if (phase !== 'prefill') return;
      // From here on nothing can fail with an HTTP error: open the stream.
      const first = call.format.start(ids, toolCalling?.forced === true);
      if (first) write(first);
      markStarted();
    },
    phaseEnded: (phase, info) => tracer.phaseEnded(phase, info),
    tokenGenerated: (timing) => tracer.tokenGenerated(timing),
  };
  const generation = engine.generate({
    ...generationRequest,
    observer,
    onText: (delta: string, logprobs: readonly TokenLogprob[]) => {
      for (const event of choice.push(delta, logprobs)) write(call.format.event(ids, event, withLogprobs));
      return choice.callDone ? 'stop' : undefined;
    },
  });
  try {
    await Promise.race([started, generation]);
  } catch (error) {
    throw fail(error);
  }
  generation.then(
    (result) => {
      for (const event of choice.finish()) write(call.format.event(ids, event, withLogprobs));
      succeeded(result);
      if (timeout.aborted) {
        write(
          new ApiError(
            'request_timeout',
            `The request ran past ${app.config.requestTimeoutSeconds}s and was stopped.`,
          ).toJSON(),
        );
      } else {
        write(call.format.finish(ids, choice.finishReason(result.finishReason)));
        if (call.includeUsage) write(call.format.usage(ids, usageOf(result)));
      }
      write('[DONE]');
      end();
    },
    (error) => {
      const apiError = fail(error);
      write(
        apiError instanceof ApiError
          ? apiError.toJSON()
          : new ApiError('server_error', 'Generation failed.').toJSON(),
      );
      app.log.error('generation failed mid-stream', { error: String(error) });
      end();
    },
  );
  return reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('x-accel-buffering', 'no')
    .send(stream);
}
