// A checked chat request → what the engine takes: messages with the assistant's earlier calls and
// their results, the functions to render, the grammar (response_format, forced tool calls), how to
// read calls out of the output, and the request's span attributes. Requests that ask for something
// the runtime cannot do exactly get a 400 naming the field.
import type { Attributes } from '@opentelemetry/api';
import type { ChatFunctionCall, ChatMessage, FunctionDefinition, OutputConstraint } from '../engine/types.js';
import {
  ATTR_GEN_AI_OUTPUT_TYPE,
  ATTR_GEN_AI_TOOL_DEFINITIONS,
  ATTR_LLAMA_REQUEST_TOOL_CHOICE,
  ATTR_LLAMA_REQUEST_TOOLS,
  GEN_AI_OUTPUT_TYPE_JSON,
  GEN_AI_OUTPUT_TYPE_TEXT,
} from '../telemetry/semconv.js';
import type { ToolCalling } from './choice-output.js';
import { ApiError } from './errors.js';
import { checkJsonSchema } from './json-schema-support.js';
import type { ChatCompletionRequest, ChatRequestMessage } from './openai-types.js';

export interface ChatPlan {
  readonly messages: ChatMessage[];
  readonly functions: FunctionDefinition[] | undefined;
  readonly constraint: OutputConstraint | undefined;
  readonly toolCalling: ((syntax: ToolCalling['syntax']) => ToolCalling) | undefined;
  readonly logprobs: { readonly top: number } | undefined;
  readonly requestAttributes: Attributes;
  /** Recorded only with content capture on. */
  readonly toolDefinitions: Attributes;
}

const textOf = (content: ChatRequestMessage['content']): string =>
  typeof content === 'string' ? content : (content ?? []).map((part) => part.text).join('');

/** A tool's output: its JSON value when it is JSON, else the text (the wrapper renders either). */
function resultOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * OpenAI's rule: an assistant message with tool_calls is followed by one tool message per call id,
 * and a tool message answers a call of the assistant message before it.
 */
function messagesOf(messages: readonly ChatRequestMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    if (message.role === 'tool') {
      throw new ApiError(
        'invalid_value',
        `Invalid value for 'messages[${i}].role': a message with role 'tool' must answer a 'tool_calls' entry of the assistant message before it.`,
        `messages[${i}].role`,
      );
    }
    if (message.role !== 'assistant' || !message.tool_calls?.length) {
      out.push({ role: message.role, content: textOf(message.content) });
      continue;
    }
    const answers = new Map<string, string>();
    let j = i + 1;
    for (; j < messages.length && messages[j]!.role === 'tool'; j++) {
      const tool = messages[j] as Extract<ChatRequestMessage, { role: 'tool' }>;
      if (
        !message.tool_calls.some((call) => call.id === tool.tool_call_id) ||
        answers.has(tool.tool_call_id)
      ) {
        throw new ApiError(
          'invalid_value',
          `Invalid value for 'messages[${j}].tool_call_id': '${tool.tool_call_id}' does not answer an unanswered tool call of messages[${i}].`,
          `messages[${j}].tool_call_id`,
        );
      }
      answers.set(tool.tool_call_id, textOf(tool.content));
    }
    const calls: ChatFunctionCall[] = message.tool_calls.map((call, k) => {
      const param = `messages[${i}].tool_calls[${k}]`;
      if (!answers.has(call.id)) {
        throw new ApiError(
          'invalid_value',
          `Invalid value for '${param}.id': an assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'; '${call.id}' has none.`,
          `${param}.id`,
        );
      }
      let params: unknown;
      try {
        params = call.function.arguments.trim() === '' ? {} : JSON.parse(call.function.arguments);
      } catch {
        throw new ApiError(
          'invalid_value',
          `Invalid value for '${param}.function.arguments': expected a JSON text.`,
          `${param}.function.arguments`,
        );
      }
      return { name: call.function.name, params, result: resultOf(answers.get(call.id)!) };
    });
    out.push({ role: 'assistant', content: textOf(message.content), functionCalls: calls });
    i = j - 1;
  }
  return out;
}

