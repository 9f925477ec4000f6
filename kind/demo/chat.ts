// The demo's one request: an OpenAI chat completion to the model through its port-forward, the
// trace id from the runtime's W3C `traceresponse` header, and a wait until Jaeger has that trace.
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { TRACERESPONSE_HEADER } from '../../charts/runtime-contract.js';
import { traceIdOf } from '../../lib/trace-response.js';

export const DEMO_PROMPT = 'In one sentence: why is the sky blue?';

export interface ChatAnswer {
  readonly answer: string;
  readonly traceId: string;
}

/** Sampling the demo leaves to the model; tests of the tiny model ask greedily (temperature 0). */
export interface ChatSampling {
  readonly temperature?: number;
}

export async function chat(
  baseURL: string,
  model: string,
  prompt = DEMO_PROMPT,
  sampling: ChatSampling = {},
): Promise<ChatAnswer> {
  // The runtime needs no key unless one is configured; the client insists on some string.
  const client = new OpenAI({ baseURL, apiKey: 'unused', maxRetries: 2, timeout: 120_000 });
  const { data, response } = await client.chat.completions
    .create({ model, messages: [{ role: 'user', content: prompt }], max_tokens: 96, ...sampling })
    .withResponse();
  return {
    answer: data.choices[0]?.message.content?.trim() ?? '',
    traceId: traceIdOf(response.headers.get(TRACERESPONSE_HEADER)),
  };
}

interface JaegerSpan {
  readonly operationName: string;
  readonly startTime: number;
  readonly references?: readonly unknown[];
}

/**
 * The span names of a trace, in start order, once Jaeger's query API has its root span. Spans are
 * exported as they end, in batches, and the root (the HTTP server span) ends last: before it
 * arrives, the trace is incomplete.
 */
export async function waitForTrace(
  jaegerUrl: string,
  traceId: string,
  timeoutMs = 60_000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${jaegerUrl}/api/traces/${traceId}`).catch(() => undefined);
    if (response?.ok) {
      const body = (await response.json()) as { data?: { spans: JaegerSpan[] }[] };
      const spans = body.data?.[0]?.spans ?? [];
      if (spans.some((span) => (span.references ?? []).length === 0)) {
        return [...spans].sort((a, b) => a.startTime - b.startTime).map((span) => span.operationName);
      }
    }
    if (Date.now() > deadline) throw new Error(`Jaeger has no trace ${traceId} after ${timeoutMs / 1000} s`);
    await sleep(2_000);
  }
}
