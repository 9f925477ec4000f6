// One log line per finished request (an access log), written inside the request's span so it
// carries the trace id Jaeger shows for it. Probes and /metrics log at debug: a kubelet polling
// every few seconds would otherwise fill the log.
import { context } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RUNTIME_PATHS } from '../../charts/runtime-contract.js';
import type { Logger } from '../../lib/log.js';

const QUIET_PATHS = new Set<string>([RUNTIME_PATHS.health, RUNTIME_PATHS.ready, RUNTIME_PATHS.metrics]);

/** Registers after http-tracing: the line is written in the context holding the server span. */
export function registerRequestLog(app: FastifyInstance, log: Logger): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const start = process.hrtime.bigint();
    const path = request.url.split('?')[0] ?? request.url;
    const level = QUIET_PATHS.has(path) ? 'debug' : 'info';
    if (!log.enabled(level)) return;
    // 'close' also fires when the client goes away mid-stream; `completed` tells the two apart.
    reply.raw.once('close', () => {
      context.with(request.otel.context, () =>
        log.log(level, 'request', {
          method: request.method,
          path,
          status: reply.raw.statusCode,
          duration_ms: Math.round(Number(process.hrtime.bigint() - start) / 1e5) / 10,
          completed: reply.raw.writableFinished,
        }),
      );
    });
  });
}
