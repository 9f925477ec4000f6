// Runtime settings: each from its flag, else its environment variable (names in the shared runtime
// contract), else the default. Read once, validated here, with errors that name the flag and variable.
// ModelConfig is what loading and tracing a model needs (`complete` reads only that); ServeConfig
// adds the server's settings (`serve`).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { MODEL_DIR, RUNTIME_ENV, RUNTIME_PORT, type TraceDetail } from '../charts/runtime-contract.js';
import { defaultThreads } from './engine/cpu-quota.js';

/**
 * Every environment variable `serve` reads: the ones the operator sets (the shared contract,
 * RUNTIME_ENV) and the ones only users set (through spec.runtime.env, compose or a shell).
 */
export const SERVE_ENV = {
  ...RUNTIME_ENV,
  batchSize: 'KUBELLAMA_BATCH_SIZE',
  apiKey: 'KUBELLAMA_API_KEY',
  apiKeyFile: 'KUBELLAMA_API_KEY_FILE',
  maxQueue: 'KUBELLAMA_MAX_QUEUE',
  /** Seconds. */
  requestTimeout: 'KUBELLAMA_REQUEST_TIMEOUT',
} as const;

export interface ModelConfig {
  /** Path or URI of the model (URIs are pulled into modelDir first). */
  readonly model: string;
  /** Name clients use in `model`. @default the file name without .gguf */
  readonly modelAlias: string;
  /** @default the model's training context, capped at 4096 */
  readonly contextSize: number | undefined;
  /** @default the container's CPU quota */
  readonly threads: number;
  /** @default 'auto' */
  readonly gpuLayers: number | 'auto' | 'max';
  /** @default 'request' */
  readonly traceDetail: TraceDetail;
  /** @default false */
  readonly captureContent: boolean;
  /** Where URIs are downloaded to. @default MODEL_DIR */
  readonly modelDir: string;
  readonly modelSha256: string | undefined;
}

export interface ServeConfig extends ModelConfig {
  /** @default '0.0.0.0' */
  readonly host: string;
  /** @default 8080 (RUNTIME_PORT) */
  readonly port: number;
  /** @default 1 */
  readonly parallel: number;
  readonly batchSize: number | undefined;
  /** Required as a Bearer token when set. */
  readonly apiKey: string | undefined;
  /** @default 16 */
  readonly maxQueue: number;
  /** Seconds a request may run before its generation is stopped. @default 600 */
  readonly requestTimeoutSeconds: number;
}

/** The flag values commander hands over (strings, before validation). */
export type ServeFlags = Partial<Record<keyof typeof SERVE_FLAGS, string>>;

/** Flag names, keyed by the contract's env var keys. */
export const SERVE_FLAGS = {
  model: '--model',
  modelAlias: '--alias',
  host: '--host',
  port: '--port',
  contextSize: '--context-size',
  parallel: '--parallel',
  threads: '--threads',
  gpuLayers: '--gpu-layers',
  batchSize: '--batch-size',
  apiKeyFile: '--api-key-file',
  maxQueue: '--max-queue',
  requestTimeout: '--request-timeout',
  traceDetail: '--trace-detail',
  modelSha256: '--sha256',
  modelDir: '--model-dir',
} as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;
type Key = keyof typeof SERVE_FLAGS;

function source(key: Key): string {
  return `${SERVE_FLAGS[key]} (${SERVE_ENV[key]})`;
}

function raw(key: Key, flags: ServeFlags, env: Env): string | undefined {
  const value = flags[key] ?? env[SERVE_ENV[key]];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(
  key: Key,
  flags: ServeFlags,
  env: Env,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const value = raw(key, flags, env);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < min || n > max) {
    throw new ConfigError(`${source(key)} must be an integer from ${min} to ${max}, got '${value}'`);
  }
  return n;
}

function modelAlias(model: string): string {
  const file = basename(model.split(/[?#]/)[0] ?? model);
  return file.replace(/\.gguf$/i, '') || model;
}

function apiKey(flags: ServeFlags, env: Env): string | undefined {
  const file = raw('apiKeyFile', flags, env);
  if (file !== undefined) {
    try {
      const key = readFileSync(file, 'utf8').trim();
      if (key === '') throw new ConfigError(`${source('apiKeyFile')}: ${file} is empty`);
      return key;
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(`${source('apiKeyFile')}: cannot read ${file}: ${(error as Error).message}`);
    }
  }
  const key = env[SERVE_ENV.apiKey]?.trim();
  return key ? key : undefined;
}

export function resolveModelConfig(flags: ServeFlags, env: Env = process.env): ModelConfig {
  const model = raw('model', flags, env);
  if (model === undefined) throw new ConfigError(`${source('model')} is required: a GGUF path or URI`);
  const threadsRaw = raw('threads', flags, env);
  const gpuLayersRaw = raw('gpuLayers', flags, env) ?? 'auto';
  const detail = raw('traceDetail', flags, env) ?? 'request';
  if (detail !== 'request' && detail !== 'token') {
    throw new ConfigError(`${source('traceDetail')} must be 'request' or 'token', got '${detail}'`);
  }
  return {
    model,
    modelAlias: raw('modelAlias', flags, env) ?? modelAlias(model),
    contextSize: integer('contextSize', flags, env, 16),
    threads:
      threadsRaw === undefined || threadsRaw === 'auto'
        ? defaultThreads()
        : (integer('threads', flags, env, 1, 1024) as number),
    gpuLayers:
      gpuLayersRaw === 'auto' || gpuLayersRaw === 'max'
        ? gpuLayersRaw
        : (integer('gpuLayers', flags, env, 0, 100_000) as number),
    traceDetail: detail,
    captureContent: env[SERVE_ENV.captureContent]?.trim().toLowerCase() === 'true',
    modelDir: raw('modelDir', flags, env) ?? MODEL_DIR,
    modelSha256: raw('modelSha256', flags, env),
  };
}

export function resolveServeConfig(flags: ServeFlags, env: Env = process.env): ServeConfig {
  const model = resolveModelConfig(flags, env);
  const timeout = raw('requestTimeout', flags, env);
  const timeoutSeconds = timeout === undefined ? 600 : Number(timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new ConfigError(`${source('requestTimeout')} must be a number of seconds > 0, got '${timeout}'`);
  }
  return {
    ...model,
    host: raw('host', flags, env) ?? '0.0.0.0',
    port: integer('port', flags, env, 0, 65535) ?? RUNTIME_PORT,
    parallel: integer('parallel', flags, env, 1, 256) ?? 1,
    batchSize: integer('batchSize', flags, env, 1),
    apiKey: apiKey(flags, env),
    maxQueue: integer('maxQueue', flags, env, 0, 100_000) ?? 16,
    requestTimeoutSeconds: timeoutSeconds,
  };
}
