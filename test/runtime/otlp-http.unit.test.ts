// OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]PROTOCOL and _ENDPOINT → the exporter and URL of each signal,
// as the OTLP exporter specification defines them (no servers: the delivery is otlp-http.test.ts).
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { describe, expect, it } from 'vitest';
import {
  createTelemetry,
  otlpMetricExporter,
  otlpTarget,
  otlpTraceExporter,
} from '../../runtime/telemetry/sdk.js';

describe('OTLP protocol and endpoint from OTEL_* variables', () => {
  it('defaults to gRPC on 4317, and to 4318 with the signal path for HTTP', () => {
    expect(otlpTarget({}, 'TRACES')).toEqual({ protocol: 'grpc', url: 'http://localhost:4317' });
    const http = { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' };
    expect(otlpTarget(http, 'TRACES')).toEqual({
      protocol: 'http/protobuf',
      url: 'http://localhost:4318/v1/traces',
    });
    expect(otlpTarget(http, 'METRICS').url).toBe('http://localhost:4318/v1/metrics');
  });

  it('appends /v1/{signal} to OTEL_EXPORTER_OTLP_ENDPOINT for HTTP, after its path, and not for gRPC', () => {
    const base = (endpoint: string, protocol: string) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    });
    expect(otlpTarget(base('http://collector:4318', 'http/json'), 'TRACES').url).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(otlpTarget(base('http://collector:4318/', 'http/json'), 'METRICS').url).toBe(
      'http://collector:4318/v1/metrics',
    );
    expect(otlpTarget(base('https://gw.example/otlp', 'http/protobuf'), 'TRACES').url).toBe(
      'https://gw.example/otlp/v1/traces',
    );
    expect(otlpTarget(base('http://collector:4317', 'grpc'), 'TRACES').url).toBe('http://collector:4317');
  });

  it('uses a per-signal endpoint as is, and a per-signal protocol over the general one', () => {
    const env = {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/custom',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf',
    };
    expect(otlpTarget(env, 'TRACES')).toEqual({ protocol: 'http/json', url: 'http://traces:9999/custom' });
    expect(otlpTarget(env, 'METRICS')).toEqual({
      protocol: 'http/protobuf',
      url: 'http://collector:4317/v1/metrics',
    });
    expect(otlpTarget({ ...env, OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: '' }, 'METRICS').protocol).toBe('grpc');
  });

  it('names the variable that holds a bad value and lists the allowed ones', () => {
    expect(() => otlpTarget({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml' }, 'TRACES')).toThrow(
      "OTEL_EXPORTER_OTLP_PROTOCOL 'http/xml' is not supported (grpc, http/protobuf, http/json)",
    );
    expect(() => otlpTarget({ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'HTTP' }, 'METRICS')).toThrow(
      /^OTEL_EXPORTER_OTLP_METRICS_PROTOCOL 'HTTP' is not supported/,
    );
    // The general value is read for traces, the per-signal one only for its own signal.
    expect(() => otlpTarget({ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'udp' }, 'TRACES')).not.toThrow();
    expect(() =>
      createTelemetry({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift', OTEL_METRICS_EXPORTER: 'none' }),
    ).toThrow(/OTEL_EXPORTER_OTLP_TRACES_PROTOCOL 'thrift'/);
  });

  it("builds the official package's exporter for each protocol", async () => {
    const url = 'http://127.0.0.1:1';
    const cases = [
      ['grpc', GrpcTraceExporter, GrpcMetricExporter],
      ['http/protobuf', ProtoTraceExporter, ProtoMetricExporter],
      ['http/json', JsonTraceExporter, JsonMetricExporter],
    ] as const;
    for (const [protocol, traces, metrics] of cases) {
      const spanExporter = otlpTraceExporter({ protocol, url });
      const metricExporter = otlpMetricExporter({ protocol, url });
      expect(spanExporter, protocol).toBeInstanceOf(traces);
      expect(metricExporter, protocol).toBeInstanceOf(metrics);
      await Promise.all([spanExporter.shutdown(), metricExporter.shutdown()]);
    }
  });

  it('starts with HTTP exporters for both signals', async () => {
    const telemetry = createTelemetry({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
    });
    expect(telemetry.enabled).toBe(true);
    await telemetry.shutdown();
  });
});
