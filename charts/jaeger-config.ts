// Jaeger v2's configuration (it is an OpenTelemetry Collector distribution), as a pure function: the
// chart renders it with in-cluster listeners, tests with loopback ports, and both run the real binary.

/** The Service name of Jaeger in the system namespace; the collector's gateway exports to it. */
export const JAEGER_SERVICE = 'jaeger';

export interface JaegerListenPorts {
  readonly otlpGrpc: number;
  readonly otlpHttp: number;
  /** UI and HTTP query API. */
  readonly query: number;
  readonly queryGrpc: number;
  /** healthcheckv2 (probes): `/status`. */
  readonly health: number;
}

/** The in-cluster ports (the upstream defaults). */
export const JAEGER_PORTS: JaegerListenPorts = {
  otlpGrpc: 4317,
  otlpHttp: 4318,
  query: 16686,
  queryGrpc: 16685,
  health: 13133,
};

export type JaegerStorage =
  | { readonly type: 'memory' /** @default 100000 */; readonly maxTraces?: number }
  | {
      readonly type: 'badger';
      /** Folder for keys and values (the PVC's mount path in the chart). */
      readonly directory: string;
      /** How long spans are kept. @default '72h' */
      readonly ttl?: string;
    };

export interface JaegerConfigOptions {
  /** @default '0.0.0.0' */
  readonly listenHost?: string;
  /** @default JAEGER_PORTS */
  readonly ports?: JaegerListenPorts;
  /** @default { type: 'memory' } */
  readonly storage?: JaegerStorage;
}

const STORE = 'traces';

/** A badger retention: whole hours, minutes or seconds (`72h`). */
export const JAEGER_TTL_PATTERN = '^\\d+(h|m|s)$';

function backend(storage: JaegerStorage): Record<string, unknown> {
  if (storage.type === 'memory') return { memory: { max_traces: storage.maxTraces ?? 100_000 } };
  if (!storage.directory.startsWith('/')) {
    throw new Error(`storage.directory: "${storage.directory}" must be an absolute path`);
  }
  const ttl = storage.ttl ?? '72h';
  if (!new RegExp(JAEGER_TTL_PATTERN).test(ttl)) {
    throw new Error(`storage.ttl: "${ttl}" is not a duration. Write it like "72h"`);
  }
  return {
    badger: {
      directories: { keys: `${storage.directory}/keys`, values: `${storage.directory}/values` },
      ephemeral: false,
      ttl: { spans: ttl },
    },
  };
}

export function jaegerConfig(options: JaegerConfigOptions = {}): Record<string, unknown> {
  const host = options.listenHost ?? '0.0.0.0';
  const ports = options.ports ?? JAEGER_PORTS;
  return {
    service: {
      extensions: ['jaeger_storage', 'jaeger_query', 'healthcheckv2'],
      pipelines: {
        traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] },
      },
      // Jaeger's own metrics listener would take the collector default port 8888; it is not scraped.
      telemetry: { metrics: { level: 'none' }, logs: { level: 'info' } },
    },
    extensions: {
      healthcheckv2: { use_v2: true, http: { endpoint: `${host}:${ports.health}` } },
      jaeger_query: {
        storage: { traces: STORE },
        http: { endpoint: `${host}:${ports.query}` },
        grpc: { endpoint: `${host}:${ports.queryGrpc}` },
      },
      jaeger_storage: { backends: { [STORE]: backend(options.storage ?? { type: 'memory' }) } },
    },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `${host}:${ports.otlpGrpc}` },
          http: { endpoint: `${host}:${ports.otlpHttp}` },
        },
      },
    },
    processors: { batch: { timeout: '200ms' } },
    exporters: { jaeger_storage_exporter: { trace_storage: STORE } },
  };
}
