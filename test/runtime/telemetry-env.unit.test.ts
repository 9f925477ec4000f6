// The SDK set-up from the standard OTEL_* variables: sampler, resource, switches and refusals.
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-node';
import { describe, expect, it } from 'vitest';
import { resourceAttributesFromEnv } from '../../lib/otel-resource.js';
import { samplerFromEnv } from '../../lib/otel-sampler.js';
import { createTelemetry, DEFAULT_SERVICE_NAME } from '../../runtime/telemetry/sdk.js';
import { recordsPerEvent } from '../../runtime/telemetry/token-timings.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const decide = (env: Record<string, string>, parentSampled?: boolean) => {
  const context =
    parentSampled === undefined
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, {
          traceId: TRACE_ID,
          spanId: 'b7ad6b7169203331',
          traceFlags: parentSampled ? 1 : 0,
          isRemote: true,
        });
  return samplerFromEnv(env).shouldSample(context, TRACE_ID, 'x', SpanKind.SERVER, {}, []).decision;
};

describe('telemetry from OTEL_* variables', () => {
  it('builds the sampler the operator configures (parentbased_traceidratio)', () => {
    const env = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' };
    expect(decide(env)).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(env, true)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide({ ...env, OTEL_TRACES_SAMPLER_ARG: '1' })).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide({})).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide({ OTEL_TRACES_SAMPLER: 'always_off' })).toBe(SamplingDecision.NOT_RECORD);
  });

  it('refuses an unknown sampler or a ratio out of range', () => {
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(
      /OTEL_TRACES_SAMPLER 'sometimes'/,
    );
    expect(() =>
      samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }),
    ).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
  });

  it('reads OTEL_RESOURCE_ATTRIBUTES, with OTEL_SERVICE_NAME winning', () => {
    const attributes = resourceAttributesFromEnv(
      {
        OTEL_RESOURCE_ATTRIBUTES:
          'k8s.namespace.name=demo,k8s.pod.name=gemma-0,service.name=ignored,note=a%20b',
        OTEL_SERVICE_NAME: 'gemma',
      },
      { serviceName: DEFAULT_SERVICE_NAME, serviceVersion: '1.2.3' },
    );
    expect(attributes).toEqual({
      'k8s.namespace.name': 'demo',
      'k8s.pod.name': 'gemma-0',
      'service.name': 'gemma',
      'service.version': '1.2.3',
      note: 'a b',
    });
    expect(
      resourceAttributesFromEnv({}, { serviceName: DEFAULT_SERVICE_NAME, serviceVersion: '0' })[
        'service.name'
      ],
    ).toBe('kubellama-runtime');
  });

  it('records nothing and serves no metrics with OTEL_SDK_DISABLED=true', async () => {
    const telemetry = createTelemetry({ OTEL_SDK_DISABLED: 'true' });
    expect(telemetry.enabled).toBe(false);
    expect(telemetry.prometheus).toBeUndefined();
    expect(telemetry.tracer.startSpan('x').isRecording()).toBe(false);
    await telemetry.shutdown();
  });

  it('refuses an OTLP protocol the specification does not define (otlp-http.unit.test.ts: the rest)', () => {
    expect(() => createTelemetry({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http' })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL 'http' is not supported \(grpc, http\/protobuf, http\/json\)/,
    );
  });

  it('sizes per-token batches so a long answer fits the span event limit', () => {
    expect(recordsPerEvent(10, 128)).toBe(64);
    expect(recordsPerEvent(2000, 128)).toBe(64);
    expect(Math.ceil(20_000 / recordsPerEvent(20_000, 128))).toBeLessThanOrEqual(124);
    expect(Math.ceil(2000 / recordsPerEvent(2000, 5))).toBe(1);
  });
});
