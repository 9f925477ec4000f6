// The HTTP SERVER span of every request: parent from the incoming traceparent, standard http.*
// attributes, and a W3C `traceresponse` header naming the span on every response. A request whose
// W3C baggage says `kubellama.sample=always` gets that attribute on this span, which the gateway's
// tail sampling keeps whatever its ratio.
import { randomBytes } from 'node:crypto';
import {
  type Context,
  defaultTextMapGetter,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TRACERESPONSE_HEADER } from '../../charts/runtime-contract.js';
import { SAMPLE_ALWAYS } from '../../charts/telemetry-contract.js';
import { ATTR_ERROR_TYPE, ATTR_KUBELLAMA_SAMPLE } from '../telemetry/semconv.js';
import { httpSpanName } from '../telemetry/span-names.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The HTTP server span and the context holding it. */
    otel: { span: Span; context: Context };
  }
}

/** `00-{trace-id}-{span-id}-{flags}`; random ids when the span has none (telemetry off). */
export function traceResponse(span: Span): string {
  const context = span.spanContext();
  if (trace.isSpanContextValid(context)) {
    return `00-${context.traceId}-${context.spanId}-0${context.traceFlags & 1}`;
  }
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`;
}

export function registerHttpTracing(
  app: FastifyInstance,
  tracer: Tracer,
  propagator: TextMapPropagator,
): void {
  app.decorateRequest('otel', undefined as unknown as FastifyRequest['otel']);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const parent = propagator.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter);
    const route = request.routeOptions.url;
    const path = request.url.split('?')[0] ?? request.url;
    const sample = propagation.getBaggage(parent)?.getEntry(ATTR_KUBELLAMA_SAMPLE)?.value;
    const span = tracer.startSpan(
      httpSpanName(request.method, route),
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: request.method,
          [ATTR_URL_PATH]: path,
          [ATTR_URL_SCHEME]: request.protocol,
          [ATTR_NETWORK_PROTOCOL_VERSION]: request.raw.httpVersion,
          [ATTR_SERVER_PORT]: request.socket.localPort,
          [ATTR_CLIENT_ADDRESS]: request.ip,
          ...(route ? { [ATTR_HTTP_ROUTE]: route } : {}),
          ...(sample === SAMPLE_ALWAYS ? { [ATTR_KUBELLAMA_SAMPLE]: SAMPLE_ALWAYS } : {}),
          ...(request.headers['user-agent']
            ? { [ATTR_USER_AGENT_ORIGINAL]: request.headers['user-agent'] }
            : {}),
        },
      },
      parent,
    );
    request.otel = { span, context: trace.setSpan(parent, span) };
    reply.header(TRACERESPONSE_HEADER, traceResponse(span));
    // 'close' comes after the last byte and also when the client goes away mid-stream.
    reply.raw.once('close', () => {
      const status = reply.raw.statusCode;
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (status >= 500) {
        span.setAttribute(ATTR_ERROR_TYPE, String(status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    });
  });
}
