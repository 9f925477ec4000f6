// /metrics (the OpenTelemetry Prometheus exporter) after N real requests: counters and histograms
// agree with the usage the responses reported, with the GenAI conventions' bucket boundaries.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeServer } from '../../runtime/server/runtime-server.js';
import { BUCKETS_TIME_TO_FIRST_TOKEN } from '../../runtime/telemetry/semconv.js';
import {
  LONG_PROMPT,
  startTestServer,
  TEST_MODEL,
  type TinyModelDir,
  testConfig,
  tinyModelDir,
} from './runtime-fixture.js';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

const sum = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);

describe('/metrics', () => {
  let model: TinyModelDir;
  let server: RuntimeServer;
  let client: OpenAI;

  beforeAll(async () => {
    model = await tinyModelDir();
    server = await startTestServer(testConfig(model.modelPath), {
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
    });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });

  afterAll(async () => {
    await server?.close();
    await model?.remove();
  });

  it('counts requests and tokens as the responses reported them', async () => {
    const usages: OpenAI.CompletionUsage[] = [];
    for (const content of ['one', 'two', 'three']) {
      const r = await client.chat.completions.create({
        model: TEST_MODEL,
        messages: [{ role: 'user', content }],
        max_tokens: 6,
      });
      usages.push(r.usage!);
    }
    for (const max_tokens of [10, 20]) {
      const r = await client.completions.create({
        model: TEST_MODEL,
        prompt: LONG_PROMPT,
        max_tokens,
        temperature: 0,
      });
      usages.push(r.usage!);
    }
    await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: TEST_MODEL,
        messages: [{ role: 'user', content: 'x' }],
        max_tokens: 99999,
      }),
    });

    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const samples = parse(await response.text());
    const chat = {
      gen_ai_operation_name: 'chat',
      gen_ai_provider_name: 'llama.cpp',
      gen_ai_request_model: TEST_MODEL,
    };
    const text = { ...chat, gen_ai_operation_name: 'text_completion' };

    expect(
      sum(samples, 'gen_ai_server_request_duration_count', { ...chat, gen_ai_response_model: TEST_MODEL }),
    ).toBe(3);
    expect(
      sum(samples, 'gen_ai_server_request_duration_count', { ...text, gen_ai_response_model: TEST_MODEL }),
    ).toBe(2);
    // The refused request is counted with its error.type.
    expect(
      sum(samples, 'gen_ai_server_request_duration_count', {
        ...chat,
        error_type: 'ContextLengthExceededError',
      }),
    ).toBe(1);

    const input = usages.reduce((n, u) => n + u.prompt_tokens, 0);
    const output = usages.reduce((n, u) => n + u.completion_tokens, 0);
    const cached = usages.reduce((n, u) => n + (u.prompt_tokens_details?.cached_tokens ?? 0), 0);
    expect(sum(samples, 'gen_ai_server_token_usage_sum', { gen_ai_token_type: 'input' })).toBe(input);
    expect(sum(samples, 'gen_ai_server_token_usage_sum', { gen_ai_token_type: 'output' })).toBe(output);
    expect(sum(samples, 'gen_ai_server_token_usage_count', { gen_ai_token_type: 'output' })).toBe(5);
    expect(sum(samples, 'llamacpp_tokens_predicted_total')).toBe(output);
    expect(sum(samples, 'llamacpp_prompt_tokens_total')).toBe(input - cached);
    expect(sum(samples, 'llamacpp_prompt_seconds_total')).toBeGreaterThan(0);
    expect(sum(samples, 'llamacpp_tokens_predicted_seconds_total')).toBeGreaterThan(0);

    const ttftBuckets = samples.filter(
      (s) =>
        s.name === 'gen_ai_server_time_to_first_token_bucket' && s.labels.gen_ai_operation_name === 'chat',
    );
    expect(ttftBuckets.map((s) => s.labels.le)).toEqual([...BUCKETS_TIME_TO_FIRST_TOKEN.map(String), '+Inf']);
    expect(ttftBuckets.at(-1)?.value).toBe(usages.slice(0, 3).filter((u) => u.completion_tokens > 0).length);

    expect(sum(samples, 'llamacpp_requests_processing')).toBe(0);
    expect(sum(samples, 'llamacpp_requests_deferred')).toBe(0);
    expect(sum(samples, 'llamacpp_kv_cache_usage_ratio')).toBeGreaterThan(0);
    expect(sum(samples, 'llama_memory_ram_used')).toBeGreaterThan(1024 * 1024);
    expect(sum(samples, 'llama_model_load_duration')).toBeGreaterThan(0);
    expect(samples.find((s) => s.name === 'target_info')?.labels.service_name).toBe('kubellama-runtime');
  });
});
