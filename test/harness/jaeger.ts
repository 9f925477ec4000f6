// The real Jaeger v2 on loopback, run on the config the Jaeger chart generates, and a client for its
// query API.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type JaegerStorage, jaegerConfig } from '../../charts/jaeger-config.js';
import { binaryPath } from '../tools/catalog.js';
import { freePorts } from './ports.js';
import { ServerProcess } from './server-process.js';
import { httpGet, waitFor } from './wait.js';
import { makeWorkDir, removeWorkDir } from './workdir.js';

/** A span as Jaeger's query API (`/api/traces/{id}`) returns it. */
export interface JaegerSpan {
  readonly traceID: string;
  readonly spanID: string;
  readonly operationName: string;
  readonly references: readonly { refType: string; traceID: string; spanID: string }[];
  readonly startTime: number;
  readonly duration: number;
  readonly tags: readonly { key: string; type: string; value: unknown }[];
  readonly logs: readonly { timestamp: number; fields: readonly { key: string; value: unknown }[] }[];
  readonly processID: string;
}

export interface JaegerTrace {
  readonly traceID: string;
  readonly spans: readonly JaegerSpan[];
  readonly processes: Readonly<
    Record<string, { serviceName: string; tags: readonly { key: string; type: string; value: unknown }[] }>
  >;
}

export interface Jaeger {
  /** OTLP/gRPC endpoint, e.g. `http://127.0.0.1:PORT` (insecure). */
  readonly otlpGrpcEndpoint: string;
  /** OTLP/HTTP base URL. */
  readonly otlpHttpEndpoint: string;
  /** Query UI and HTTP API base URL. */
  readonly queryUrl: string;
  readonly process: ServerProcess;
  /** The config Jaeger runs with. */
  readonly config: Record<string, unknown>;
  /** Resolves with the trace once it holds at least `minSpans` spans. */
  waitForTrace(traceId: string, options?: { minSpans?: number; timeoutMs?: number }): Promise<JaegerTrace>;
  /** The service names Jaeger has seen. */
  services(): Promise<string[]>;
  stop(): Promise<void>;
}

export interface JaegerOptions {
  /**
   * Where traces are kept; gets the server's work folder (for badger's directories).
   * @default in memory
   */
  readonly storage?: (dir: string) => JaegerStorage;
}

/** Jaeger on the config that charts/jaeger-config.ts generates, every listener on a loopback port. */
export async function startJaeger(options: JaegerOptions = {}): Promise<Jaeger> {
  const dir = makeWorkDir('jaeger');
  const [otlpGrpc, otlpHttp, query, queryGrpc, health] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const configFile = join(dir, 'jaeger.yaml');
  const config = jaegerConfig({
    listenHost: '127.0.0.1',
    ports: { otlpGrpc, otlpHttp, query, queryGrpc, health },
    storage: options.storage?.(dir) ?? { type: 'memory' },
  });
  writeFileSync(configFile, stringify(config));
  const process = ServerProcess.start({
    name: 'jaeger',
    command: binaryPath('jaeger'),
    args: ['--config', `file:${configFile}`],
    logFile: join(dir, 'jaeger.log'),
  });
  const queryUrl = `http://127.0.0.1:${query}`;
  try {
    await waitFor(async () => (await httpGet(`http://127.0.0.1:${health}/status`)).status === 200, {
      description: 'Jaeger health check',
      abortIf: () => process.assertRunning(),
    });
    await waitFor(async () => (await httpGet(`${queryUrl}/api/services`)).status === 200, {
      description: 'Jaeger query API',
      abortIf: () => process.assertRunning(),
    });
  } catch (error) {
    await process.stop();
    removeWorkDir(dir);
    throw error;
  }
  return {
    otlpGrpcEndpoint: `http://127.0.0.1:${otlpGrpc}`,
    otlpHttpEndpoint: `http://127.0.0.1:${otlpHttp}`,
    queryUrl,
    process,
    config,
    async waitForTrace(traceId, options = {}) {
      return waitFor(
        async () => {
          const response = await httpGet(`${queryUrl}/api/traces/${traceId}`);
          if (response.status !== 200) return undefined;
          const trace = (JSON.parse(response.body) as { data: JaegerTrace[] }).data[0];
          return trace && trace.spans.length >= (options.minSpans ?? 1) ? trace : undefined;
        },
        {
          description: `trace ${traceId} in Jaeger`,
          timeoutMs: options.timeoutMs ?? 30_000,
          intervalMs: 200,
        },
      );
    },
    async services() {
      const response = await httpGet(`${queryUrl}/api/services`);
      return (JSON.parse(response.body) as { data: string[] | null }).data ?? [];
    },
    async stop() {
      await process.stop();
      removeWorkDir(dir);
    },
  };
}
