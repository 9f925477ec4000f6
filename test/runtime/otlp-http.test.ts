// OTLP over HTTP, protobuf and JSON: the runtime exports to the real collector's OTLP/HTTP receiver,
// which forwards the traces to the real Jaeger and serves the metrics to Prometheus — the gRPC
// path of collector-pipeline.test.ts, with the other two transports of the specification.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeServer } from '../../runtime/server/runtime-server.js';
import type { OtlpProtocol } from '../../runtime/telemetry/sdk.js';
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

describe('runtime → collector over OTLP/HTTP → Jaeger and Prometheus', () => {
  let jaeger: Jaeger;
  let collector: Collector;
  let model: TinyModelDir;
  const servers: RuntimeServer[] = [];

  beforeAll(async () => {
    [jaeger, model] = await Promise.all([startJaeger(), tinyModelDir()]);
    collector = await startCollector({ tracesEndpoint: jaeger.otlpGrpcEndpoint });
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await collector?.stop();
    await jaeger?.stop();
    await model?.remove();
  });

  printLogsOnFailure(() =>
    [collector?.process.logFile, jaeger?.process.logFile].filter((f): f is string => !!f),
  );

  it.each<OtlpProtocol>(['http/protobuf', 'http/json'])(
    'delivers traces and metrics over %s',
    async (protocol) => {
      const service = `runtime-otlp-${protocol.replace('/', '-')}`;
      // Only the general endpoint is given: the runtime must append /v1/traces and /v1/metrics.
      const server = await startTestServer(testConfig(model.modelPath, { parallel: 1 }), {
        OTEL_SERVICE_NAME: service,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpHttpEndpoint,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRIC_EXPORT_INTERVAL: '500',
      });
      servers.push(server);
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const { data, response } = await client.chat.completions
        .create({
          model: TEST_MODEL,
          messages: [{ role: 'user', content: `over ${protocol}` }],
          max_tokens: 5,
        })
        .withResponse();
      const traceId = response.headers.get('traceresponse')!.split('-')[1]!;
      await server.telemetry.forceFlush();

      const trace = await jaeger.waitForTrace(traceId, { minSpans: 6 });
      expect(trace.processes[trace.spans[0]!.processID]!.serviceName).toBe(service);
      const chat = trace.spans.find((s) => s.operationName === `chat ${TEST_MODEL}`);
      expect(chat, trace.spans.map((s) => s.operationName).join(', ')).toBeDefined();
      expect(chat!.tags.find((t) => t.key === 'gen_ai.usage.output_tokens')?.value).toBe(
        data.usage?.completion_tokens,
      );

      const count = await waitFor(
        async () => {
          const text = (await httpGet(`${collector.prometheusUrl}/metrics`)).body;
          return text
            .split('\n')
            .find(
              (line) =>
                line.startsWith('gen_ai_server_request_duration') &&
                line.includes('_count{') &&
                line.includes(`job="${service}"`),
            );
        },
        { description: `${service} metrics at the collector`, timeoutMs: 30_000, intervalMs: 250 },
      );
      expect(Number(count.split(' ').at(-1))).toBe(1);
    },
  );
});
