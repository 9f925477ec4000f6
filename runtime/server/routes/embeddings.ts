// POST /v1/embeddings: OpenAI's request and response shapes on the engine's embeddings
// (engine/embeddings.ts). `input` is a string, an array of strings, an array of token ids or an
// array of those; `encoding_format` float or base64 (little-endian float32, as OpenAI sends it);
// `dimensions` only as the model's own size, since the runtime cannot shorten a vector.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Token } from 'node-llama-cpp';
import { z } from 'zod';
import { RUNTIME_PATHS } from '../../../charts/runtime-contract.js';
import type { EmbeddingInput, EmbeddingResult } from '../../engine/embeddings.js';
import { AbortedError } from '../../engine/errors/aborted-error.js';
import { EmbeddingInputTooLongError } from '../../engine/errors/embedding-input-too-long-error.js';
import type { ModelTokenizer } from '../../engine/tokenizer.js';
import { EmbeddingsTracer } from '../../telemetry/embeddings-tracer.js';
import type { AppContext } from '../app-context.js';
import { engineApiError } from '../engine-errors.js';
import { ApiError } from '../errors.js';
import type { FieldRule } from '../request-fields.js';
import { describeValue, parseBody } from '../validate.js';
import { checkModel } from './sampling.js';

export const EMBEDDINGS_PATH = `${RUNTIME_PATHS.openAiBase}/embeddings`;

/** OpenAI's limit on the items of one request. */
export const MAX_EMBEDDING_INPUTS = 2048;

const embeddingsRequest = z.object({
  model: z.string().min(1),
  // Checked by inputsOf, whose messages say what an empty or mixed input is.
  input: z.unknown(),
  encoding_format: z.enum(['float', 'base64']).nullable().optional(),
  dimensions: z.int().min(1).nullable().optional(),
  // Accepted and ignored, as OpenAI uses it only for abuse monitoring.
  user: z.string().optional(),
});

/** Every field OpenAI's embeddings endpoint defines; any other is refused (unknown_parameter). */
export const EMBEDDINGS_FIELDS: Readonly<Record<string, FieldRule>> = {
  model: { use: 'honoured', note: 'must name the served model (its alias)' },
  input: { use: 'honoured', note: 'a string, strings, token ids or arrays of token ids; at most 2048 items' },
  encoding_format: { use: 'honoured', note: 'float or base64 (little-endian float32)' },
  dimensions: { use: 'honoured', note: "only the model's embedding size: a vector cannot be shortened" },
  user: { use: 'ignored', note: 'an end-user id for abuse monitoring; no effect on the result' },
};

export interface EmbeddingList {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

const isTokenId = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;

/** One array of token ids, every id in the model's vocabulary. */
function tokenArray(value: unknown[], param: string, tokenizer: ModelTokenizer): Token[] {
  if (value.length === 0) throw new ApiError('invalid_value', `'${param}' cannot be an empty array.`, param);
  value.forEach((token, j) => {
    if (!isTokenId(token) || !tokenizer.isValidToken(token)) {
      throw new ApiError(
        'invalid_value',
        `Invalid value for '${param}[${j}]': ${describeValue(token)} is not a token id of this model (0 to ${tokenizer.vocabularySize - 1}).`,
        `${param}[${j}]`,
      );
    }
  });
  return value as Token[];
}

/** The inputs of a request as a list, or a 400 naming the offending item. */
export function inputsOf(input: unknown, tokenizer: ModelTokenizer): EmbeddingInput[] {
  if (input === undefined || input === null)
    throw new ApiError('missing_required_parameter', "Missing required parameter: 'input'.", 'input');
  if (typeof input === 'string') {
    if (input === '') throw new ApiError('invalid_value', "'input' cannot be an empty string.", 'input');
    return [input];
  }
  if (!Array.isArray(input)) {
    throw new ApiError(
      'invalid_type',
      "Invalid type for 'input': expected a string, an array of strings, an array of token ids or an array of arrays of token ids.",
      'input',
    );
  }
  if (input.length === 0) throw new ApiError('invalid_value', "'input' cannot be an empty array.", 'input');
  if (input.length > MAX_EMBEDDING_INPUTS) {
    throw new ApiError(
      'invalid_value',
      `Invalid value for 'input': expected at most ${MAX_EMBEDDING_INPUTS} items, but got ${input.length}.`,
      'input',
    );
  }
  if (input.every((item) => typeof item === 'number')) return [tokenArray(input, 'input', tokenizer)];
  return input.map((item, i) => {
    const param = `input[${i}]`;
    if (typeof item === 'string') {
      if (item === '') throw new ApiError('invalid_value', `'${param}' cannot be an empty string.`, param);
      return item;
    }
    if (Array.isArray(item)) return tokenArray(item, param, tokenizer);
    throw new ApiError(
      'invalid_type',
      `Invalid type for '${param}': expected a string or an array of token ids, but got ${item === null ? 'null' : typeof item}.`,
      param,
    );
  });
}

/** Little-endian float32, base64: what OpenAI sends and its clients decode. */
function base64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((x, i) => {
    bytes.writeFloatLE(x, i * 4);
  });
  return bytes.toString('base64');
}

