// POST /v1/completions (legacy text completions)
import type { FastifyInstance } from 'fastify';
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_TYPE,
  GEN_AI_OPERATION_TEXT_COMPLETION,
  GEN_AI_OUTPUT_TYPE_TEXT,
} from '../../telemetry/semconv.js';
import type { AppContext } from '../app-context.js';
import { handleGeneration } from '../generation-handler.js';
import { completionRequest } from '../openai-types.js';
import { COMPLETION_FIELDS } from '../request-fields.js';
import { completionFormat } from '../response-format.js';
import { parseBody } from '../validate.js';
import { checkModel, samplingOf } from './sampling.js';

export const COMPLETIONS_PATH = '/v1/completions';

export function registerCompletions(app: FastifyInstance, context: AppContext): void {
  app.post(COMPLETIONS_PATH, async (request, reply) => {
    const body = parseBody(completionRequest, request.body, COMPLETION_FIELDS);
    checkModel(body.model, context);
    const prompt = typeof body.prompt === 'string' ? body.prompt : body.prompt[0]!;
    return handleGeneration(context, request, reply, {
      operation: GEN_AI_OPERATION_TEXT_COMPLETION,
      format: completionFormat,
      input: { kind: 'text', prompt },
      // The legacy endpoint's default is 16 tokens.
      sampling: samplingOf(body, undefined, 16),
      stream: body.stream === true,
      includeUsage: body.stream_options?.include_usage === true,
      promptParam: 'prompt',
      maxTokensParam: 'max_tokens',
      requestAttributes: { [ATTR_GEN_AI_OUTPUT_TYPE]: GEN_AI_OUTPUT_TYPE_TEXT },
      logprobs: body.logprobs == null ? undefined : { top: body.logprobs },
      // text_offset counts from the start of the prompt, as OpenAI's does.
      textOffset: prompt.length,
      inputContent: {
        [ATTR_GEN_AI_INPUT_MESSAGES]: JSON.stringify([
          { role: 'user', parts: [{ type: 'text', content: prompt }] },
        ]),
      },
    });
  });
}
