// Shared set-up for the runtime suites: the tiny model in a temp folder and an in-process
// RuntimeServer on a free loopback port, with one llama.cpp thread (two cores for everyone).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../lib/log.js';
import type { ServeConfig } from '../../runtime/config.js';
import { RuntimeServer } from '../../runtime/server/runtime-server.js';
import { writeTinyModel } from '../tools/tiny-model/tiny-llama.js';

export const TEST_MODEL = 'tiny';
/** A prompt on which the tiny model, greedy, runs to max_tokens without an end-of-generation token. */
export const LONG_PROMPT = 'Once upon a time';

export interface TinyModelDir {
  readonly dir: string;
  readonly modelPath: string;
  remove(): Promise<void>;
}

export async function tinyModelDir(): Promise<TinyModelDir> {
  const dir = await mkdtemp(join(tmpdir(), 'kubellama-runtime-'));
  const modelPath = join(dir, 'tiny.gguf');
  await writeTinyModel(modelPath);
  return { dir, modelPath, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function testConfig(modelPath: string, overrides: Partial<ServeConfig> = {}): ServeConfig {
  return {
    model: modelPath,
    modelAlias: TEST_MODEL,
    host: '127.0.0.1',
    port: 0,
    contextSize: 2048,
    parallel: 2,
    threads: 1,
    gpuLayers: 0,
    batchSize: undefined,
    apiKey: undefined,
    maxQueue: 4,
    requestTimeoutSeconds: 60,
    traceDetail: 'request',
    captureContent: false,
    modelDir: tmpdir(),
    modelSha256: undefined,
    ...overrides,
  };
}

/** Collects the server's log lines, so a test can assert on warnings. */
export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** Collects the server's log lines (as written: JSON), so a test can assert on them. */
export function memoryLog(level: 'debug' | 'info' = 'info'): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  return { lines, log: createLogger({ level, write: (line) => lines.push(JSON.parse(line) as LogLine) }) };
}

/**
 * The environment that sends a test server's traces to a Jaeger (metrics off: Jaeger takes traces
 * only), exported every 100 ms so a test need not wait for the default 5 s batch.
 */
export function jaegerTraceEnv(
  jaeger: { otlpGrpcEndpoint: string },
  service: string,
): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: service,
    OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpGrpcEndpoint,
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_METRICS_EXPORTER: 'none',
  };
}

export async function startTestServer(
  config: ServeConfig,
  env: Record<string, string> = { OTEL_SDK_DISABLED: 'true' },
  log: Logger = memoryLog().log,
): Promise<RuntimeServer> {
  const server = await RuntimeServer.start(config, { env, log });
  await server.loaded();
  return server;
}

export interface SseResult {
  readonly status: number;
  readonly headers: Headers;
  readonly events: unknown[];
  readonly done: boolean;
}

/** Reads a whole SSE response with fetch, parsing each `data:` line. */
export async function readSse(response: Response): Promise<SseResult> {
  const text = await response.text();
  const events: unknown[] = [];
  let done = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const data = line.slice(6);
    if (data === '[DONE]') done = true;
    else events.push(JSON.parse(data));
  }
  return { status: response.status, headers: response.headers, events, done };
}
