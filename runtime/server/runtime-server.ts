// The whole `serve` process minus signal handling: telemetry, the HTTP app listening at once (so
// probes answer while the model loads), then the engine. Used by the CLI and by in-process tests.
import type { FastifyInstance } from 'fastify';
import { createLogger, type Logger } from '../../lib/log.js';
import type { ServeConfig } from '../config.js';
import { Engine } from '../engine/engine.js';
import { RuntimeMetrics } from '../telemetry/metrics.js';
import { ModelLoadSpan } from '../telemetry/model-load-span.js';
import { createTelemetry, type Telemetry } from '../telemetry/sdk.js';
import { LLAMA_GPU_NONE } from '../telemetry/semconv.js';
import { buildApp } from './app.js';
import { AppContext } from './app-context.js';

export interface RuntimeServerOptions {
  /** Where OTEL_* are read from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default the product's JSON-lines logger at info */
  readonly log?: Logger;
  /** Resolves a model URI to a local path (the pull command); plain paths are used as they are. */
  readonly resolveModel?: (model: string) => Promise<string>;
  readonly serviceVersion?: string;
}

export class RuntimeServer {
  readonly app: FastifyInstance;
  readonly context: AppContext;
  readonly telemetry: Telemetry;
  readonly #config: ServeConfig;
  readonly #options: RuntimeServerOptions;
  #loading: Promise<void> | undefined;
  #closed: Promise<void> | undefined;

  private constructor(config: ServeConfig, options: RuntimeServerOptions) {
    this.#config = config;
    this.#options = options;
    this.telemetry = createTelemetry(options.env ?? process.env, options.serviceVersion);
    const log = options.log ?? createLogger();
    const metrics = this.telemetry.enabled
      ? new RuntimeMetrics(this.telemetry.meter, {
          stats: () => this.context.engine?.stats() ?? { processing: 0, deferred: 0, kvCacheUsage: 0 },
          memory: async () =>
            this.context.engine ? this.context.engine.memory() : { ram: process.memoryUsage().rss, vram: 0 },
        })
      : undefined;
    this.context = new AppContext(config, this.telemetry, metrics, log);
    this.app = buildApp(this.context);
  }

  /** Listens on the configured host and port, then loads the model in the background. */
  static async start(config: ServeConfig, options: RuntimeServerOptions = {}): Promise<RuntimeServer> {
    const server = new RuntimeServer(config, options);
    await server.app.listen({ host: config.host, port: config.port });
    server.#loading = server.#load();
    return server;
  }

  /** `http://host:port` as bound (the real port when 0 was asked for). */
  get url(): string {
    const address = this.app.server.address();
    if (address === null || typeof address === 'string')
      throw new Error('the server is not listening on TCP');
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
  }

  /** Resolves when the model has loaded; rejects with the load error. */
  async loaded(): Promise<Engine> {
    await this.#loading;
    if (this.context.loadError) throw this.context.loadError;
    return this.context.engine!;
  }

  async #load(): Promise<void> {
    const config = this.#config;
    const span = new ModelLoadSpan(this.telemetry.tracer, config.modelAlias, config.model);
    try {
      const path = this.#options.resolveModel ? await this.#options.resolveModel(config.model) : config.model;
      const engine = await Engine.create({
        modelPath: path,
        contextSize: config.contextSize,
        parallel: config.parallel,
        threads: config.threads,
        gpuLayers: config.gpuLayers,
        // No layers on a GPU: skip probing for GPU backends (seconds on a CPU-only node).
        gpu: config.gpuLayers === 0 ? false : 'auto',
        batchSize: config.batchSize,
        maxQueue: config.maxQueue,
        onBatch: (sequences) => this.context.metrics?.batchDecoded(sequences),
      });
      span.loaded(engine.info);
      this.context.metrics?.modelLoaded(engine.info);
      const { backend, ...info } = engine.info;
      const { level, message, used, ...facts } = backend;
      this.context.log.log(level, message, { gpu: used === false ? LLAMA_GPU_NONE : used, ...facts });
      if (this.#closed) {
        await engine.dispose();
        return;
      }
      this.context.engine = engine;
      this.context.log.info('model loaded', info);
    } catch (error) {
      span.failed(error);
      this.context.loadError = error instanceof Error ? error : new Error(String(error));
      this.context.log.error('model failed to load', { error: String(error) });
    }
  }

  /**
   * Graceful stop: /readyz fails, no new connections, in-flight requests finish (up to graceSeconds,
   * then connections are cut), the engine is freed and telemetry flushed. Safe to call twice.
   */
  close(graceSeconds = 30): Promise<void> {
    this.#closed ??= (async () => {
      this.context.draining = true;
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.context.log.warn('grace period over; closing the remaining connections');
          this.app.server.closeAllConnections();
          resolve();
        }, graceSeconds * 1000);
      });
      // Keep-alive connections go idle when their last response ends; close them as they do, or
      // server.close() would wait for the clients' keep-alive timeouts.
      const idle = setInterval(() => this.app.server.closeIdleConnections(), 100);
      await Promise.race([this.app.close(), grace]);
      clearInterval(idle);
      clearTimeout(timer);
      await this.#loading;
      await this.context.engine?.dispose();
      await this.telemetry.shutdown();
    })();
    return this.#closed;
  }
}
