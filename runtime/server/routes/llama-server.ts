// llama-server's own endpoints that users' scripts call, as compatibility aliases with llama-server's
// shapes (llama.cpp tools/server/README.md): GET /health (open, like /healthz), POST /tokenize,
// POST /detokenize and GET /props (behind the API key, like /v1).
import type { FastifyInstance } from 'fastify';
import type { Token } from 'node-llama-cpp';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { ApiError } from '../errors.js';
import { parseBody } from '../validate.js';

export const LLAMA_SERVER_PATHS = {
  health: '/health',
  tokenize: '/tokenize',
  detokenize: '/detokenize',
  props: '/props',
} as const;

const tokenizeRequest = z.object({
  content: z.string(),
  // llama-server's defaults: no BOS/EOS added, special-token text parsed.
  add_special: z.boolean().optional(),
  parse_special: z.boolean().optional(),
  with_pieces: z.boolean().optional(),
});

const detokenizeRequest = z.object({ tokens: z.array(z.int()) });

/** llama-server's answer while it cannot serve (its own error shape, not OpenAI's). */
function unavailable(message: string) {
  return { error: { code: 503, message, type: 'unavailable_error' } };
}

export function registerLlamaServerRoutes(app: FastifyInstance, context: AppContext): void {
  app.get(LLAMA_SERVER_PATHS.health, async (_request, reply) => {
    if (context.ready) return { status: 'ok' };
    const message = context.draining
      ? 'Shutting down'
      : context.loadError
        ? `Failed to load model: ${context.loadError.message}`
        : 'Loading model';
    return reply.code(503).send(unavailable(message));
  });

  app.post(LLAMA_SERVER_PATHS.tokenize, async (request) => {
    const body = parseBody(tokenizeRequest, request.body);
    const tokenizer = context.requireEngine().tokenizer;
    const tokens = tokenizer.tokenize(body.content, {
      addSpecial: body.add_special ?? false,
      parseSpecial: body.parse_special ?? true,
    });
    if (!body.with_pieces) return { tokens };
    return { tokens: tokens.map((id) => ({ id, piece: tokenizer.piece(id) })) };
  });

  app.post(LLAMA_SERVER_PATHS.detokenize, async (request) => {
    const body = parseBody(detokenizeRequest, request.body);
    const tokenizer = context.requireEngine().tokenizer;
    body.tokens.forEach((token, i) => {
      if (!tokenizer.isValidToken(token)) {
        throw new ApiError(
          'invalid_value',
          `Invalid value for 'tokens[${i}]': ${token} is not a token id of this model (0 to ${tokenizer.vocabularySize - 1}).`,
          `tokens[${i}]`,
        );
      }
    });
    return { content: tokenizer.detokenize(body.tokens as Token[]) };
  });

  app.get(LLAMA_SERVER_PATHS.props, async () => {
    const engine = context.requireEngine();
    const { tokenizer, info } = engine;
    return {
      // The per-sequence context, as llama-server's per-slot n_ctx.
      default_generation_settings: { n_ctx: info.contextSize },
      total_slots: info.parallel,
      model_alias: context.config.modelAlias,
      model_path: info.path,
      modalities: { vision: false, audio: false },
      chat_template: tokenizer.chatTemplate ?? '',
      bos_token: tokenizer.bosToken ?? '',
      eos_token: tokenizer.eosToken ?? '',
      build_info: engine.buildInfo,
    };
  });
}
