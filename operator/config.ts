// The operator's configuration: flags, each with an environment variable (the flag wins), read
// once at start-up and checked here, so the rest of the operator assumes valid values.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_OTLP_ENDPOINT, IMAGES, SYSTEM_NAMESPACE } from '../charts/images.js';
import { DEFAULT_KEDA_PROMETHEUS_ADDRESS } from '../charts/llama-model-autoscaler.js';
import { OPERATOR_ENV, OPERATOR_PORT } from '../charts/operator-contract.js';
import { isOtlpGrpcEndpoint } from '../charts/validate.js';
import { LOG_LEVEL_ENV, type LogLevel, parseLogLevel } from '../lib/log.js';

// Chosen from `npm run bench:operator` (operator/README.md, "At scale").
export const DEFAULT_CONCURRENCY = 32;
/** Only the operator reads it (the install chart sets no value): not a contract. */
export const KEDA_PROMETHEUS_ADDRESS_ENV = 'KUBELLAMA_KEDA_PROMETHEUS_ADDRESS';
export const DEFAULT_KUBE_API_QPS = 100;
export const DEFAULT_KUBE_API_BURST = 200;
/** status.performance: how often each ready pod's /metrics is read, each read's timeout, reads at once. */
export const DEFAULT_PERFORMANCE_INTERVAL_SECONDS = 30;
export const DEFAULT_PERFORMANCE_SCRAPE_TIMEOUT_SECONDS = 5;
export const DEFAULT_PERFORMANCE_SCRAPE_CONCURRENCY = 8;
/** status.download: how often a downloading pod's pull log is read. */
export const DEFAULT_DOWNLOAD_STATUS_INTERVAL_SECONDS = 3;

export interface OperatorConfig {
  /** Path of a kubeconfig; undefined: in-cluster config, else the default loading rules. */
  readonly kubeconfig: string | undefined;
  /** Namespaces to watch; empty: all. */
  readonly namespaces: string[];
  readonly collectorEndpoint: string;
  readonly samplingRatio: number;
  /** The runtime image of CPU models (spec.gpu.count 0) that name none. */
  readonly runtimeImage: string;
  /** The runtime image of GPU models (spec.gpu.count above 0) that name none. */
  readonly runtimeCudaImage: string;
  readonly leaderElect: boolean;
  readonly leaderElectionNamespace: string;
  readonly leaderElectionId: string;
  readonly identity: string;
  /** Lease timing (client-go's defaults: 15 s, 10 s, 2 s). */
  readonly leaseDurationSeconds: number;
  readonly renewDeadlineSeconds: number;
  readonly retryPeriodSeconds: number;
  /** Port of /healthz, /readyz and /metrics (0: any free port, logged). */
  readonly healthPort: number;
  /** Reconcile workers: models reconciled at once (never two for one model). */
  readonly concurrency: number;
  /** Client-side rate limit of API requests (0: none; the API server's priority and fairness still applies). */
  readonly kubeApiQps: number;
  readonly kubeApiBurst: number;
  readonly resyncSeconds: number;
  /** status.performance: false turns the scrapes off. */
  readonly performanceStatus: boolean;
  readonly performanceIntervalSeconds: number;
  readonly performanceScrapeTimeoutSeconds: number;
  readonly performanceScrapeConcurrency: number;
  /** status.download: seconds between reads of a downloading pod's log; 0 turns it off. */
  readonly downloadStatusIntervalSeconds: number;
  /** The Prometheus a KEDA ScaledObject (spec.autoscaling.engine keda) queries. */
  readonly kedaPrometheusAddress: string;
  /** Where the operator sends its own traces; 'none' turns tracing off. */
  readonly traceEndpoint: string;
  readonly logLevel: LogLevel;
}

function ratio(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a number from 0 to 1');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number ≥ 0');
  return n;
}

function endpoint(value: string): string {
  if (value !== 'none' && !isOtlpGrpcEndpoint(value)) {
    throw new InvalidArgumentError('must be http(s)://HOST:PORT');
  }
  return value;
}

/** An http(s) base URL, as KEDA's Prometheus scaler takes serverAddress. */
function prometheusAddress(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || !url.hostname || url.username || url.search) {
    throw new InvalidArgumentError(
      'must be the http(s):// URL of a Prometheus, e.g. http://prometheus-operated.monitoring.svc:9090',
    );
  }
  return value;
}

function logLevel(value: string): LogLevel {
  try {
    return parseLogLevel(value, '--log-level');
  } catch {
    throw new InvalidArgumentError('must be debug, info, warn or error');
  }
}

