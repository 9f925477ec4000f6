// POST /v1/chat/completions
import type { FastifyInstance } from 'fastify';
import type { ChatMessage } from '../../engine/types.js';
import { ATTR_GEN_AI_INPUT_MESSAGES, GEN_AI_OPERATION_CHAT } from '../../telemetry/semconv.js';
import type { AppContext } from '../app-context.js';
import { handleGeneration } from '../generation-handler.js';
import { type ChatCompletionRequest, chatCompletionRequest } from '../openai-types.js';
import { chatFormat } from '../response-format.js';
import { parseBody } from '../validate.js';
import { checkModel, samplingOf } from './sampling.js';

export const CHAT_COMPLETIONS_PATH = '/v1/chat/completions';

function messagesOf(body: ChatCompletionRequest): ChatMessage[] {
  return body.messages.map((message) => ({
    role: message.role,
    content:
      typeof message.content === 'string'
        ? message.content
        : (message.content ?? []).map((part) => part.text).join(''),
  }));
}

export function registerChatCompletions(app: FastifyInstance, context: AppContext): void {
  app.post(CHAT_COMPLETIONS_PATH, async (request, reply) => {
    const body = parseBody(chatCompletionRequest, request.body);
    checkModel(body.model, context);
    const messages = messagesOf(body);
    return handleGeneration(context, request, reply, {
      operation: GEN_AI_OPERATION_CHAT,
      format: chatFormat,
      input: { kind: 'chat', messages },
      sampling: samplingOf(body, body.max_completion_tokens ?? undefined),
      stream: body.stream === true,
      includeUsage: body.stream_options?.include_usage === true,
      promptParam: 'messages',
      inputContent: {
        [ATTR_GEN_AI_INPUT_MESSAGES]: JSON.stringify(
          messages.map((m) => ({ role: m.role, parts: [{ type: 'text', content: m.content }] })),
        ),
      },
    });
  });
}