function toApiError(error: unknown, timedOut: boolean, inputParam: (index: number) => string): unknown {
  if (error instanceof EmbeddingInputTooLongError) {
    // Named as the request names it (input, input[2]), which the engine's message cannot know.
    const param = inputParam(error.index);
    return new ApiError(
      'context_length_exceeded',
      `This model's maximum context length is ${error.contextSize} tokens, but ${param} has ${error.inputTokens} tokens. Please shorten it.`,
      param,
    );
  }
  return engineApiError(error, timedOut, 'The request timed out before its embeddings were computed.');
}

async function handleEmbeddings(
  context: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<EmbeddingList> {
  const body = parseBody(embeddingsRequest, request.body, EMBEDDINGS_FIELDS);
  checkModel(body.model, context);
  const engine = context.requireEngine();
  const inputs = inputsOf(body.input, engine.tokenizer);
  const dimensions = engine.embeddingDimensions;
  if (body.dimensions !== undefined && body.dimensions !== null && body.dimensions !== dimensions) {
    throw new ApiError(
      'unsupported_value',
      `Unsupported value for 'dimensions': this model's embeddings have ${dimensions} dimensions and cannot be shortened.`,
      'dimensions',
    );
  }
  const format = body.encoding_format ?? 'float';
  const model = context.config.modelAlias;
  const tracer = new EmbeddingsTracer({
    tracer: context.telemetry.tracer,
    metrics: context.metrics,
    parent: request.otel.context,
    model,
    encodingFormat: format,
  });

  // Stop as soon as the client goes away or the request runs out of time.
  const disconnected = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) disconnected.abort();
  });
  const timeout = AbortSignal.timeout(context.config.requestTimeoutSeconds * 1000);
  let result: EmbeddingResult;
  try {
    result = await engine.embed({
      inputs,
      observer: tracer,
      signal: AbortSignal.any([disconnected.signal, timeout]),
    });
  } catch (error) {
    tracer.failed(error, { aborted: error instanceof AbortedError && !timeout.aborted });
    // A single text or token array is `input` itself; an item of a list is `input[i]`.
    const single =
      typeof body.input === 'string' ||
      (Array.isArray(body.input) && body.input.every((item) => typeof item === 'number'));
    throw toApiError(error, timeout.aborted, (index) => (single ? 'input' : `input[${index}]`));
  }
  tracer.succeeded(result, dimensions);
  return {
    object: 'list',
    data: result.vectors.map((vector, index) => ({
      object: 'embedding',
      index,
      // Float32 values either way, so both formats carry the same numbers.
      embedding: format === 'base64' ? base64(vector) : vector.map(Math.fround),
    })),
    model,
    usage: { prompt_tokens: result.inputTokens, total_tokens: result.inputTokens },
  };
}

export function registerEmbeddings(app: FastifyInstance, context: AppContext): void {
  app.post(EMBEDDINGS_PATH, (request, reply) => handleEmbeddings(context, request, reply));
}
