// The demo's last step with real parts: its chat request (the openai client) to a real runtime
// serving the tiny model, the trace id from the `traceresponse` header, and the wait until the real
// Jaeger, which the runtime exports to over OTLP, has that trace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, waitForTrace } from '../../kind/demo/chat.js';
import { traceIdOf } from '../../lib/trace-response.js';
import type { RuntimeServer } from '../../runtime/server/runtime-server.js';
import { type Jaeger, startJaeger } from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import {
  startTestServer,
  TEST_MODEL,
  type TinyModelDir,
  testConfig,
  tinyModelDir,
} from '../runtime/runtime-fixture.js';
import { GREEDY } from '../tools/tiny-model/tiny-llama.js';

describe('the demo request and its trace', () => {
  let jaeger: Jaeger;
  let model: TinyModelDir;
  let server: RuntimeServer;

  beforeAll(async () => {
    [jaeger, model] = await Promise.all([startJaeger(), tinyModelDir()]);
    server = await startTestServer(testConfig(model.modelPath, { parallel: 1 }), {
      OTEL_SERVICE_NAME: TEST_MODEL,
      OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpGrpcEndpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRICS_EXPORTER: 'none',
    });
  });
  afterAll(async () => {
    await server?.close();
    await jaeger?.stop();
    await model?.remove();
  });
  printLogsOnFailure(() => (jaeger ? [jaeger.process.logFile] : []));

  it('answers, names its trace, and finds the span tree in Jaeger', async () => {
    const answer = await chat(`${server.url}/v1`, TEST_MODEL, 'Hello', GREEDY);
    expect(answer.answer.length).toBeGreaterThan(0);
    expect(answer.traceId).toMatch(/^[0-9a-f]{32}$/);
    const spans = await waitForTrace(jaeger.queryUrl, answer.traceId, 30_000);
    expect(spans[0]).toBe('POST /v1/chat/completions');
    expect(spans).toEqual(
      expect.arrayContaining([
        `chat ${TEST_MODEL}`,
        'llama.tokenize',
        'llama.queue',
        'llama.prefill',
        'llama.decode',
      ]),
    );
  });

  it('refuses a missing or malformed traceresponse', () => {
    expect(traceIdOf('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toBe(
      '0af7651916cd43dd8448eb211c80319c',
    );
    expect(() => traceIdOf(null)).toThrow(/no valid traceresponse header \(got null\)/);
    expect(() => traceIdOf('garbage')).toThrow(/"garbage"/);
  });
});
