// The installed Jaeger (charts/jaeger.ts: Service JAEGER_SERVICE in the system namespace) as the
// plugin reaches it: a port-forward to a ready pod behind the Service for its query API, and the
// address a trace link points at.
import { CoreV1Api, type KubeConfig, type V1Service } from '@kubernetes/client-node';
import { JAEGER_PORTS, JAEGER_SERVICE } from '../charts/jaeger-config.js';
import { fetchNewestTrace, type JaegerTrace, traceStart } from '../lib/jaeger-trace.js';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  GEN_AI_OPERATION_CHAT,
  GEN_AI_OPERATION_EMBEDDINGS,
  GEN_AI_OPERATION_TEXT_COMPLETION,
} from '../runtime/telemetry/semconv.js';
import { isNotFound, PluginError, request } from './errors.js';
import { isReady } from './pods.js';
import { forwardToPod, type LocalForward } from './port-forward.js';

/** The Jaeger Service, or undefined when the cluster has none there (or hides it from the user). */
export async function findJaeger(kc: KubeConfig, namespace: string): Promise<V1Service | undefined> {
  try {
    return await kc.makeApiClient(CoreV1Api).readNamespacedService({ name: JAEGER_SERVICE, namespace });
  } catch {
    return undefined;
  }
}

/** The link of a trace in the Jaeger UI at `base` (a URL, no trailing slash needed). */
export function traceLink(base: string, traceId: string): string {
  return `${base.replace(/\/+$/, '')}/trace/${traceId}`;
}

/** The query port's local address, through a port-forward to a ready Jaeger pod. */
export async function forwardJaegerQuery(kc: KubeConfig, namespace: string): Promise<LocalForward> {
  const where = `service "${JAEGER_SERVICE}" in namespace "${namespace}"`;
  const core = kc.makeApiClient(CoreV1Api);
  let service: V1Service;
  try {
    service = await core.readNamespacedService({ name: JAEGER_SERVICE, namespace });
  } catch (error) {
    if (isNotFound(error)) {
      throw new PluginError(
        `no Jaeger found (no ${where}): pass --jaeger URL, or --system-namespace where kubellama is installed`,
      );
    }
    throw error;
  }
  const port = service.spec?.ports?.find((p) => p.port === JAEGER_PORTS.query);
  const selector = service.spec?.selector ?? {};
  if (!port || Object.keys(selector).length === 0) {
    throw new PluginError(`${where} has no selector or no port ${JAEGER_PORTS.query}: pass --jaeger URL`);
  }
  const labelSelector = Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const pods = await request(`the pods of ${where}`, () =>
    core.listNamespacedPod({ namespace, labelSelector }),
  );
  const pod = pods.items.find(isReady);
  if (!pod?.metadata?.name) throw new PluginError(`${where} has no ready pod`);
  // targetPort is a number or the name of a container port.
  const target = port.targetPort ?? port.port;
  const podPort =
    typeof target === 'number'
      ? target
      : pod.spec?.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === target)?.containerPort;
  if (podPort === undefined)
    throw new PluginError(`${where}: pod ${pod.metadata.name} has no port "${target}"`);
  return forwardToPod(kc, namespace, pod.metadata.name, podPort);
}

/** The operations of a model request; a model's other traces (probes, /metrics reads, the model load) carry none. */
const OPERATIONS = [GEN_AI_OPERATION_CHAT, GEN_AI_OPERATION_TEXT_COMPLETION, GEN_AI_OPERATION_EMBEDDINGS];

/**
 * The newest trace of a request to the model (chat, completion or embeddings): searched by the GenAI
 * operation tag, so that the probes' and scrapes' traces never hide it, in the last hour first and
 * then the last two days.
 */
export async function newestRequestTrace(
  jaegerUrl: string,
  service: string,
): Promise<JaegerTrace | undefined> {
  for (const lookbackHours of [1, 48]) {
    const found = await Promise.all(
      OPERATIONS.map((operation) =>
        fetchNewestTrace(jaegerUrl, service, {
          tags: { [ATTR_GEN_AI_OPERATION_NAME]: operation },
          lookbackHours,
        }),
      ),
    );
    const newest = found
      .filter((trace): trace is JaegerTrace => trace !== undefined)
      .sort((a, b) => traceStart(b) - traceStart(a))[0];
    if (newest) return newest;
  }
  return undefined;
}
