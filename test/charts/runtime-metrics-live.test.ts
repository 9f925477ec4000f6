// The metrics contract (charts/metrics-contract.ts: what the dashboard queries) against the real
// runtime's /metrics page after a real request on the tiny model: every series, with the declared
// description and type (the runtime creates its instruments from the same table).
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusSeriesNames, RUNTIME_METRICS } from '../../charts/metrics-contract.js';
import type { RuntimeServer } from '../../runtime/server/runtime-server.js';
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
    const page = await (await fetch(`${server.url}/metrics`)).text();
    for (const m of Object.values(RUNTIME_METRICS)) {
      expect(page, m.prometheusName).toContain(`# HELP ${m.prometheusName} ${m.description}`);
      expect(page, m.prometheusName).toContain(`# TYPE ${m.prometheusName} ${m.type}`);
    }
  });
});
