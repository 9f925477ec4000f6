// Sends one span and one round of runtime metrics over OTLP/gRPC with the real OpenTelemetry JS
// exporters, as a model pod would (resource attributes like the operator's injected ones).
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { recordRuntimeMetrics } from './record-runtime-metrics.js';

/** Returns the trace id of the span it sent. */
export async function sendSpan(endpoint: string, resource: Record<string, string>): Promise<string> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: endpoint }))],
  });
  const span = provider.getTracer('kubellama-chart-test').startSpan('chat tiny');
  span.setAttribute('gen_ai.operation.name', 'chat');
  span.end();
  await provider.forceFlush();
  await provider.shutdown();
  return span.spanContext().traceId;
}

export async function sendRuntimeMetrics(endpoint: string, resource: Record<string, string>): Promise<void> {
  const reader = new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter({ url: endpoint }),
    exportIntervalMillis: 60_000,
  });
  const provider = new MeterProvider({ resource: resourceFromAttributes(resource), readers: [reader] });
  recordRuntimeMetrics(provider.getMeter('kubellama-runtime'), { 'gen_ai.operation.name': 'chat' });
  await provider.forceFlush();
  await provider.shutdown();
}
