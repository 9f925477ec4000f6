// serve settings: flag over env over default, each error naming the flag and its variable.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODEL_DIR, RUNTIME_PORT } from '../../charts/runtime-contract.js';
import { ConfigError, resolveServeConfig } from '../../runtime/config.js';

describe('resolveServeConfig', () => {
  it('fills defaults from the contract', () => {
    const config = resolveServeConfig({ model: '/models/gemma-3-270m.Q8_0.gguf' }, {});
    expect(config).toMatchObject({
      modelAlias: 'gemma-3-270m.Q8_0',
      host: '0.0.0.0',
      port: RUNTIME_PORT,
      parallel: 1,
      gpuLayers: 'auto',
      maxQueue: 16,
      requestTimeoutSeconds: 600,
      traceDetail: 'request',
      captureContent: false,
      apiKey: undefined,
    });
    expect(config.threads).toBeGreaterThanOrEqual(1);
  });

  it('reads the env variables of the contract, and a flag wins over its variable', () => {
    const env = {
      KUBELLAMA_MODEL: 'hf:unsloth/gemma-3-270m-it-GGUF:Q8_0',
      KUBELLAMA_PORT: '9000',
      KUBELLAMA_PARALLEL: '4',
      KUBELLAMA_THREADS: '3',
      KUBELLAMA_GPU_LAYERS: '12',
      KUBELLAMA_TRACE_DETAIL: 'token',
      KUBELLAMA_API_KEY: 'sk-env',
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
      KUBELLAMA_MODEL_DIR: '/cache/models',
    };
    const config = resolveServeConfig({ port: '9100', modelAlias: 'gemma' }, env);
    expect(config).toMatchObject({
      model: env.KUBELLAMA_MODEL,
      modelAlias: 'gemma',
      port: 9100,
      parallel: 4,
      threads: 3,
      gpuLayers: 12,
      traceDetail: 'token',
      apiKey: 'sk-env',
      captureContent: true,
      modelDir: '/cache/models',
    });
    expect(resolveServeConfig({ model: 'm.gguf' }, {}).modelDir).toBe(MODEL_DIR);
  });

  it('reads the API key from a file, which wins over the variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubellama-key-'));
    try {
      writeFileSync(join(dir, 'key'), 'sk-from-file\n');
      const config = resolveServeConfig(
        { model: 'm.gguf', apiKeyFile: join(dir, 'key') },
        { KUBELLAMA_API_KEY: 'sk-env' },
      );
      expect(config.apiKey).toBe('sk-from-file');
      expect(() => resolveServeConfig({ model: 'm.gguf', apiKeyFile: join(dir, 'missing') }, {})).toThrow(
        /--api-key-file \(KUBELLAMA_API_KEY_FILE\): cannot read/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [{}, {}, '--model (KUBELLAMA_MODEL) is required'],
    [{ model: 'm.gguf', port: '70000' }, {}, '--port (KUBELLAMA_PORT) must be an integer from 0 to 65535'],
    [
      { model: 'm.gguf' },
      { KUBELLAMA_PARALLEL: '0' },
      '--parallel (KUBELLAMA_PARALLEL) must be an integer from 1',
    ],
    [
      { model: 'm.gguf', threads: '1.5' },
      {},
      "--threads (KUBELLAMA_THREADS) must be an integer from 1 to 1024, got '1.5'",
    ],
    [{ model: 'm.gguf', gpuLayers: 'all' }, {}, '--gpu-layers (KUBELLAMA_GPU_LAYERS)'],
    [
      { model: 'm.gguf', traceDetail: 'span' },
      {},
      "--trace-detail (KUBELLAMA_TRACE_DETAIL) must be 'request' or 'token'",
    ],
    [
      { model: 'm.gguf', requestTimeout: '-1' },
      {},
      '--request-timeout (KUBELLAMA_REQUEST_TIMEOUT) must be a number of seconds',
    ],
    [{ model: 'm.gguf', maxQueue: 'ten' }, {}, '--max-queue (KUBELLAMA_MAX_QUEUE)'],
  ])('refuses %j %j', (flags, env, message) => {
    expect(() => resolveServeConfig(flags, env)).toThrow(ConfigError);
    expect(() => resolveServeConfig(flags, env)).toThrow(message);
  });
});