function functionsOf(body: ChatCompletionRequest): FunctionDefinition[] {
  const seen = new Set<string>();
  return (body.tools ?? []).map((tool, i) => {
    const { name, description, parameters } = tool.function;
    if (seen.has(name)) {
      throw new ApiError(
        'invalid_value',
        `Invalid value for 'tools[${i}].function.name': '${name}' is defined twice.`,
        `tools[${i}].function.name`,
      );
    }
    seen.add(name);
    const param = `tools[${i}].function.parameters`;
    const params = parameters === undefined ? undefined : checkJsonSchema(parameters, param);
    if (params !== undefined && !('type' in params && params.type === 'object')) {
      throw new ApiError(
        'invalid_value',
        `Invalid value for '${param}': the parameters must be an object schema.`,
        param,
      );
    }
    return { name, description, params };
  });
}

export function planChat(body: ChatCompletionRequest): ChatPlan {
  const messages = messagesOf(body.messages);
  const functions = functionsOf(body);
  const choice = body.tool_choice ?? (functions.length > 0 ? 'auto' : 'none');
  if (body.tool_choice != null && functions.length === 0) {
    throw new ApiError(
      'invalid_value',
      "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
      'tool_choice',
    );
  }
  let forcedNames: string[] | undefined;
  if (typeof choice === 'object') {
    const name = choice.function.name;
    if (!functions.some((fn) => fn.name === name)) {
      throw new ApiError(
        'invalid_value',
        `Invalid value for 'tool_choice.function.name': no tool named '${name}' is in 'tools'.`,
        'tool_choice.function.name',
      );
    }
    forcedNames = [name];
  } else if (choice === 'required') {
    forcedNames = functions.map((fn) => fn.name);
  }
  const calling = choice !== 'none';

  let constraint: OutputConstraint | undefined;
  const format = body.response_format;
  if (format && format.type !== 'text') {
    if (calling) {
      throw new ApiError(
        'unsupported_value',
        "Unsupported value for 'response_format': a JSON response format cannot be combined with tools unless 'tool_choice' is 'none'.",
        'response_format',
      );
    }
    constraint =
      format.type === 'json_object'
        ? { kind: 'json' }
        : {
            kind: 'json_schema',
            schema: checkJsonSchema(format.json_schema.schema, 'response_format.json_schema.schema'),
          };
  }
  if (forcedNames) constraint = { kind: 'function_call', functions: forcedNames };

  if (body.top_logprobs != null && body.logprobs !== true) {
    throw new ApiError(
      'invalid_value',
      "Invalid value for 'top_logprobs': 'logprobs' must be true when 'top_logprobs' is set.",
      'top_logprobs',
    );
  }
  const logprobs = body.logprobs === true ? { top: body.top_logprobs ?? 0 } : undefined;
  if (logprobs && calling) {
    throw new ApiError(
      'unsupported_value',
      "Unsupported value for 'logprobs': log probabilities are given for content only; set 'tool_choice' to 'none' or leave logprobs off.",
      'logprobs',
    );
  }

  const names = functions.map((fn) => fn.name);
  return {
    messages,
    // tool_choice none: the model is not shown the tools (it may not call them).
    functions: calling ? functions : undefined,
    constraint,
    toolCalling: calling
      ? (syntax) => ({ syntax, names: forcedNames ?? names, forced: forcedNames !== undefined })
      : undefined,
    logprobs,
    requestAttributes: {
      [ATTR_GEN_AI_OUTPUT_TYPE]:
        format && format.type !== 'text' ? GEN_AI_OUTPUT_TYPE_JSON : GEN_AI_OUTPUT_TYPE_TEXT,
      [ATTR_LLAMA_REQUEST_TOOLS]: functions.length,
      ...(functions.length > 0
        ? { [ATTR_LLAMA_REQUEST_TOOL_CHOICE]: typeof choice === 'object' ? 'function' : choice }
        : {}),
    },
    toolDefinitions:
      functions.length > 0 ? { [ATTR_GEN_AI_TOOL_DEFINITIONS]: JSON.stringify(body.tools) } : {},
  };
}
