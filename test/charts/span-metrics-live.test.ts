// RED metrics from traces, with real parts end to end: the runtime (tiny model) → the real
// collector on the chart's gateway pipeline (spanmetrics connector, prometheus exporter with
// OpenMetrics) → the real Jaeger. An exemplar on the latency histogram must name a trace Jaeger has.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPAN_METRICS, SPAN_METRICS_LABELS } from '../../charts/span-metrics.js';
import type { RuntimeServer } from '../../runtime/server/runtime-server.js';
import { type Collector, type Jaeger, startCollector, startJaeger, waitFor } from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import {
  startTestServer,
  TEST_MODEL,
  type TinyModelDir,
  testConfig,
  tinyModelDir,
} from '../runtime/runtime-fixture.js';
import { type Sample, scrapeOpenMetrics } from './helpers/open-metrics.js';

const REQUESTS = 5;
const SERVICE = 'runtime-spanmetrics-test';

describe('spanmetrics: per-model latency histograms with exemplars, from the runtime through the real collector', () => {
  let jaeger: Jaeger | undefined;
  let collector: Collector | undefined;
  let server: RuntimeServer | undefined;
  let model: TinyModelDir | undefined;
  printLogsOnFailure(() =>
    [jaeger?.process.logFile, collector?.process.logFile].filter((f): f is string => !!f),
  );

  beforeAll(async () => {
    [jaeger, model] = await Promise.all([startJaeger(), tinyModelDir()]);
    collector = await startCollector({
      tracesEndpoint: jaeger.otlpGrpcEndpoint,
      pipeline: { spanMetrics: { flushIntervalSeconds: 1 } },
    });
    server = await startTestServer(testConfig(model.modelPath), {
      OTEL_SERVICE_NAME: SERVICE,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpGrpcEndpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRICS_EXPORTER: 'none',
    });
  });
  afterAll(async () => {
    await server?.close();
    await collector?.stop();
    await jaeger?.stop();
    await model?.remove();
  });

  it(`counts ${REQUESTS} chat requests for the model and links a latency bucket to a trace in Jaeger`, async () => {
    if (!server || !collector || !jaeger) throw new Error('not started');
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    for (let i = 0; i < REQUESTS; i++) {
      await client.chat.completions.create({
        model: TEST_MODEL,
        messages: [{ role: 'user', content: `Count me ${i}.` }],
        max_tokens: 2,
      });
    }
    await server.telemetry.forceFlush();

    const chatSpans = (s: Sample) =>
      s.labels[SPAN_METRICS_LABELS.span] === `chat ${TEST_MODEL}` &&
      s.labels[SPAN_METRICS_LABELS.model] === TEST_MODEL &&
      s.labels[SPAN_METRICS_LABELS.operation] === 'chat' &&
      s.labels[SPAN_METRICS_LABELS.service] === SERVICE;
    let page: Awaited<ReturnType<typeof scrapeOpenMetrics>> | undefined;
    await waitFor(
      async () => {
        page = await scrapeOpenMetrics(`${collector!.prometheusUrl}/metrics`);
        return page.samples.some(
          (s) => s.name === `${SPAN_METRICS.duration}_count` && chatSpans(s) && s.value === REQUESTS,
        );
      },
      {
        description: `${SPAN_METRICS.duration}_count = ${REQUESTS} for chat ${TEST_MODEL}`,
        timeoutMs: 30_000,
      },
    );
    expect(page!.contentType).toContain('application/openmetrics-text');
    const count = page!.samples.find((s) => s.name === `${SPAN_METRICS.duration}_count` && chatSpans(s));
    expect(count?.labels[SPAN_METRICS_LABELS.status]).toBe('STATUS_CODE_UNSET');

    const exemplars = page!.samples.filter(
      (s) => s.name === `${SPAN_METRICS.duration}_bucket` && chatSpans(s) && s.exemplar,
    );
    expect(exemplars.length).toBeGreaterThan(0);
    const { trace_id: traceId, span_id: spanId } = exemplars[0]!.exemplar!.labels;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const trace = await jaeger.waitForTrace(traceId!, { minSpans: 2 });
    expect(trace.spans.find((span) => span.spanID === spanId)?.operationName).toBe(`chat ${TEST_MODEL}`);
  });
});
