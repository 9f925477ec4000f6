// The declared runtime metric names (what the dashboard queries) against the real runtime: its
// telemetry constants, and its /metrics page after a real request on the tiny model.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusSeriesNames, RUNTIME_METRICS } from '../../charts/runtime-metrics.js';
import type { RuntimeServer } from '../../runtime/server/runtime-server.js';
import * as semconv from '../../runtime/telemetry/semconv.js';
import {
  LONG_PROMPT,
  startTestServer,
  TEST_MODEL,
  type TinyModelDir,
  testConfig,
  tinyModelDir,
} from '../runtime/runtime-fixture.js';
import { sampleNames } from './helpers/record-runtime-metrics.js';

describe('runtime metric names (declared for the dashboard) on the real runtime', () => {
  let model: TinyModelDir | undefined;
  let server: RuntimeServer | undefined;

  beforeAll(async () => {
    model = await tinyModelDir();
    server = await startTestServer(testConfig(model.modelPath), {
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
    });
  });
  afterAll(async () => {
    await server?.close();
    await model?.remove();
  });

  it('declares exactly the instruments runtime/telemetry names', () => {
    const runtimeNames = Object.entries(semconv)
      .filter(([key]) => key.startsWith('METRIC_'))
      .map(([, value]) => value as string);
    expect(
      Object.values(RUNTIME_METRICS)
        .map((m) => m.otelName)
        .sort(),
    ).toEqual([...runtimeNames].sort());
  });

  it('finds every declared series on /metrics after one request that generates tokens', async () => {
    if (!server) throw new Error('not started');
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    // A prompt the tiny model continues to max_tokens: TTFT and time per output token need ≥ 2 tokens.
    const completion = await client.completions.create({
      model: TEST_MODEL,
      prompt: LONG_PROMPT,
      max_tokens: 4,
      temperature: 0,
    });
    expect(completion.usage?.completion_tokens).toBe(4);
    const exposed = sampleNames(await (await fetch(`${server.url}/metrics`)).text());
    const missing = Object.values(RUNTIME_METRICS)
      .flatMap((m) => prometheusSeriesNames(m))
      .filter((name) => !exposed.has(name));
    expect(missing).toEqual([]);
  });
});
