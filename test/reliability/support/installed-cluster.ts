// The reliability suites' fixture: the end-to-end suite's setup as one call. kubellama's images built
// from the real Dockerfile and the local cluster (real kubelet + containerd node, test/harness/
// local-cluster/) brought up at the same time, the images imported into the node, the synthesized
// install applied server-side (operator, collector, Jaeger Ready), the tiny model served over https by
// a mirror inside the node's network namespace, and helpers to make models and read what a user reads.
// One cluster per host: the e2e and every reliability suite share one slot, so start() waits for it.
//
//   const env = await startInstalledCluster({ suite: 'faults' });   // in beforeAll, hook timeout ≥ 25 min
//   await env.createTinyModel('ns', 'tiny', { runtime: { parallel: 2, contextSize: 1024 } });
//   await env.waitModelReady('ns', 'tiny', 1);
//   const base = await env.serviceUrl('ns', 'tiny', RUNTIME_PORT);  // the Service's ClusterIP, from the host
//   await env.stop();                                                // in afterAll
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OwnImageKey } from '../../../charts/images.js';
import { SYSTEM_NAMESPACE } from '../../../charts/images.js';
import { installApp } from '../../../charts/install.js';
import { JAEGER_PORTS, JAEGER_SERVICE } from '../../../charts/jaeger-config.js';
import { synthInstall } from '../../../charts/main.js';
import { type PortForward, portForward } from '../../e2e/support/cluster-tools.js';
import { type ModelMirror, startModelMirror } from '../../e2e/support/model-server.js';
import {
  CLUSTER_LOCK_WAIT_MS,
  type LocalCluster,
  localClusterSkipReason,
  startLocalCluster,
} from '../../harness/local-cluster/index.js';
import { buildLocalImages, type LocalImages } from '../../harness/local-images.js';
import { podmanSkipReason } from '../../harness/podman.js';
import { waitFor } from '../../harness/wait.js';
import { writeTinyModel } from '../../tools/tiny-model/tiny-llama.js';
import type { KubeEvent, LlamaModelStatus, Pod } from './kube-objects.js';
import { isReady } from './kube-objects.js';

/** beforeAll's hook timeout: the lock wait, image builds and the bring-up. */
export const INSTALLED_CLUSTER_SETUP_MS = CLUSTER_LOCK_WAIT_MS + 10 * 60_000;
export const INSTALLED_CLUSTER_TEARDOWN_MS = 240_000;

/** The ConfigMap (key `ca.crt`) that createTinyModel's models trust the mirror through. */
export const MIRROR_CA_CONFIGMAP = 'mirror-ca';
export const LLAMA_MODEL_API = 'inference.kubellama.dev/v1alpha1';

/** The e2e's prerequisites (Linux, root, podman, node tools, openssl), or KUBELLAMA_RELIABILITY=0. */
export function installedClusterSkipReason(): string | undefined {
  if (process.env.KUBELLAMA_RELIABILITY === '0') return 'KUBELLAMA_RELIABILITY=0';
  return (
    localClusterSkipReason() ??
    podmanSkipReason() ??
    (spawnSync('sh', ['-c', 'command -v openssl']).status === 0
      ? undefined
      : 'openssl is not installed (it makes the mirror CA)')
  );
}

export interface InstalledClusterOptions {
  /** Names the work folder and prefixes log lines. */
  readonly suite: string;
  /** kubellama's own images to build and import. @default ['runtime', 'operator'] (add 'runtimeCuda' for GPU models) */
  readonly images?: readonly OwnImageKey[];
  /** @default CLUSTER_LOCK_WAIT_MS */
  readonly lockWaitMs?: number;
  /** @default console.log */
  readonly log?: (line: string) => void;
}

