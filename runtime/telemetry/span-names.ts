// Span and event names of the runtime's traces (ARCHITECTURE.md, "One request").

export const SPAN_QUEUE = 'llama.queue' as const;
export const SPAN_TOKENIZE = 'llama.tokenize' as const;
export const SPAN_PREFILL = 'llama.prefill' as const;
export const SPAN_DECODE = 'llama.decode' as const;
export const SPAN_MODEL_LOAD = 'llama.model.load' as const;

export const EVENT_FIRST_TOKEN = 'first_token' as const;
/** One batch of per-token timing records (detail=token). */
export const EVENT_TOKEN_TIMINGS = 'llama.token_timings' as const;

/** The operation span: `{operation} {model}`, as the GenAI conventions name it. */
export function operationSpanName(operation: string, model: string): string {
  return `${operation} ${model}`;
}

/** The HTTP server span: `{method} {route}`. */
export function httpSpanName(method: string, route: string | undefined): string {
  return route ? `${method} ${route}` : method;
}
