// The `helm test` hook: a Pod that sends one span to the collector's Service over OTLP/HTTP and
// waits until Jaeger's query API returns its trace — the install works when a span a model pod
// would send reaches the trace store through the collector. The operator's readiness is what
// `helm install --wait` already checks (its /readyz probe); it has no Service to call.
// The script is plain JavaScript for the operator image's `node` (node -e), with no dependencies;
// test/charts/helm-test-hook.test.ts runs the rendered Pod's command as a process against a real
// collector and Jaeger.
import { COLLECTOR_PORTS } from './collector-config.js';
import { COLLECTOR_SERVICE, KUBELLAMA_UID } from './images.js';
import { JAEGER_PORTS, JAEGER_SERVICE } from './jaeger-config.js';
import { standardLabels } from './labels.js';
import { SAMPLE_ALWAYS, TRACE_ATTRIBUTES } from './telemetry-contract.js';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './workload-defaults.js';

/** The environment the script reads. */
export const CHECK_INSTALL_ENV = {
  /** Base URL of the collector's OTLP/HTTP receiver. */
  otlpHttp: 'KUBELLAMA_CHECK_OTLP_HTTP_URL',
  /** Base URL of Jaeger's query service (`/api/traces/<id>`). */
  jaegerQuery: 'KUBELLAMA_CHECK_JAEGER_URL',
  /** Seconds to wait for the trace before failing. */
  timeoutSeconds: 'KUBELLAMA_CHECK_TIMEOUT_SECONDS',
} as const;

/** service.name of the span the check sends. */
export const CHECK_INSTALL_SERVICE = 'kubellama-helm-test';

// Bounded: one POST retried and one GET polled once a second until the deadline. The span carries
// kubellama.sample=always so a tail-sampling ratio below 1 keeps it.
export const CHECK_INSTALL_SCRIPT = `'use strict';
const { randomBytes } = require('node:crypto');
const otlp = process.env.${CHECK_INSTALL_ENV.otlpHttp};
const jaeger = process.env.${CHECK_INSTALL_ENV.jaegerQuery};
const deadline = Date.now() + Number(process.env.${CHECK_INSTALL_ENV.timeoutSeconds} || 60) * 1000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const traceId = randomBytes(16).toString('hex');
const start = BigInt(Date.now()) * 1000000n;
const span = {
  traceId, spanId: randomBytes(8).toString('hex'), name: 'helm test', kind: 1,
  startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1000000n),
  attributes: [{ key: '${TRACE_ATTRIBUTES.sample}', value: { stringValue: '${SAMPLE_ALWAYS}' } }],
};
const body = JSON.stringify({ resourceSpans: [{
  resource: { attributes: [{ key: 'service.name', value: { stringValue: '${CHECK_INSTALL_SERVICE}' } }] },
  scopeSpans: [{ scope: { name: '${CHECK_INSTALL_SERVICE}' }, spans: [span] }],
}] });
async function until(what, attempt) {
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const problem = await attempt();
      if (!problem) return;
      last = problem;
    } catch (error) {
      last = String(error.cause?.message ?? error.message);
    }
    await sleep(1000);
  }
  throw new Error(what + ': ' + last);
}
(async () => {
  if (!otlp || !jaeger) throw new Error('set ${CHECK_INSTALL_ENV.otlpHttp} and ${CHECK_INSTALL_ENV.jaegerQuery}');
  await until('POST ' + otlp + '/v1/traces', async () => {
    const res = await fetch(otlp + '/v1/traces', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5000),
    });
    return res.ok ? undefined : 'HTTP ' + res.status + ' ' + (await res.text());
  });
  console.log('sent trace ' + traceId + ' to ' + otlp);
  await until('trace ' + traceId + ' in Jaeger at ' + jaeger, async () => {
    const res = await fetch(jaeger + '/api/traces/' + traceId, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return 'HTTP ' + res.status;
    const spans = (await res.json()).data?.[0]?.spans ?? [];
    return spans.length > 0 ? undefined : 'no spans yet';
  });
  console.log('trace ' + traceId + ' reached Jaeger through the collector');
})().catch((error) => {
  console.error('kubellama install check failed: ' + error.message);
  process.exit(1);
});
`;

/** The hook Pod in `namespace`, on the operator image (it has `node`). */
export function checkInstallPod(namespace: string, image: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'kubellama-check-install',
      namespace,
      labels: standardLabels({ name: 'kubellama-check-install', instance: namespace, component: 'test' }),
      annotations: {
        'helm.sh/hook': 'test',
        // Kept after a failure for `kubectl logs`; replaced by the next `helm test`.
        'helm.sh/hook-delete-policy': 'before-hook-creation',
      },
    },
    spec: {
      restartPolicy: 'Never',
      securityContext: restrictedPodSecurityContext(KUBELLAMA_UID),
      containers: [
        {
          name: 'check',
          image,
          command: ['node', '-e', CHECK_INSTALL_SCRIPT],
          env: [
            {
              name: CHECK_INSTALL_ENV.otlpHttp,
              value: `http://${COLLECTOR_SERVICE}.${namespace}.svc:${COLLECTOR_PORTS.otlpHttp}`,
            },
            {
              name: CHECK_INSTALL_ENV.jaegerQuery,
              value: `http://${JAEGER_SERVICE}.${namespace}.svc:${JAEGER_PORTS.query}`,
            },
            { name: CHECK_INSTALL_ENV.timeoutSeconds, value: '120' },
          ],
          resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
          securityContext: restrictedContainerSecurityContext(),
        },
      ],
    },
  };
}
