// The OpenTelemetry SDK of the runtime, configured only by the standard OTEL_* variables (read from
// the env object passed in, so tests can run several servers in one process). Providers are not
// registered globally: the tracer and meter are handed to the parts that use them. Only the context
// manager is global (one per process by nature), so log lines can name the active span.
import { context, type Meter, metrics, type TextMapPropagator, type Tracer, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  type IMetricReader,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, NodeTracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { resourceAttributesFromEnv } from '../../lib/otel-resource.js';
import { samplerFromEnv } from '../../lib/otel-sampler.js';

export const DEFAULT_SERVICE_NAME = 'kubellama-runtime';
const INSTRUMENTATION_SCOPE = 'kubellama-runtime';
/** The SDK's own default for OTEL_SPAN_EVENT_COUNT_LIMIT. */
const DEFAULT_EVENT_COUNT_LIMIT = 128;
/** Bounds shutdown, so a dead collector cannot hold a terminating pod past its grace period. */
const SHUTDOWN_TIMEOUT_MS = 5_000;

export interface Telemetry {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  readonly meter: Meter;
  readonly propagator: TextMapPropagator;
  /** The span event limit in force, so per-token records can be batched under it. */
  readonly eventCountLimit: number;
  /** Serves /metrics (Prometheus text); undefined when telemetry is off. */
  readonly prometheus: PrometheusExporter | undefined;
  forceFlush(): Promise<void>;
  /** Flushes and stops exporting, within a bounded time. Safe to call twice. */
  shutdown(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

const isTrue = (value: string | undefined) => value?.trim().toLowerCase() === 'true';

function list(value: string | undefined, fallback: string[]): string[] {
  const items = (value ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean);
  return items.length > 0 ? items : fallback;
}

function positiveNumber(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0, got '${raw}'`);
  return value;
}

/** The OTLP transports of the specification (OTEL_EXPORTER_OTLP_PROTOCOL); grpc is the default. */
export const OTLP_PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];
export type OtlpSignal = 'TRACES' | 'METRICS';

/** Where one signal is exported, and how. */
export interface OtlpTarget {
  readonly protocol: OtlpProtocol;
  readonly url: string;
}

/** The specification's defaults: gRPC on 4317, HTTP on 4318. */
const DEFAULT_GRPC_ENDPOINT = 'http://localhost:4317';
const DEFAULT_HTTP_ENDPOINT = 'http://localhost:4318';
/** The path OTLP/HTTP appends to OTEL_EXPORTER_OTLP_ENDPOINT for each signal. */
const HTTP_SIGNAL_PATHS: Record<OtlpSignal, string> = { TRACES: 'v1/traces', METRICS: 'v1/metrics' };

/**
 * The protocol and URL of one signal from the standard variables: the per-signal variable wins over
 * the general one; a per-signal endpoint is used as is, the general one gets `/v1/{signal}` appended
 * for OTLP/HTTP (after any path it has), as the OTLP exporter specification says.
 */
export function otlpTarget(env: Env, signal: OtlpSignal): OtlpTarget {
  const signalProtocol = `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`;
  const variable = env[signalProtocol]?.trim() ? signalProtocol : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const raw = env[variable]?.trim() || 'grpc';
  if (!(OTLP_PROTOCOLS as readonly string[]).includes(raw)) {
    throw new Error(`${variable} '${raw}' is not supported (${OTLP_PROTOCOLS.join(', ')})`);
  }
  const protocol = raw as OtlpProtocol;
  const signalEndpoint = env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]?.trim();
  if (signalEndpoint) return { protocol, url: signalEndpoint };
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (protocol === 'grpc') return { protocol, url: base || DEFAULT_GRPC_ENDPOINT };
  const root = base || DEFAULT_HTTP_ENDPOINT;
  return { protocol, url: `${root.endsWith('/') ? root : `${root}/`}${HTTP_SIGNAL_PATHS[signal]}` };
}

/** The span exporter of the official package for the protocol. */
export function otlpTraceExporter(target: OtlpTarget): SpanExporter {
  switch (target.protocol) {
    case 'grpc':
      return new GrpcTraceExporter({ url: target.url });
    case 'http/protobuf':
      return new ProtoTraceExporter({ url: target.url });
    case 'http/json':
      return new JsonTraceExporter({ url: target.url });
  }
}

/** The metric exporter of the official package for the protocol. */
export function otlpMetricExporter(target: OtlpTarget): PushMetricExporter {
  switch (target.protocol) {
    case 'grpc':
      return new GrpcMetricExporter({ url: target.url });
    case 'http/protobuf':
      return new ProtoMetricExporter({ url: target.url });
    case 'http/json':
      return new JsonMetricExporter({ url: target.url });
  }
}

/** Telemetry that records nothing (OTEL_SDK_DISABLED=true). */
function disabledTelemetry(): Telemetry {
  return {
    enabled: false,
    tracer: trace.getTracerProvider().getTracer(INSTRUMENTATION_SCOPE),
    meter: metrics.getMeterProvider().getMeter(INSTRUMENTATION_SCOPE),
    propagator: new CompositePropagator({ propagators: [new W3CTraceContextPropagator()] }),
    eventCountLimit: DEFAULT_EVENT_COUNT_LIMIT,
    prometheus: undefined,
    forceFlush: async () => {},
    shutdown: async () => {},
  };
}

async function bounded(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => {}),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

let contextManagerInstalled = false;

/** `context.with(ctx, fn)` makes ctx active inside fn (and what it awaits): once per process. */
function installContextManager(): void {
  if (contextManagerInstalled) return;
  contextManagerInstalled = context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

export function createTelemetry(env: Env = process.env, serviceVersion = '0.0.0'): Telemetry {
  if (isTrue(env.OTEL_SDK_DISABLED)) return disabledTelemetry();
  installContextManager();
  const resource = resourceFromAttributes(
    resourceAttributesFromEnv(env, { serviceName: DEFAULT_SERVICE_NAME, serviceVersion }),
  );
  const eventCountLimit = positiveNumber(env, 'OTEL_SPAN_EVENT_COUNT_LIMIT', DEFAULT_EVENT_COUNT_LIMIT);

  const readers: IMetricReader[] = [];
  const prometheus = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  readers.push(prometheus);
  if (list(env.OTEL_METRICS_EXPORTER, ['otlp']).includes('otlp')) {
    const target = otlpTarget(env, 'METRICS');
    const interval = positiveNumber(env, 'OTEL_METRIC_EXPORT_INTERVAL', 60_000);
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: otlpMetricExporter(target),
        exportIntervalMillis: interval,
        // The reader refuses a timeout longer than its interval.
        exportTimeoutMillis: Math.min(interval, positiveNumber(env, 'OTEL_METRIC_EXPORT_TIMEOUT', 30_000)),
      }),
    );
  }
  const meterProvider = new MeterProvider({ resource, readers });

  const spanProcessors = [];
  const traceExporters = list(env.OTEL_TRACES_EXPORTER, ['otlp']);
  if (traceExporters.includes('otlp')) {
    // The batch processor's queue is bounded and drops when full; exports never block a request.
    // Its self-observability metrics (charts/sdk-metrics-contract.ts: spans processed, by error.type for
    // those dropped or whose export failed; queue size and capacity) go to this meter provider, so
    // /metrics counts what never reached the collector.
    const options: ConstructorParameters<typeof BatchSpanProcessor>[1] & {
      selfObsMeterProvider: MeterProvider;
    } = {
      scheduledDelayMillis: positiveNumber(env, 'OTEL_BSP_SCHEDULE_DELAY', 5_000),
      exportTimeoutMillis: positiveNumber(env, 'OTEL_BSP_EXPORT_TIMEOUT', 30_000),
      maxQueueSize: positiveNumber(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2_048),
      maxExportBatchSize: positiveNumber(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512),
      selfObsMeterProvider: meterProvider,
    };
    spanProcessors.push(new BatchSpanProcessor(otlpTraceExporter(otlpTarget(env, 'TRACES')), options));
  }
  const tracerProvider = new NodeTracerProvider({
    resource,
    sampler: samplerFromEnv(env),
    spanLimits: { eventCountLimit },
    spanProcessors,
  });

  const propagators = list(env.OTEL_PROPAGATORS, ['tracecontext', 'baggage']).flatMap((name) => {
    if (name === 'tracecontext') return [new W3CTraceContextPropagator()];
    if (name === 'baggage') return [new W3CBaggagePropagator()];
    if (name === 'none') return [];
    throw new Error(`OTEL_PROPAGATORS '${name}' is not supported (tracecontext, baggage, none)`);
  });

  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    tracer: tracerProvider.getTracer(INSTRUMENTATION_SCOPE, serviceVersion),
    meter: meterProvider.getMeter(INSTRUMENTATION_SCOPE, serviceVersion),
    propagator: new CompositePropagator({ propagators }),
    eventCountLimit,
    prometheus,
    async forceFlush() {
      await bounded(
        Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]),
        SHUTDOWN_TIMEOUT_MS,
      );
    },
    shutdown() {
      stopped ??= bounded(
        Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]),
        SHUTDOWN_TIMEOUT_MS,
      );
      return stopped;
    },
  };
}