export interface InstalledCluster {
  readonly cluster: LocalCluster;
  readonly images: LocalImages;
  /** A temp folder for the suite (removed by stop()). */
  readonly work: string;
  /** Serves the tiny model at `mirror.url`; its CA is in every namespace made by ensureNamespace(). */
  readonly mirror: ModelMirror;
  readonly tinyModelSha256: string;
  /** Jaeger's query API through `kubectl port-forward service/jaeger` (see reconnectJaeger()). */
  jaegerUrl(): string;
  /** A new port-forward to Jaeger: a forward dies with the Pod it reached (e.g. after Jaeger restarts). */
  reconnectJaeger(): Promise<string>;
  /** Step durations for the suite's report (`images built`, `cluster up`, ...). */
  readonly timings: Record<string, string>;
  kubectl(args: readonly string[], input?: string, timeoutMs?: number): Promise<string>;
  /** `kubectl apply --server-side` of one object. */
  apply(object: unknown, fieldManager?: string): Promise<string>;
  /** Creates the namespace (once) with the mirror's CA ConfigMap in it. */
  ensureNamespace(namespace: string): Promise<void>;
  /** A LlamaModel of the tiny model from the mirror; `spec` merges over the defaults shallowly per key. */
  tinyModel(namespace: string, name: string, spec?: Record<string, unknown>): Record<string, unknown>;
  /** ensureNamespace + apply(tinyModel(...)). */
  createTinyModel(namespace: string, name: string, spec?: Record<string, unknown>): Promise<void>;
  modelStatus(namespace: string, name: string): Promise<LlamaModelStatus>;
  /** Pods of a model (label app.kubernetes.io/instance=<name>). */
  pods(namespace: string, instance: string): Promise<Pod[]>;
  readyPods(namespace: string, instance: string): Promise<Pod[]>;
  /** Until phase Ready with `replicas` ready; on timeout the error carries `kubectl get` and events. */
  waitModelReady(
    namespace: string,
    name: string,
    replicas: number,
    timeoutMs?: number,
  ): Promise<LlamaModelStatus>;
  /** Events whose involvedObject is the named object, oldest first. */
  events(namespace: string, name: string): Promise<KubeEvent[]>;
  /**
   * `http://<ClusterIP>:<port>` of a Service: the host routes 198.19.0.0/16 to the node, where
   * kube-proxy's rules pick an endpoint, as for a client in a Pod (no port-forward pinned to one Pod).
   */
  serviceUrl(namespace: string, service: string, port: number): Promise<string>;
  /** A tracked `kubectl port-forward` (stopped by stop()). */
  portForward(namespace: string, target: string, port: number): Promise<PortForward>;
  /** Deployment names of the install in SYSTEM_NAMESPACE: operator, collector, Jaeger. */
  readonly systemDeployments: readonly string[];
  /** Stops forwards, the mirror and the cluster; prints the timings. Idempotent. */
  stop(): Promise<void>;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function startInstalledCluster(options: InstalledClusterOptions): Promise<InstalledCluster> {
  const log = options.log ?? ((line: string) => console.log(line));
  const timings: Record<string, string> = {};
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), `kubellama-${options.suite}-`));
  const forwards: PortForward[] = [];
  let cluster: LocalCluster | undefined;
  let mirror: ModelMirror | undefined;
  let jaeger: PortForward | undefined;

  const stop = async () => {
    await Promise.allSettled([...forwards, jaeger].map((f) => f?.stop()));
    await mirror?.stop().catch(() => undefined);
    const report = await cluster?.stop();
    if (report) timings.teardown = seconds(report.ms);
    timings['whole suite'] = seconds(Date.now() - started);
    log(
      `[${options.suite}] timings:\n${Object.entries(timings)
        .map(([k, v]) => `  ${k}: ${v}`)
        .join('\n')}`,
    );
    rmSync(work, { recursive: true, force: true });
  };
  let stopped: Promise<void> | undefined;
  const stopOnce = () => {
    stopped ??= stop();
    return stopped;
  };

  try {
    const t0 = Date.now();
    // Both at once: the images build in podman while the node comes up (or waits for the slot).
    const [built, up] = await Promise.allSettled([
      buildLocalImages(options.images ?? ['runtime', 'operator']).then((result) => {
        timings['images built (layer cache)'] = seconds(Date.now() - t0);
        return result;
      }),
      startLocalCluster({ log, lockWaitMs: options.lockWaitMs ?? CLUSTER_LOCK_WAIT_MS }),
    ]);
    if (up.status === 'fulfilled') cluster = up.value;
    if (built.status === 'rejected') throw built.reason;
    if (up.status === 'rejected') throw up.reason;
    const images = built.value;
    const c = cluster!;
    timings['cluster up'] = seconds(c.bringUpMs);
    const t1 = Date.now();
    for (const ref of images.refs) await c.loadImage(ref);
    timings['images loaded into containerd'] = seconds(Date.now() - t1);

    const kubectl = (args: readonly string[], input?: string, timeoutMs = 120_000) =>
      c.kubectl(args, { ...(input === undefined ? {} : { input }), timeoutMs });
    const apply = (object: unknown, fieldManager = options.suite) =>
      kubectl(
        ['apply', '--server-side', `--field-manager=${fieldManager}`, '-f', '-'],
        JSON.stringify(object),
      );

    const t2 = Date.now();
    const { manifests } = synthInstall(join(work, 'install'), { images: images.images });
    await kubectl(['apply', '--server-side', ...manifests.flatMap((file) => ['-f', file])]);
    const systemDeployments = installApp({ images: images.images })
      .charts.flatMap((chart) => chart.toJson() as { kind: string; metadata: { name: string } }[])
      .filter((o) => o.kind === 'Deployment')
      .map((o) => o.metadata.name);
    for (const name of systemDeployments) {
      await kubectl(
        ['-n', SYSTEM_NAMESPACE, 'rollout', 'status', `deployment/${name}`, '--timeout=180s'],
        undefined,
        200_000,
      ).catch(async (error: Error) => {
        const why = await Promise.all(
          [
            kubectl(['-n', SYSTEM_NAMESPACE, 'get', 'pods', '-o', 'wide']),
            kubectl(['-n', SYSTEM_NAMESPACE, 'describe', 'pods', '-l', `app.kubernetes.io/name=${name}`]),
            kubectl(['-n', SYSTEM_NAMESPACE, 'logs', `deployment/${name}`, '--all-containers', '--tail=40']),
          ].map((p) => p.catch((e: Error) => e.message)),
        );
        throw new Error(`${error.message}\n${why.join('\n---\n').slice(-6000)}`);
      });
    }
    timings['install applied → Ready'] = seconds(Date.now() - t2);
    const forwardJaeger = () =>
      portForward(c.kubeconfigPath, SYSTEM_NAMESPACE, `service/${JAEGER_SERVICE}`, JAEGER_PORTS.query);
    jaeger = await forwardJaeger();

    const modelFile = join(work, 'tiny.gguf');
    const tinyModelSha256 = (await writeTinyModel(modelFile)).sha256;
    mirror = await startModelMirror(work, modelFile, 'tiny.gguf');
    const m = mirror;

    const namespaces = new Set<string>();
    const ensureNamespace = async (namespace: string) => {
      if (namespaces.has(namespace)) return;
      await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
      await apply({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: MIRROR_CA_CONFIGMAP, namespace },
        data: { 'ca.crt': m.caPem },
      });
      namespaces.add(namespace);
    };
    const tinyModel = (namespace: string, name: string, spec: Record<string, unknown> = {}) => ({
      apiVersion: LLAMA_MODEL_API,
      kind: 'LlamaModel',
      metadata: { name, namespace },
      spec: {
        model: {
          source: m.url,
          sha256: tinyModelSha256,
          caBundle: { configMapRef: { name: MIRROR_CA_CONFIGMAP, key: 'ca.crt' } },
        },
        gpu: { count: 0 },
        runtime: { parallel: 2, contextSize: 1024 },
        telemetry: { detail: 'request' },
        ...spec,
      },
    });
    const modelStatus = async (namespace: string, name: string) =>
      (
        await c.apiGet<{ status?: LlamaModelStatus }>(
          `/apis/${LLAMA_MODEL_API}/namespaces/${namespace}/llamamodels/${name}`,
        )
      ).status ?? {};
    const pods = async (namespace: string, instance: string) =>
      (
        await c.apiGet<{ items: Pod[] }>(
          `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(`app.kubernetes.io/instance=${instance}`)}`,
        )
      ).items;

    return {
      cluster: c,
      images,
      work,
      mirror: m,
      tinyModelSha256,
      timings,
      systemDeployments,
      jaegerUrl: () => jaeger!.url,
      async reconnectJaeger() {
        await jaeger?.stop();
        jaeger = await forwardJaeger();
        return jaeger.url;
      },
      kubectl,
      apply,
      ensureNamespace,
      tinyModel,
      async createTinyModel(namespace, name, spec) {
        await ensureNamespace(namespace);
        await apply(tinyModel(namespace, name, spec));
      },
      modelStatus,
      pods,
      readyPods: async (namespace, instance) => (await pods(namespace, instance)).filter(isReady),
      waitModelReady: (namespace, name, replicas, timeoutMs = 180_000) =>
        waitFor(
          async () => {
            const status = await modelStatus(namespace, name);
            return status.phase === 'Ready' && (status.readyReplicas ?? 0) === replicas && status;
          },
          {
            description: `LlamaModel ${namespace}/${name} Ready with ${replicas} replica(s)`,
            timeoutMs,
            intervalMs: 500,
          },
        ).catch(async (error: Error) => {
          const state = await kubectl(['-n', namespace, 'get', 'lm,deploy,pods', '-o', 'wide']).catch(
            () => '',
          );
          const events = await kubectl(['-n', namespace, 'get', 'events', '--sort-by=.lastTimestamp']).catch(
            () => '',
          );
          throw new Error(`${error.message}\n${state}\n${events.split('\n').slice(-20).join('\n')}`);
        }),
      async events(namespace, name) {
        const list = await c.apiGet<{ items: KubeEvent[] }>(
          `/api/v1/namespaces/${namespace}/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`,
        );
        const when = (e: KubeEvent) =>
          Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '') || 0;
        return list.items.sort((a, b) => when(a) - when(b));
      },
      async serviceUrl(namespace, service, port) {
        const svc = await c.apiGet<{ spec: { clusterIP: string } }>(
          `/api/v1/namespaces/${namespace}/services/${service}`,
        );
        return `http://${svc.spec.clusterIP}:${port}`;
      },
      async portForward(namespace, target, port) {
        const forward = await portForward(c.kubeconfigPath, namespace, target, port);
        forwards.push(forward);
        return forward;
      },
      stop: stopOnce,
    };
  } catch (error) {
    await stopOnce().catch((teardownError: Error) => {
      (error as Error).message += `\n(and the teardown after the failed start: ${teardownError.message})`;
    });
    throw error;
  }
}
