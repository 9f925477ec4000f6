// The real-component test harness: each server on free loopback ports, in its own temp folder,
// with its log captured and its process group stopped at the end.
export { type Etcd, startEtcd } from './etcd.js';
export { type Jaeger, type JaegerOptions, type JaegerSpan, type JaegerTrace, startJaeger } from './jaeger.js';
export {
  type KubeApiServer,
  type KubeApiServerOptions,
  startKubeApiServer,
  writeKubeconfig,
} from './kube-apiserver.js';
export { type KubeControllers, startKubeControllers } from './kube-controllers.js';
export {
  type Collector,
  type CollectorConfig,
  type CollectorPorts,
  defaultCollectorConfig,
  startCollector,
  validateCollectorConfig,
} from './otel-collector.js';
export { freePort, freePorts } from './ports.js';
export { ServerProcess } from './server-process.js';
export { httpGet, waitFor } from './wait.js';
// Vitest-bound helpers (inject, afterEach) live in ./vitest.ts, so scripts can import this file.
