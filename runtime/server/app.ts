// The HTTP app: tracing and auth hooks, the routes, and one error handler that renders every
// failure (ours, fastify's, unexpected ones) in OpenAI's error shape.
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { RUNTIME_PATHS } from '../../charts/runtime-contract.js';
import { ATTR_ERROR_TYPE } from '../telemetry/semconv.js';
import type { AppContext } from './app-context.js';
import { registerAuth } from './auth.js';
import { ApiError } from './errors.js';
import { registerHttpTracing } from './http-tracing.js';
import { refusePoisonedKeys } from './poisoned-keys.js';
import { registerRequestLog } from './request-log.js';
import { CHAT_COMPLETIONS_PATH, registerChatCompletions } from './routes/chat-completions.js';
import { COMPLETIONS_PATH, registerCompletions } from './routes/completions.js';
import { EMBEDDINGS_PATH, registerEmbeddings } from './routes/embeddings.js';
import { LLAMA_SERVER_PATHS, registerLlamaServerRoutes } from './routes/llama-server.js';
import { MODELS_PATH, registerModels } from './routes/models.js';
import { registerProbes } from './routes/probes.js';

export interface AppOptions {
  /** Largest request body accepted, in bytes. @default 4 MiB */
  readonly bodyLimit?: number;
}

/** Methods served on each path, for 405 answers. */
const ALLOWED: Record<string, string> = {
  [CHAT_COMPLETIONS_PATH]: 'POST',
  [COMPLETIONS_PATH]: 'POST',
  [EMBEDDINGS_PATH]: 'POST',
  [LLAMA_SERVER_PATHS.health]: 'GET, HEAD',
  [LLAMA_SERVER_PATHS.tokenize]: 'POST',
  [LLAMA_SERVER_PATHS.detokenize]: 'POST',
  [LLAMA_SERVER_PATHS.props]: 'GET, HEAD',
  [MODELS_PATH]: 'GET, HEAD',
  [RUNTIME_PATHS.health]: 'GET, HEAD',
  [RUNTIME_PATHS.ready]: 'GET, HEAD',
  [RUNTIME_PATHS.metrics]: 'GET, HEAD',
};

/** fastify's own errors (body parsing, limits) as API errors. */
function fromFastify(error: FastifyError): ApiError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(
        'request_too_large',
        `The request body is larger than the limit: ${error.message}.`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(
        'unsupported_media_type',
        "The request body must be JSON with 'Content-Type: application/json'.",
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('invalid_json', 'The request body is empty; send a JSON object.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('invalid_json', `The request body is not valid JSON: ${error.message}.`);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('invalid_value', 'The Content-Length header does not match the body.');
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return new ApiError('invalid_json', `The request body is not valid JSON: ${error.message}.`);
  }
  if (error.statusCode === 413) return new ApiError('request_too_large', error.message);
  if (error.statusCode === 415) return new ApiError('unsupported_media_type', error.message);
  return undefined;
}

/**
 * The router's own refusals, which never reach the error handler: a path that is not valid
 * percent-encoding, a path parameter over the router's length limit (found by fuzzing: fastify
 * answered them in its own shape).
 */
function fromRouter(error: FastifyError): ApiError {
  if (error.code === 'FST_ERR_BAD_URL')
    return new ApiError('invalid_url', `The request path is not valid percent-encoding: ${error.message}.`);
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return new ApiError('uri_too_long', `A segment of the request path is too long: ${error.message}.`);
  return new ApiError('server_error', 'The server had an error while processing your request.');
}

export function buildApp(context: AppContext, options: AppOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: false,
    frameworkErrors: (error, _request, reply) => {
      const apiError = fromRouter(error);
      (reply as FastifyReply).code(apiError.status).send(apiError.toJSON());
    },
    bodyLimit: options.bodyLimit ?? 4 * 1024 * 1024,
    return503OnClosing: true,
    // Parsed plainly, then refused naming the key's path (poisoned-keys.ts) before any route reads it.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
  });
  app.addHook('preValidation', async (request) => refusePoisonedKeys(request.body));
  // JSON only: fastify would otherwise hand a text/plain body to the routes as a string.
  app.removeContentTypeParser('text/plain');
  registerHttpTracing(app, context.telemetry.tracer, context.telemetry.propagator);
  registerRequestLog(app, context.log);
  registerAuth(app, context.config.apiKey, [LLAMA_SERVER_PATHS.health]);
  app.addHook('onSend', async (_request, reply) => {
    // While draining, ask clients not to reuse the connection.
    if (context.draining) reply.header('connection', 'close');
  });
  registerProbes(app, context);
  registerModels(app, context);
  registerChatCompletions(app, context);
  registerCompletions(app, context);
  registerEmbeddings(app, context);
  registerLlamaServerRoutes(app, context);

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    const allowed = ALLOWED[path];
    const error = allowed
      ? new ApiError(
          'method_not_allowed',
          `${request.method} is not allowed on ${path}; use ${allowed}.`,
          null,
          { allow: allowed },
        )
      : new ApiError('not_found', `Unknown route: ${request.method} ${path}.`);
    return reply.code(error.status).headers(error.headers).send(error.toJSON());
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    let apiError = error instanceof ApiError ? error : fromFastify(error);
    if (!apiError) {
      context.log.error('unexpected error', {
        method: request.method,
        url: request.url,
        error: error.stack ?? String(error),
      });
      apiError = new ApiError('server_error', 'The server had an error while processing your request.');
    }
    request.otel?.span.setAttribute(ATTR_ERROR_TYPE, apiError.code);
    if (reply.raw.headersSent) return;
    return reply.code(apiError.status).headers(apiError.headers).send(apiError.toJSON());
  });
  return app;
}
