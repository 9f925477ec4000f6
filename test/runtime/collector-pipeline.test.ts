// The production path of ARCHITECTURE.md: the runtime exports OTLP/gRPC to the real OpenTelemetry
// Collector, which forwards traces to the real Jaeger and serves the metrics to Prometheus.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeServer } from '../../runtime/server/runtime-server.js';
import {
  type Collector,
  httpGet,
  type Jaeger,
  startCollector,
  startJaeger,
  waitFor,
} from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import {
  startTestServer,
  TEST_MODEL,
  type TinyModelDir,
  testConfig,
  tinyModelDir,
} from './runtime-fixture.js';

const SERVICE = 'runtime-via-collector';

describe('runtime → collector → Jaeger and Prometheus', () => {
  let jaeger: Jaeger;
  let collector: Collector;
  let model: TinyModelDir;
  let server: RuntimeServer;

  beforeAll(async () => {
    [jaeger, model] = await Promise.all([startJaeger(), tinyModelDir()]);
    collector = await startCollector({ tracesEndpoint: jaeger.otlpGrpcEndpoint });
    server = await startTestServer(testConfig(model.modelPath, { parallel: 1 }), {
      OTEL_SERVICE_NAME: SERVICE,
      OTEL_RESOURCE_ATTRIBUTES: 'k8s.namespace.name=demo,k8s.pod.name=tiny-0',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpGrpcEndpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
    });
  });

  afterAll(async () => {
    await server?.close();
    await collector?.stop();
    await jaeger?.stop();
    await model?.remove();
  });

  printLogsOnFailure(() =>
    [collector?.process.logFile, jaeger?.process.logFile].filter((f): f is string => !!f),
  );

  it('delivers the request trace to Jaeger and the metrics to the Prometheus exporter', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({
        model: TEST_MODEL,
        messages: [{ role: 'user', content: 'through the collector' }],
        max_tokens: 6,
      })
      .withResponse();
    const traceId = response.headers.get('traceresponse')!.split('-')[1]!;
    await server.telemetry.forceFlush();

    const trace = await jaeger.waitForTrace(traceId, { minSpans: 6 });
    const process = trace.processes[trace.spans[0]!.processID]!;
    expect(process.serviceName).toBe(SERVICE);
    expect(process.tags).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: 'k8s.pod.name', value: 'tiny-0' })]),
    );
    const chat = trace.spans.find((s) => s.operationName === `chat ${TEST_MODEL}`)!;
    expect(chat.tags.find((t) => t.key === 'gen_ai.usage.output_tokens')?.value).toBe(
      data.usage?.completion_tokens,
    );

    const metrics = await waitFor(
      async () => {
        const text = (await httpGet(`${collector.prometheusUrl}/metrics`)).body;
        return text.includes('llamacpp_tokens_predicted_total{') ? text : undefined;
      },
      { description: 'runtime metrics at the collector', timeoutMs: 30_000, intervalMs: 250 },
    );
    const count = metrics
      .split('\n')
      .find(
        (line) =>
          line.startsWith('gen_ai_server_request_duration') &&
          line.includes('_count{') &&
          line.includes(`job="${SERVICE}"`),
      );
    expect(count, metrics.slice(0, 2000)).toBeDefined();
    expect(Number(count!.split(' ').at(-1))).toBe(1);
  });
});
