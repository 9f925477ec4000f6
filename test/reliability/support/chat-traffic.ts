// One chat completion as a client sees it, never longer than its deadline: the HTTP status, whether
// a stream ended cleanly (`data: [DONE]` after a finish_reason), how it ended otherwise (an error, a
// body cut short), the time to the first token and the trace id the runtime's traceresponse header
// names. Plain fetch and hand-read SSE lines on purpose: the suites assert on what arrives on the
// wire, which a client library would hide (retries, its own parsing).
import { TRACERESPONSE_HEADER } from '../../../charts/runtime-contract.js';
import { traceIdOf } from '../../../lib/trace-response.js';

export type ChatOutcome =
  /** 200 and, streamed, a finish_reason then `[DONE]`; not streamed, a JSON body with choices. */
  | 'complete'
  /** A non-200 answer (the body is in `error`). */
  | 'http-error'
  /** The connection failed or the body stopped before its end: the client was told (an error or EOF). */
  | 'cut'
  /** Cancelled by the caller (its signal). */
  | 'cancelled'
  /** The deadline passed with the request still open: what must never happen. */
  | 'hang';

export interface ChatResult {
  readonly outcome: ChatOutcome;
  readonly status?: number;
  readonly traceId?: string;
  /** Milliseconds from sending to the first content chunk (streamed) or to the answer (not). */
  readonly ttftMs?: number;
  readonly ms: number;
  /** Content chunks received (streamed) or completion tokens (from usage, not streamed). */
  readonly tokens: number;
  readonly finishReason?: string;
  readonly error?: string;
  readonly retryAfter?: string;
}

export interface ChatOptions {
  readonly model: string;
  readonly stream: boolean;
  readonly maxTokens: number;
  readonly prompt?: string;
  /** `completions` sends `prompt` to /v1/completions. @default 'chat' */
  readonly api?: 'chat' | 'completions';
  /** @default the server's */
  readonly temperature?: number;
  /** The whole request's bound (connect, headers and body). */
  readonly deadlineMs: number;
  /** Aborts the request (outcome 'cancelled'). */
  readonly signal?: AbortSignal;
  /** Called once with the first content chunk of a stream. */
  readonly onFirstToken?: () => void;
}

/** `baseUrl` is the runtime's root (`http://host:port`); the request goes to /v1/chat/completions or /v1/completions. */
export async function chatCompletion(baseUrl: string, options: ChatOptions): Promise<ChatResult> {
  const t0 = performance.now();
  const deadline = AbortSignal.timeout(options.deadlineMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  const since = () => performance.now() - t0;
  const ended = (error: unknown, base: Partial<ChatResult>): ChatResult => {
    const outcome: ChatOutcome = options.signal?.aborted ? 'cancelled' : deadline.aborted ? 'hang' : 'cut';
    return { tokens: 0, ...base, outcome, ms: since(), error: describe(error) };
  };
  let response: Response;
  try {
    const prompt = options.prompt ?? 'Tell me a long story about a lighthouse.';
    const completions = options.api === 'completions';
    response = await fetch(`${baseUrl}/v1/${completions ? 'completions' : 'chat/completions'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: options.model,
        ...(completions ? { prompt } : { messages: [{ role: 'user', content: prompt }] }),
        max_tokens: options.maxTokens,
        stream: options.stream,
        ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      }),
      signal,
    });
  } catch (error) {
    return ended(error, {});
  }
  const status = response.status;
  const header = response.headers.get(TRACERESPONSE_HEADER);
  const traceId = header ? traceIdOf(header) : undefined;
  const base = { status, ...(traceId ? { traceId } : {}) };
  if (status !== 200) {
    const body = await response.text().catch((error: unknown) => describe(error));
    const retryAfter = response.headers.get('retry-after');
    return {
      ...base,
      outcome: 'http-error',
      ms: since(),
      tokens: 0,
      error: body.slice(0, 300),
      ...(retryAfter ? { retryAfter } : {}),
    };
  }
  if (!options.stream) {
    try {
      const body = (await response.json()) as {
        choices?: { finish_reason?: string }[];
        usage?: { completion_tokens?: number };
      };
      const finishReason = body.choices?.[0]?.finish_reason;
      return {
        ...base,
        outcome: body.choices?.length ? 'complete' : 'cut',
        ms: since(),
        ttftMs: since(),
        tokens: body.usage?.completion_tokens ?? 0,
        ...(finishReason ? { finishReason } : {}),
      };
    } catch (error) {
      return ended(error, base);
    }
  }
  let tokens = 0;
  let ttftMs: number | undefined;
  let finishReason: string | undefined;
  let done = false;
  let buffer = '';
  try {
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') {
          done = true;
          continue;
        }
        const event = JSON.parse(data) as {
          choices?: { delta?: { content?: string }; text?: string; finish_reason?: string | null }[];
        };
        const choice = event.choices?.[0];
        if (choice?.delta?.content || choice?.text) {
          if (ttftMs === undefined) {
            ttftMs = since();
            options.onFirstToken?.();
          }
          tokens++;
        }
        if (choice?.finish_reason) finishReason = choice.finish_reason;
      }
    }
  } catch (error) {
    return ended(error, {
      ...base,
      tokens,
      ...(ttftMs === undefined ? {} : { ttftMs }),
      ...(finishReason ? { finishReason } : {}),
    });
  }
  return {
    ...base,
    outcome: done && finishReason ? 'complete' : 'cut',
    ms: since(),
    tokens,
    ...(ttftMs === undefined ? {} : { ttftMs }),
    ...(finishReason ? { finishReason } : {}),
    ...(done ? {} : { error: 'the stream ended without data: [DONE]' }),
  };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}

/** The p-th percentile (0–100) of the values, nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