function image(value: string): string {
  if (!value || /\s/.test(value))
    throw new InvalidArgumentError('must be an image reference, e.g. REGISTRY/runtime:TAG');
  return value;
}

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const program = new Command('kubellama-operator')
    .description('Reconciles LlamaModels into Deployments and Services running kubellama-runtime.')
    .exitOverride()
    // main.ts logs the error as JSON; commander's own copy on stderr would say it twice.
    .configureOutput({ writeErr: () => undefined })
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig file (env KUBECONFIG; default: in-cluster)'))
    .addOption(
      new Option('--namespaces <list>', 'comma-separated namespaces to watch (default: all)').default(
        env[OPERATOR_ENV.watchNamespaces] ?? '',
      ),
    )
    .addOption(
      new Option('--collector-endpoint <url>', 'OTLP/gRPC endpoint injected into model pods')
        .default(env[OPERATOR_ENV.collectorEndpoint] ?? DEFAULT_OTLP_ENDPOINT)
        .argParser(endpoint),
    )
    .addOption(
      new Option('--sampling-ratio <ratio>', 'default trace sampling ratio of model pods')
        .default(env[OPERATOR_ENV.samplingRatio] ?? 1)
        .argParser(ratio),
    )
    .addOption(
      new Option('--runtime-image <image>', 'kubellama-runtime image of CPU models').default(
        env[OPERATOR_ENV.runtimeImage] ?? IMAGES.runtime,
      ),
    )
    .addOption(
      new Option(
        '--runtime-cuda-image <image>',
        'kubellama-runtime image of models with spec.gpu.count above 0 (llama.cpp with CUDA)',
      ).default(env[OPERATOR_ENV.runtimeCudaImage] ?? IMAGES.runtimeCuda),
    )
    .addOption(new Option('--no-leader-elect', 'run without leader election (one replica only)'))
    .addOption(
      new Option('--leader-election-namespace <ns>', 'namespace of the leader Lease').default(
        env[OPERATOR_ENV.podNamespace] ?? SYSTEM_NAMESPACE,
      ),
    )
    .addOption(
      new Option('--leader-election-id <name>', 'name of the leader Lease').default('kubellama-operator'),
    )
    .addOption(new Option('--identity <id>', 'leader election identity (env POD_NAME)'))
    .addOption(
      new Option('--lease-duration-seconds <s>', 'how long a lease lasts unrenewed')
        .default(15)
        .argParser(positiveInt),
    )
    .addOption(
      new Option('--renew-deadline-seconds <s>', 'a leader that cannot renew this long stops')
        .default(10)
        .argParser(positiveInt),
    )
    .addOption(
      new Option('--retry-period-seconds <s>', 'how often candidates try the lease')
        .default(2)
        .argParser(positiveInt),
    )
    .addOption(
      new Option('--health-port <port>', 'port of /healthz, /readyz and /metrics')
        .default(env[OPERATOR_ENV.healthPort] ?? OPERATOR_PORT)
        .argParser(positiveInt),
    )
    .addOption(
      new Option('--concurrency <n>', 'reconcile workers (models reconciled at once)')
        .default(DEFAULT_CONCURRENCY)
        .argParser(positiveInt),
    )
    .addOption(
      new Option('--kube-api-qps <n>', 'client-side limit of API requests per second (0: none)')
        .default(DEFAULT_KUBE_API_QPS)
        .argParser(positiveInt),
    )
    .addOption(
      new Option('--kube-api-burst <n>', 'API requests allowed at once above --kube-api-qps')
        .default(DEFAULT_KUBE_API_BURST)
        .argParser(positiveInt),
    )
    .addOption(
      new Option('--resync-seconds <s>', 'reconcile every model this often')
        .default(600)
        .argParser(positiveInt),
    )
    .addOption(
      new Option(
        '--no-performance-status',
        "do not read the ready pods' /metrics into status.performance (no pods/proxy calls)",
      ),
    )
    .addOption(
      new Option('--performance-interval-seconds <s>', 'how often status.performance reads /metrics')
        .default(DEFAULT_PERFORMANCE_INTERVAL_SECONDS)
        .argParser(positiveInt),
    )
    .addOption(
      new Option('--performance-scrape-timeout-seconds <s>', 'timeout of one /metrics read')
        .default(DEFAULT_PERFORMANCE_SCRAPE_TIMEOUT_SECONDS)
        .argParser(positiveInt),
    )
    .addOption(
      new Option('--performance-scrape-concurrency <n>', '/metrics reads at once')
        .default(DEFAULT_PERFORMANCE_SCRAPE_CONCURRENCY)
        .argParser(positiveInt),
    )
    .addOption(
      new Option(
        '--download-status-interval-seconds <s>',
        "how often status.download reads a downloading pod's pull log (0: off)",
      )
        .default(DEFAULT_DOWNLOAD_STATUS_INTERVAL_SECONDS)
        .argParser(positiveInt),
    )
    .addOption(
      new Option(
        '--keda-prometheus-address <url>',
        `Prometheus that KEDA ScaledObjects query (spec.autoscaling.engine keda; env ${KEDA_PROMETHEUS_ADDRESS_ENV})`,
      )
        .default(env[KEDA_PROMETHEUS_ADDRESS_ENV] ?? DEFAULT_KEDA_PROMETHEUS_ADDRESS)
        .argParser(prometheusAddress),
    )
    .addOption(
      new Option(
        '--trace-endpoint <url>',
        "OTLP/gRPC endpoint of the operator's own traces, or none",
      ).argParser(endpoint),
    )
    .addOption(
      new Option('--log-level <level>', `debug, info, warn or error (env ${LOG_LEVEL_ENV})`)
        .default(env[LOG_LEVEL_ENV] ?? 'info')
        .argParser(logLevel),
    );
  program.parse(argv, { from: 'user' });
  const o = program.opts<{
    kubeconfig?: string;
    namespaces: string;
    collectorEndpoint: string;
    samplingRatio: number | string;
    runtimeImage: string;
    runtimeCudaImage: string;
    leaderElect: boolean;
    leaderElectionNamespace: string;
    leaderElectionId: string;
    identity?: string;
    leaseDurationSeconds: number;
    renewDeadlineSeconds: number;
    retryPeriodSeconds: number;
    healthPort: number | string;
    concurrency: number | string;
    kubeApiQps: number;
    kubeApiBurst: number;
    resyncSeconds: number | string;
    performanceStatus: boolean;
    performanceIntervalSeconds: number;
    performanceScrapeTimeoutSeconds: number;
    performanceScrapeConcurrency: number;
    downloadStatusIntervalSeconds: number;
    kedaPrometheusAddress: string;
    traceEndpoint?: string;
    logLevel: string;
  }>();
  // Defaults taken from the environment skip argParser: check them the same way, naming the flag.
  const check = <T>(flag: string, parse: (v: string) => T, value: unknown): T => {
    try {
      return parse(String(value));
    } catch (error) {
      throw new InvalidArgumentError(`--${flag} (or its environment variable): ${(error as Error).message}`);
    }
  };
  const collectorEndpoint = check('collector-endpoint', endpoint, o.collectorEndpoint);
  return {
    kubeconfig: o.kubeconfig ?? env.KUBECONFIG,
    namespaces: o.namespaces
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean),
    collectorEndpoint,
    samplingRatio: check('sampling-ratio', ratio, o.samplingRatio),
    runtimeImage: check('runtime-image', image, o.runtimeImage),
    runtimeCudaImage: check('runtime-cuda-image', image, o.runtimeCudaImage),
    leaderElect: o.leaderElect && env.KUBELLAMA_LEADER_ELECT !== 'false',
    leaderElectionNamespace: o.leaderElectionNamespace,
    leaderElectionId: o.leaderElectionId,
    identity: `${o.identity ?? env[OPERATOR_ENV.podName] ?? hostname()}_${randomBytes(4).toString('hex')}`,
    leaseDurationSeconds: Math.max(1, o.leaseDurationSeconds),
    renewDeadlineSeconds: Math.max(1, o.renewDeadlineSeconds),
    retryPeriodSeconds: Math.max(1, o.retryPeriodSeconds),
    healthPort: check('health-port', positiveInt, o.healthPort),
    concurrency: Math.max(1, positiveInt(String(o.concurrency))),
    kubeApiQps: o.kubeApiQps,
    kubeApiBurst: Math.max(1, o.kubeApiBurst),
    resyncSeconds: Math.max(1, positiveInt(String(o.resyncSeconds))),
    performanceStatus: o.performanceStatus,
    performanceIntervalSeconds: Math.max(1, o.performanceIntervalSeconds),
    performanceScrapeTimeoutSeconds: Math.max(1, o.performanceScrapeTimeoutSeconds),
    performanceScrapeConcurrency: Math.max(1, o.performanceScrapeConcurrency),
    downloadStatusIntervalSeconds: o.downloadStatusIntervalSeconds,
    kedaPrometheusAddress: check('keda-prometheus-address', prometheusAddress, o.kedaPrometheusAddress),
    logLevel: check('log-level', logLevel, o.logLevel),
    traceEndpoint:
      o.traceEndpoint ??
      check('trace-endpoint', endpoint, env.OTEL_EXPORTER_OTLP_ENDPOINT ?? collectorEndpoint),
  };
}
