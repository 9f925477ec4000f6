#!/usr/bin/env node
// kubellama-operator: fills its caches, campaigns for the leader Lease, and reconciles LlamaModels
// while it leads. /healthz, /readyz (caches synced) and /metrics share one port. SIGTERM stops it
// gracefully: reconciles in flight finish, and the Lease is released so a standby takes over.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OPERATOR_PATHS } from '../charts/operator-contract.js';
import { createLogger } from '../lib/log.js';
import { type OperatorConfig, parseConfig } from './config.js';
import { EventRecorder } from './kube/events.js';
import { connect } from './kube/kube-connection.js';
import { LeaderElector } from './kube/leader-election.js';
import { LlamaModelManager } from './llamamodel/manager.js';
import { SERVICE_NAME, startTelemetry } from './telemetry.js';

async function main(): Promise<void> {
  let config: OperatorConfig;
  try {
    config = parseConfig(process.argv.slice(2));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version') process.exit(0);
    createLogger().error('invalid configuration', { error });
    process.exit(2);
  }
  const log = createLogger({ level: config.logLevel });
  const telemetry = await startTelemetry(config.traceEndpoint);
  const client = await connect(config.kubeconfig, { qps: config.kubeApiQps, burst: config.kubeApiBurst });
  client.onRequest(telemetry.observeRequest);
  const liveStatusFailures = new Set<string>();
  const manager = new LlamaModelManager({
    client,
    recorder: new EventRecorder(client, SERVICE_NAME),
    defaults: {
      runtimeImages: { cpu: config.runtimeImage, cuda: config.runtimeCudaImage },
      telemetry: { endpoint: config.collectorEndpoint, samplingRatio: config.samplingRatio },
      kedaPrometheusAddress: config.kedaPrometheusAddress,
    },
    namespaces: config.namespaces,
    concurrency: config.concurrency,
    resyncMs: config.resyncSeconds * 1000,
    observe: (event) => {
      telemetry.observeReconcile(event);
      if (event.outcome === 'error' || event.outcome === 'terminal_error') {
        log.warn('reconcile failed', {
          namespace: event.request.namespace,
          name: event.request.name,
          retries: event.retries,
          error: event.error,
        });
      }
    },
    onInformerError: (resource, error) => log.warn('watch failed; restarting', { resource, error }),
    ...(config.downloadStatusIntervalSeconds > 0
      ? { downloadStatus: { intervalMs: config.downloadStatusIntervalSeconds * 1000 } }
      : {}),
    ...(config.performanceStatus
      ? {
          performanceStatus: {
            intervalMs: config.performanceIntervalSeconds * 1000,
            timeoutMs: config.performanceScrapeTimeoutSeconds * 1000,
            concurrency: config.performanceScrapeConcurrency,
          },
        }
      : {}),
    // Once per distinct failure (it repeats every interval): e.g. RBAC without pods/proxy or pods/log.
    onLiveStatusError: (field, error) => {
      const key = `${field}: ${error instanceof Error ? error.message : String(error)}`;
      const first = !liveStatusFailures.has(key) && liveStatusFailures.size < 100;
      liveStatusFailures.add(key);
      log.log(first ? 'warn' : 'debug', 'live status read or write failed', { field, error });
    },
  });
  telemetry.setQueueDepth(() => manager.controller.queue.length);

  let ready = false;
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === OPERATOR_PATHS.health) {
      response.writeHead(200).end('ok');
    } else if (path === OPERATOR_PATHS.ready) {
      response.writeHead(ready ? 200 : 503).end(ready ? 'ok' : 'caches not synced');
    } else if (path === OPERATOR_PATHS.metrics) {
      telemetry.handleMetrics(request, response);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(config.healthPort, resolve));
  const healthPort = (server.address() as AddressInfo).port;
  log.info('starting', {
    identity: config.identity,
    namespaces: config.namespaces.length ? config.namespaces : 'all',
    healthPort,
    leaderElect: config.leaderElect,
    concurrency: config.concurrency,
    kubeApiQps: config.kubeApiQps,
    kubeApiBurst: config.kubeApiBurst,
  });

  await manager.sync();
  ready = true;
  log.info('caches synced', { models: manager.models.list().length });

  const startLeading = () => {
    telemetry.setLeader(true);
    log.info('leading', { identity: config.identity });
    manager.start();
  };
  const elector = config.leaderElect
    ? new LeaderElector(client, {
        namespace: config.leaderElectionNamespace,
        name: config.leaderElectionId,
        identity: config.identity,
        leaseDurationMs: config.leaseDurationSeconds * 1000,
        renewDeadlineMs: config.renewDeadlineSeconds * 1000,
        retryPeriodMs: config.retryPeriodSeconds * 1000,
        onStartedLeading: startLeading,
        onStoppedLeading: () => {
          // Fatal by design (controller-runtime does the same): a fresh process starts clean.
          log.error('lost the leader lease; exiting', { identity: config.identity });
          process.exit(1);
        },
        onError: (error) => log.warn('leader election', { error }),
      })
    : undefined;
  if (elector) elector.start();
  else startLeading();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    await manager.stop();
    await elector?.stop();
    server.close();
    await telemetry.shutdown();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error) => {
  createLogger().error('operator failed', { error: error instanceof Error ? error.stack : String(error) });
  process.exit(1);
});
