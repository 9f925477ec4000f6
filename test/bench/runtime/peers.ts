// The servers the benchmark drives: kubellama-runtime with telemetry off, at detail=request and at
// detail=token (both exporting to the real Jaeger), and llama.cpp's own llama-server as the peer
// (optional: built by `npm run tool:llama-server`). Same GGUF, threads, context per sequence and
// number of sequences for all.
import { join } from 'node:path';
import { freePort, httpGet, type Jaeger, ServerProcess, waitFor } from '../../harness/index.js';

export type RuntimeMode = 'off' | 'request' | 'token';

export interface PeerSettings {
  readonly modelPath: string;
  readonly modelName: string;
  readonly threads: number;
  /** Sequences (slots) each server runs at once. */
  readonly parallel: number;
  /** Context per sequence, in tokens. */
  readonly contextSize: number;
  /** Folder for the servers' logs. */
  readonly logDir: string;
}

export interface RunningPeer {
  readonly url: string;
  stop(): Promise<void>;
}

const REPO = join(import.meta.dirname, '..', '..', '..');

function runtimeEnv(mode: RuntimeMode, jaeger: Jaeger | undefined): Record<string, string> {
  if (mode === 'off' || !jaeger) return { OTEL_SDK_DISABLED: 'true' };
  return {
    OTEL_SERVICE_NAME: `bench-${mode}`,
    OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpGrpcEndpoint,
    // Jaeger takes traces only; /metrics still records every instrument.
    OTEL_METRICS_EXPORTER: 'none',
    KUBELLAMA_TRACE_DETAIL: mode,
  };
}

async function ready(name: string, process_: ServerProcess, url: string, path: string): Promise<RunningPeer> {
  await waitFor(async () => (await httpGet(`${url}${path}`)).status === 200, {
    description: name,
    timeoutMs: 180_000,
    abortIf: () => process_.assertRunning(),
  });
  return {
    url,
    stop: async () => {
      await process_.stop();
    },
  };
}

export async function startRuntime(settings: PeerSettings, mode: RuntimeMode, jaeger: Jaeger | undefined) {
  const port = await freePort();
  const name = `runtime-${mode}`;
  const process_ = ServerProcess.start({
    name,
    command: process.execPath,
    args: [
      ...['--import', 'tsx', join(REPO, 'runtime', 'cli', 'cli.ts'), 'serve'],
      ...['--model', settings.modelPath, '--alias', 'bench', '--host', '127.0.0.1', '--port', String(port)],
      ...['--threads', String(settings.threads), '--parallel', String(settings.parallel)],
      ...['--context-size', String(settings.contextSize), '--gpu-layers', '0'],
    ],
    logFile: join(settings.logDir, `serve-${settings.modelName}-${mode}.log`),
    cwd: REPO,
    env: runtimeEnv(mode, jaeger),
  });
  return ready(name, process_, `http://127.0.0.1:${port}`, '/readyz');
}

/** llama-server with the same settings: `-np` slots of `contextSize` each, 1 thread for both phases. */
export function llamaServerArgs(settings: PeerSettings, port: number): string[] {
  return [
    ...['-m', settings.modelPath, '--alias', 'bench', '--host', '127.0.0.1', '--port', String(port)],
    ...['-np', String(settings.parallel), '-c', String(settings.contextSize * settings.parallel)],
    ...['-t', String(settings.threads), '-tb', String(settings.threads), '-ngl', '0'],
  ];
}

export async function startLlamaServer(settings: PeerSettings, binary: string) {
  const port = await freePort();
  const process_ = ServerProcess.start({
    name: 'llama-server',
    command: binary,
    args: llamaServerArgs(settings, port),
    logFile: join(settings.logDir, `llama-server-${settings.modelName}.log`),
  });
  return ready('llama-server', process_, `http://127.0.0.1:${port}`, '/health');
}
