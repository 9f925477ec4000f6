// Telemetry under continuous batching, in the real Jaeger and on /metrics: requests decoded together
// each keep their own prefill and decode spans (their own tokens, their own times), the decode span
// says how many sequences shared its steps (llama.batch.size.{min,mean,max}), and
// llamacpp.batch_size counts sequences per llama_decode (llama-server's n_busy_slots_per_decode).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeServer } from '../../runtime/server/runtime-server.js';
import {
  ATTR_LLAMA_BATCH_SIZE_MAX,
  ATTR_LLAMA_BATCH_SIZE_MEAN,
  ATTR_LLAMA_BATCH_SIZE_MIN,
  ATTR_LLAMA_DECODE_TOKENS,
  ATTR_LLAMA_PROMPT_TOKENS,
} from '../../runtime/telemetry/semconv.js';
import { SPAN_DECODE, SPAN_PREFILL } from '../../runtime/telemetry/span-names.js';
import { type Jaeger, type JaegerSpan, type JaegerTrace, startJaeger } from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import {
  jaegerTraceEnv,
  LONG_PROMPT,
  startTestServer,
  TEST_MODEL,
  type TinyModelDir,
  testConfig,
  tinyModelDir,
} from './runtime-fixture.js';

const PARALLEL = 3;
const MAX_TOKENS = 40;

const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;
const byName = (trace: JaegerTrace, name: string) => {
  const span = trace.spans.find((s) => s.operationName === name);
  if (!span) throw new Error(`no span '${name}' in ${trace.spans.map((s) => s.operationName).join(', ')}`);
  return span;
};

/** Sum and count of a histogram on a Prometheus page. */
function histogram(text: string, name: string): { sum: number; count: number } {
  const value = (series: string) =>
    Number(
      text
        .split('\n')
        .find((line) => line.startsWith(`${name}_${series}`))
        ?.split(' ')
        .at(-1) ?? 0,
    );
  return { sum: value('sum'), count: value('count') };
}

describe('telemetry under continuous batching (real Jaeger, real llama.cpp)', () => {
  let jaeger: Jaeger;
  let model: TinyModelDir;
  let server: RuntimeServer;

  beforeAll(async () => {
    [jaeger, model] = await Promise.all([startJaeger(), tinyModelDir()]);
    server = await startTestServer(
      testConfig(model.modelPath, { parallel: PARALLEL }),
      jaegerTraceEnv(jaeger, `batch-test-${randomBytes(3).toString('hex')}`),
    );
    await server.loaded();
  });

  afterAll(async () => {
    await server?.close();
    await jaeger?.stop();
    await model?.remove();
  });

  printLogsOnFailure(() => (jaeger ? [jaeger.process.logFile] : []));

  async function complete(traceId: string, maxTokens: number): Promise<void> {
    const response = await fetch(`${server.url}/v1/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      },
      body: JSON.stringify({ model: TEST_MODEL, prompt: LONG_PROMPT, max_tokens: maxTokens, temperature: 0 }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { usage: { completion_tokens: number } };
    expect(body.usage.completion_tokens).toBe(maxTokens);
  }

  it('gives each request its own spans and the batch size of its decode steps', async () => {
    const before = histogram(await (await fetch(`${server.url}/metrics`)).text(), 'llamacpp_batch_size');
    const traceIds = Array.from({ length: PARALLEL }, () => randomBytes(16).toString('hex'));
    await Promise.all(traceIds.map((id) => complete(id, MAX_TOKENS)));
    await server.telemetry.forceFlush();
    const traces = await Promise.all(traceIds.map((id) => jaeger.waitForTrace(id, { minSpans: 6 })));

    const decodes = traces.map((trace) => byName(trace, SPAN_DECODE));
    for (const [i, trace] of traces.entries()) {
      const prefill = byName(trace, SPAN_PREFILL);
      const decode = decodes[i]!;
      // Each span is this request's: its prompt, its tokens, prefill before decode.
      expect(tag(prefill, ATTR_LLAMA_PROMPT_TOKENS)).toBeGreaterThan(1);
      expect(tag(decode, ATTR_LLAMA_DECODE_TOKENS)).toBe(MAX_TOKENS);
      // Prefill ends and decode starts at the same moment; the two times are read apart: 1 ms of slack.
      expect(decode.startTime).toBeGreaterThanOrEqual(prefill.startTime + prefill.duration - 1000);
      // The three decoded together: all steps but the edges held all three.
      expect(tag(decode, ATTR_LLAMA_BATCH_SIZE_MAX)).toBe(PARALLEL);
      expect(tag(decode, ATTR_LLAMA_BATCH_SIZE_MIN)).toBeGreaterThanOrEqual(1);
      expect(Number(tag(decode, ATTR_LLAMA_BATCH_SIZE_MEAN))).toBeGreaterThan(PARALLEL - 0.5);
    }
    // They overlapped in time: batching, not taking turns.
    const latestStart = Math.max(...decodes.map((d) => d.startTime));
    const earliestEnd = Math.min(...decodes.map((d) => d.startTime + d.duration));
    expect(latestStart).toBeLessThan(earliestEnd);

    // ~MAX_TOKENS llama_decode calls of about three sequences, not 3 × MAX_TOKENS of one.
    const after = histogram(await (await fetch(`${server.url}/metrics`)).text(), 'llamacpp_batch_size');
    const decodeCalls = after.count - before.count;
    expect(decodeCalls).toBeGreaterThanOrEqual(MAX_TOKENS);
    expect(decodeCalls).toBeLessThanOrEqual(MAX_TOKENS + PARALLEL + 1);
    expect((after.sum - before.sum) / decodeCalls).toBeGreaterThan(PARALLEL - 0.5);
  });

  it('says a request decoded alone had batches of one', async () => {
    const traceId = randomBytes(16).toString('hex');
    await complete(traceId, 8);
    await server.telemetry.forceFlush();
    const decode = byName(await jaeger.waitForTrace(traceId, { minSpans: 6 }), SPAN_DECODE);
    expect(tag(decode, ATTR_LLAMA_BATCH_SIZE_MIN)).toBe(1);
    expect(tag(decode, ATTR_LLAMA_BATCH_SIZE_MEAN)).toBe(1);
    expect(tag(decode, ATTR_LLAMA_BATCH_SIZE_MAX)).toBe(1);
  });
});
