// kubellama-operator's flags and environment: defaults, env fallbacks, the flag winning, and
// errors that name the bad flag.
import { describe, expect, it } from 'vitest';
import { DEFAULT_OTLP_ENDPOINT, IMAGES, SYSTEM_NAMESPACE } from '../../charts/images.js';
import { parseConfig } from '../../operator/config.js';

describe('operator configuration', () => {
  it('has in-cluster defaults', () => {
    const config = parseConfig([], {});
    expect(config).toMatchObject({
      kubeconfig: undefined,
      namespaces: [],
      collectorEndpoint: DEFAULT_OTLP_ENDPOINT,
      samplingRatio: 1,
      runtimeImage: IMAGES.runtime,
      runtimeCudaImage: IMAGES.runtimeCuda,
      leaderElect: true,
      leaderElectionNamespace: SYSTEM_NAMESPACE,
      healthPort: 8081,
      traceEndpoint: DEFAULT_OTLP_ENDPOINT,
      logLevel: 'info',
    });
  });

  it('reads the environment, and a flag wins over it', () => {
    const env = {
      WATCH_NAMESPACES: 'a, b',
      KUBELLAMA_COLLECTOR_ENDPOINT: 'http://collector:4317',
      KUBELLAMA_SAMPLING_RATIO: '0.25',
      KUBELLAMA_RUNTIME_IMAGE: 'registry/runtime:1',
      KUBELLAMA_RUNTIME_CUDA_IMAGE: 'registry/runtime:1-cuda',
      POD_NAMESPACE: 'ops',
      KUBELLAMA_LEADER_ELECT: 'false',
    };
    const config = parseConfig(['--sampling-ratio', '0.5'], env);
    expect(config).toMatchObject({
      namespaces: ['a', 'b'],
      collectorEndpoint: 'http://collector:4317',
      samplingRatio: 0.5,
      runtimeImage: 'registry/runtime:1',
      runtimeCudaImage: 'registry/runtime:1-cuda',
      leaderElectionNamespace: 'ops',
      leaderElect: false,
    });
    expect(parseConfig(['--no-leader-elect'], {}).leaderElect).toBe(false);
    expect(parseConfig([], { LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(parseConfig(['--log-level', 'WARN'], { LOG_LEVEL: 'debug' }).logLevel).toBe('warn');
    expect(parseConfig(['--runtime-cuda-image', 'r/rt:2-cuda'], env).runtimeCudaImage).toBe('r/rt:2-cuda');
  });

  it('status.performance and status.download: on by default, their intervals, bounds and off switches', () => {
    expect(parseConfig([], {})).toMatchObject({
      performanceStatus: true,
      performanceIntervalSeconds: 30,
      performanceScrapeTimeoutSeconds: 5,
      performanceScrapeConcurrency: 8,
      downloadStatusIntervalSeconds: 3,
    });
    const set = parseConfig(
      [
        '--no-performance-status',
        '--performance-interval-seconds',
        '10',
        '--performance-scrape-timeout-seconds',
        '2',
        '--performance-scrape-concurrency',
        '3',
        '--download-status-interval-seconds',
        '0',
      ],
      {},
    );
    expect(set).toMatchObject({
      performanceStatus: false,
      performanceIntervalSeconds: 10,
      performanceScrapeTimeoutSeconds: 2,
      performanceScrapeConcurrency: 3,
      downloadStatusIntervalSeconds: 0,
    });
    expect(() => parseConfig(['--performance-interval-seconds', 'often'], {})).toThrow(
      /--performance-interval-seconds/,
    );
    expect(() => parseConfig(['--performance-scrape-concurrency', '-1'], {})).toThrow(
      /--performance-scrape-concurrency/,
    );
  });

  it("KEDA's Prometheus: kube-prometheus-stack's by default, the environment, the flag, and a checked URL", () => {
    expect(parseConfig([], {}).kedaPrometheusAddress).toBe(
      'http://kube-prometheus-stack-prometheus.monitoring.svc:9090',
    );
    const env = { KUBELLAMA_KEDA_PROMETHEUS_ADDRESS: 'http://prometheus-operated.obs.svc:9090' };
    expect(parseConfig([], env).kedaPrometheusAddress).toBe('http://prometheus-operated.obs.svc:9090');
    expect(
      parseConfig(['--keda-prometheus-address', 'https://thanos.example:10902/prom'], env)
        .kedaPrometheusAddress,
    ).toBe('https://thanos.example:10902/prom');
    for (const bad of ['prometheus:9090', 'ftp://prometheus:9090', 'http://user:pw@prometheus:9090', '']) {
      expect(() => parseConfig(['--keda-prometheus-address', bad], {}), bad).toThrow(
        /--keda-prometheus-address.*http\(s\):\/\/ URL of a Prometheus/,
      );
    }
    expect(() => parseConfig([], { KUBELLAMA_KEDA_PROMETHEUS_ADDRESS: 'prometheus' })).toThrow(
      /--keda-prometheus-address \(or its environment variable\)/,
    );
  });

  it('refuses bad values, naming the flag', () => {
    expect(() => parseConfig(['--sampling-ratio', '2'], {})).toThrow(/--sampling-ratio.*0 to 1/);
    expect(() => parseConfig(['--collector-endpoint', 'collector:4317'], {})).toThrow(
      /--collector-endpoint.*http/,
    );
    expect(() => parseConfig(['--health-port', 'x'], {})).toThrow(/--health-port/);
    expect(() => parseConfig([], { KUBELLAMA_RUNTIME_CUDA_IMAGE: '' })).toThrow(/--runtime-cuda-image/);
    expect(() => parseConfig([], { KUBELLAMA_SAMPLING_RATIO: 'lots' })).toThrow(/sampling-ratio|0 to 1/);
    expect(() => parseConfig(['--log-level', 'loud'], {})).toThrow(/--log-level.*debug, info, warn or error/);
    expect(() => parseConfig([], { LOG_LEVEL: 'trace' })).toThrow(/--log-level/);
  });
});
