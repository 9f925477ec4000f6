// POST /v1/chat/completions
import type { FastifyInstance } from 'fastify';
import { ATTR_GEN_AI_INPUT_MESSAGES, GEN_AI_OPERATION_CHAT } from '../../telemetry/semconv.js';
import type { AppContext } from '../app-context.js';
import { planChat } from '../chat-request.js';
import { handleGeneration } from '../generation-handler.js';
import { chatCompletionRequest } from '../openai-types.js';
import { CHAT_COMPLETION_FIELDS } from '../request-fields.js';
import { chatFormat } from '../response-format.js';
import { parseBody } from '../validate.js';
import { checkModel, samplingOf } from './sampling.js';

export const CHAT_COMPLETIONS_PATH = '/v1/chat/completions';

/** gen_ai.input.messages: text parts, and the assistant's tool calls with their responses. */
function inputMessages(plan: ReturnType<typeof planChat>): string {
  const out: object[] = [];
  for (const m of plan.messages) {
    const parts: object[] = m.content ? [{ type: 'text', content: m.content }] : [];
    for (const call of m.functionCalls ?? [])
      parts.push({ type: 'tool_call', name: call.name, arguments: call.params });
    out.push({ role: m.role, parts });
    for (const call of m.functionCalls ?? [])
      out.push({ role: 'tool', parts: [{ type: 'tool_call_response', response: call.result }] });
  }
  return JSON.stringify(out);
}

export function registerChatCompletions(app: FastifyInstance, context: AppContext): void {
  app.post(CHAT_COMPLETIONS_PATH, async (request, reply) => {
    const body = parseBody(chatCompletionRequest, request.body, CHAT_COMPLETION_FIELDS);
    checkModel(body.model, context);
    const plan = planChat(body);
    return handleGeneration(context, request, reply, {
      operation: GEN_AI_OPERATION_CHAT,
      format: chatFormat,
      input: { kind: 'chat', messages: plan.messages, functions: plan.functions },
      sampling: samplingOf(body, body.max_completion_tokens ?? undefined),
      stream: body.stream === true,
      includeUsage: body.stream_options?.include_usage === true,
      promptParam: 'messages',
      maxTokensParam: body.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens',
      inputContent: { [ATTR_GEN_AI_INPUT_MESSAGES]: inputMessages(plan), ...plan.toolDefinitions },
      requestAttributes: plan.requestAttributes,
      constraint: plan.constraint,
      logprobs: plan.logprobs,
      toolCalling: plan.toolCalling,
    });
  });
}
