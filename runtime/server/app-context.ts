// What the routes share: settings, telemetry, and the engine once it has loaded.
import type { Logger } from '../../lib/log.js';
import type { ServeConfig } from '../config.js';
import type { Engine } from '../engine/engine.js';
import type { RuntimeMetrics } from '../telemetry/metrics.js';
import type { Telemetry } from '../telemetry/sdk.js';
import { ApiError } from './errors.js';

export type AppConfig = Pick<
  ServeConfig,
  'modelAlias' | 'apiKey' | 'requestTimeoutSeconds' | 'traceDetail' | 'captureContent'
>;

export class AppContext {
  readonly config: AppConfig;
  readonly telemetry: Telemetry;
  readonly metrics: RuntimeMetrics | undefined;
  readonly log: Logger;
  engine: Engine | undefined;
  /** Set on SIGTERM: /readyz fails so the Service stops routing here. */
  draining = false;
  /** Set when the model failed to load. */
  loadError: Error | undefined;

  constructor(config: AppConfig, telemetry: Telemetry, metrics: RuntimeMetrics | undefined, log: Logger) {
    this.config = config;
    this.telemetry = telemetry;
    this.metrics = metrics;
    this.log = log;
  }

  get ready(): boolean {
    return this.engine !== undefined && !this.engine.disposed && !this.draining;
  }

  requireEngine(): Engine {
    if (this.draining || this.engine?.disposed)
      throw new ApiError('shutting_down', 'The server is shutting down; retry elsewhere.');
    if (!this.engine) {
      throw new ApiError(
        'model_not_ready',
        this.loadError
          ? `The model failed to load: ${this.loadError.message}`
          : 'The model is still loading.',
        null,
        {
          'retry-after': '1',
        },
      );
    }
    return this.engine;
  }
}
