// The real OpenTelemetry Collector (our builder distribution) on loopback.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type CollectorConfigOptions, collectorConfig } from '../../charts/collector-config.js';
import { binaryPath } from '../tools/catalog.js';
import { freePorts } from './ports.js';
import { ServerProcess } from './server-process.js';
import { httpGet, waitFor } from './wait.js';
import { makeWorkDir, removeWorkDir } from './workdir.js';

export interface CollectorPorts {
  readonly otlpGrpc: number;
  readonly otlpHttp: number;
  readonly health: number;
  readonly prometheus: number;
}

/** A collector config; plain data, written to YAML as it is. */
export type CollectorConfig = Record<string, unknown>;

/** What a test may change in the default pipeline: mode, tail sampling, spanmetrics, … */
export type PipelineOptions = Omit<CollectorConfigOptions, 'listenHost' | 'ports' | 'exportEndpoint'>;

/**
 * The harness's default pipeline: the chart's gateway config (charts/collector-config.ts) on
 * loopback, exporting traces to `tracesEndpoint` (e.g. Jaeger), without k8s_attributes, which
 * needs an API server (the chart tests that run it pass their own `makeConfig`), with `pipeline`
 * on top.
 */
export function defaultCollectorConfig(
  ports: CollectorPorts,
  tracesEndpoint: string,
  pipeline: PipelineOptions = {},
): CollectorConfig {
  return collectorConfig({
    listenHost: '127.0.0.1',
    ports,
    exportEndpoint: tracesEndpoint,
    k8sAttributes: false,
    ...pipeline,
  });
}

export interface Collector {
  readonly otlpGrpcEndpoint: string;
  readonly otlpHttpEndpoint: string;
  /** Base URL of the prometheus exporter (`/metrics`), when the config has one on `ports.prometheus`. */
  readonly prometheusUrl: string;
  readonly ports: CollectorPorts;
  readonly configFile: string;
  readonly process: ServerProcess;
  stop(): Promise<void>;
}

export interface ValidationResult {
  readonly ok: boolean;
  readonly output: string;
}

/** Runs the collector's own `validate` command on a config. */
export function validateCollectorConfig(config: CollectorConfig): ValidationResult {
  const dir = makeWorkDir('otelcol-validate');
  try {
    const configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, stringify(config));
    const result = spawnSync(
      binaryPath('otelcol-kubellama'),
      ['validate', '--config', `file:${configFile}`],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
  } finally {
    removeWorkDir(dir);
  }
}

/**
 * Starts the collector with `makeConfig(ports)` (default: `defaultCollectorConfig` exporting to
 * `tracesEndpoint`, with `pipeline`); ready once its health_check extension answers on `ports.health`.
 */
export async function startCollector(options: {
  tracesEndpoint?: string;
  pipeline?: PipelineOptions;
  makeConfig?: (ports: CollectorPorts) => CollectorConfig;
}): Promise<Collector> {
  const [otlpGrpc, otlpHttp, health, prometheus] = (await freePorts(4)) as [number, number, number, number];
  const ports = { otlpGrpc, otlpHttp, health, prometheus };
  const makeConfig =
    options.makeConfig ??
    ((p: CollectorPorts) => {
      if (!options.tracesEndpoint) throw new Error('startCollector needs tracesEndpoint or makeConfig');
      return defaultCollectorConfig(p, options.tracesEndpoint, options.pipeline);
    });
  const dir = makeWorkDir('otelcol');
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, stringify(makeConfig(ports)));
  const process = ServerProcess.start({
    name: 'otelcol',
    command: binaryPath('otelcol-kubellama'),
    args: ['--config', `file:${configFile}`],
    logFile: join(dir, 'otelcol.log'),
  });
  try {
    await waitFor(async () => (await httpGet(`http://127.0.0.1:${health}/`)).status === 200, {
      description: 'collector health_check',
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
    prometheusUrl: `http://127.0.0.1:${prometheus}`,
    ports,
    configFile,
    process,
    async stop() {
      await process.stop();
      removeWorkDir(dir);
    },
  };
}
