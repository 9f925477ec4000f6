// The real OpenTelemetry Collector (our builder distribution) validates configs, and forwards an
// OTLP/gRPC span to the real Jaeger, where the query API returns it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Collector,
  defaultCollectorConfig,
  type Jaeger,
  startCollector,
  startJaeger,
  validateCollectorConfig,
} from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import { sendTestSpan } from './otel-span.js';

const PORTS = { otlpGrpc: 14317, otlpHttp: 14318, health: 13133, prometheus: 18889 };

describe('OpenTelemetry Collector (real)', () => {
  let jaeger: Jaeger;
  let collector: Collector;
  beforeAll(async () => {
    jaeger = await startJaeger();
    collector = await startCollector({ tracesEndpoint: jaeger.otlpGrpcEndpoint });
  });
  afterAll(async () => {
    await collector?.stop();
    await jaeger?.stop();
  });
  printLogsOnFailure(() => [collector, jaeger].filter(Boolean).map((s) => s.process.logFile));

  it('validates the harness pipeline and rejects a broken one, naming the problem', () => {
    expect(validateCollectorConfig(defaultCollectorConfig(PORTS, 'http://127.0.0.1:4317'))).toMatchObject({
      ok: true,
    });

    const broken = defaultCollectorConfig(PORTS, 'http://127.0.0.1:4317');
    (broken.service as { pipelines: { traces: { processors: string[] } } }).pipelines.traces.processors.push(
      'no_such_processor',
    );
    const result = validateCollectorConfig(broken);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/no_such_processor/);
  });

  it('forwards a span to Jaeger', async () => {
    const { traceId, spanId } = await sendTestSpan(collector.otlpGrpcEndpoint, 'smoke-via-collector', {
      'kubellama.smoke': 'collector',
    });
    const trace = await jaeger.waitForTrace(traceId);
    expect(trace.spans.map((s) => s.spanID)).toEqual([spanId]);
    expect(trace.spans[0]?.tags).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: 'kubellama.smoke', value: 'collector' })]),
    );
    expect(trace.processes[trace.spans[0]!.processID]?.serviceName).toBe('smoke-via-collector');
  });
});
