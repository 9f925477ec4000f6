// Kubernetes probes and the Prometheus scrape endpoint (paths from the shared runtime contract).
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { FastifyInstance } from 'fastify';
import { RUNTIME_PATHS } from '../../../charts/runtime-contract.js';
import type { AppContext } from '../app-context.js';

export function registerProbes(app: FastifyInstance, context: AppContext): void {
  const serializer = new PrometheusSerializer(undefined, false, undefined, false, true);
  app.get(RUNTIME_PATHS.health, async () => ({ status: 'ok' }));
  app.get(RUNTIME_PATHS.ready, async (_request, reply) => {
    if (context.ready) return { status: 'ready', model: context.config.modelAlias };
    const reason = context.draining ? 'draining' : context.loadError ? 'failed' : 'loading';
    return reply.code(503).send({ status: reason });
  });
  app.get(RUNTIME_PATHS.metrics, async (_request, reply) => {
    const prometheus = context.telemetry.prometheus;
    reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    if (!prometheus) return '# telemetry is disabled (OTEL_SDK_DISABLED=true)\n';
    const { resourceMetrics, errors } = await prometheus.collect();
    for (const error of errors) context.log.warn('metrics collection error', { error: String(error) });
    return serializer.serialize(resourceMetrics);
  });
}
