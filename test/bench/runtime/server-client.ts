// Drives an OpenAI-compatible server (kubellama-runtime or llama-server) over HTTP: streamed
// completions, timed at the client from the request to the first and last content chunk.
import { type RunResult, type StreamTiming, summarize } from './measure.js';

export interface ServerBenchOptions {
  readonly url: string;
  readonly model: string;
  readonly prompt: string;
  readonly maxTokens: number;
}

async function stream(options: ServerBenchOptions): Promise<StreamTiming> {
  const started = performance.now();
  const response = await fetch(`${options.url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: options.model,
      prompt: options.prompt,
      max_tokens: options.maxTokens,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  if (response.status !== 200)
    throw new Error(`server answered ${response.status}: ${await response.text()}`);
  const decoder = new TextDecoder();
  let first = 0;
  let last = 0;
  let tokens = 0;
  let chunks = 0;
  let buffer = '';
  for await (const chunk of response.body!) {
    const now = performance.now();
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    const events = buffer.split('\n\n');
    buffer = events.pop() ?? '';
    for (const event of events) {
      if (!event.startsWith('data: {')) continue;
      const data = JSON.parse(event.slice(6)) as {
        choices: Array<{ text: string }>;
        usage?: { completion_tokens: number };
      };
      if (data.usage) tokens = data.usage.completion_tokens;
      if (data.choices[0]?.text) {
        if (first === 0) first = now;
        last = now;
        chunks++;
      }
    }
  }
  // A server that sends no usage in the stream: one content chunk is one token.
  return { ttft: (first - started) / 1000, decode: (last - first) / 1000, tokens: tokens || chunks };
}

/** `concurrency` streams at once against the server. */
export async function serverRun(options: ServerBenchOptions, concurrency: number): Promise<RunResult> {
  const started = performance.now();
  const streams = await Promise.all(Array.from({ length: concurrency }, () => stream(options)));
  return summarize(concurrency, streams, (performance.now() - started) / 1000);
}
