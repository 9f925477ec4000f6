// Sends one span with the real OTLP/gRPC exporter and returns its trace id: the same exporter the
// runtime uses, so these smoke tests prove the exact path production spans take.
import { SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

export async function sendTestSpan(
  endpoint: string,
  serviceName: string,
  attributes: Record<string, string | number>,
): Promise<{ traceId: string; spanId: string }> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: endpoint }))],
  });
  try {
    const span = provider
      .getTracer('kubellama-smoke')
      .startSpan('smoke-span', { kind: SpanKind.SERVER, attributes });
    const { traceId, spanId } = span.spanContext();
    span.end();
    await provider.forceFlush();
    return { traceId, spanId };
  } finally {
    await provider.shutdown();
  }
}
