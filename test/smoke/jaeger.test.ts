// A span sent with the real OTLP/gRPC exporter reaches the real Jaeger v2 and comes back from its query API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Jaeger, startJaeger } from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import { sendTestSpan } from './otel-span.js';

describe('Jaeger v2 (real)', () => {
  let jaeger: Jaeger;
  beforeAll(async () => {
    jaeger = await startJaeger();
  });
  afterAll(async () => jaeger?.stop());
  printLogsOnFailure(() => (jaeger ? [jaeger.process.logFile] : []));

  it('stores an OTLP/gRPC span and serves it from /api/traces', async () => {
    const { traceId, spanId } = await sendTestSpan(jaeger.otlpGrpcEndpoint, 'smoke-direct', {
      'kubellama.smoke': 'direct',
      'gen_ai.usage.output_tokens': 7,
    });
    const trace = await jaeger.waitForTrace(traceId);
    expect(trace.spans).toHaveLength(1);
    const [span] = trace.spans;
    expect(span?.spanID).toBe(spanId);
    expect(span?.operationName).toBe('smoke-span');
    expect(span?.tags).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: 'kubellama.smoke', value: 'direct' }),
        expect.objectContaining({ key: 'gen_ai.usage.output_tokens', value: 7 }),
        expect.objectContaining({ key: 'span.kind', value: 'server' }),
      ]),
    );
    expect(trace.processes[span!.processID]?.serviceName).toBe('smoke-direct');
    expect(await jaeger.services()).toContain('smoke-direct');
  });

  it('answers 404 for a trace it never received', async () => {
    await expect(
      jaeger.waitForTrace('0123456789abcdef0123456789abcdef', { timeoutMs: 1_000 }),
    ).rejects.toThrow(/timed out waiting for trace/);
  });
});
