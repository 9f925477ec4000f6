// kubellama-operator as real processes (node + tsx) against the shared API server: health and
// metrics endpoints, leader election between two instances, and a successor that converges all
// models after the first one is SIGKILLed in the middle of its work.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LlamaModel } from '../../operator/api/llama-model.js';
import type { KubeClient } from '../../operator/kube/kube-client.js';
import { deploymentPath, modelPath } from '../../operator/llamamodel/paths.js';
import { httpGet, type JaegerTrace, ServerProcess, startJaeger, waitFor } from '../harness/index.js';
import { LOG_LINE } from '../harness/log-schema.js';
import { createTestNamespace, printKubeLogsOnFailure, sharedKubeConfig } from '../harness/vitest.js';
import { makeWorkDir, removeWorkDir } from '../harness/workdir.js';
import { clientFor, createModel, installCrd, userModel } from './support/kube.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface LogEntry {
  msg: string;
  [key: string]: unknown;
}

function entries(operator: ServerProcess): LogEntry[] {
  let text = '';
  try {
    text = readFileSync(operator.logFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogEntry);
}

const logged = (operator: ServerProcess, msg: string) => entries(operator).find((e) => e.msg === msg);

describe('kubellama-operator processes', () => {
  printKubeLogsOnFailure();
  const kc = sharedKubeConfig();
  let client: KubeClient;
  let dir: string;
  const operators: ServerProcess[] = [];

  const start = (
    name: string,
    ns: string,
    extra: string[] = [],
    traceEndpoint = 'none',
    env: Record<string, string> = {},
  ) => {
    const operator = ServerProcess.start({
      name,
      env,
      command: process.execPath,
      args: [
        '--import',
        'tsx',
        'operator/main.ts',
        '--kubeconfig',
        inject('kubeconfigPath'),
        '--namespaces',
        ns,
        '--leader-election-namespace',
        ns,
        '--health-port',
        '0',
        '--trace-endpoint',
        traceEndpoint,
        '--runtime-image',
        'ghcr.io/kubellama/runtime:test',
        '--lease-duration-seconds',
        '3',
        '--renew-deadline-seconds',
        '2',
        '--retry-period-seconds',
        '1',
        ...extra,
      ],
      logFile: join(dir, `${name}.log`),
      cwd: ROOT,
    });
    operators.push(operator);
    return operator;
  };
  const waitForLog = (operator: ServerProcess, msg: string, timeoutMs = 60_000) =>
    waitFor(async () => logged(operator, msg), {
      description: `${operator.name} to log "${msg}"`,
      timeoutMs,
      abortIf: () => operator.assertRunning(),
    });
  const deploymentCount = async (ns: string) =>
    (await client.get<{ items: V1Deployment[] }>(deploymentPath(ns))).items.length;

  beforeAll(async () => {
    client = await clientFor(kc);
    await installCrd(client);
    dir = makeWorkDir('operator');
  });
  afterEach((context) => {
    if (context.task.result?.state === 'fail') {
      for (const o of operators) console.error(`----- ${o.name} -----\n${o.logTail(40)}`);
    }
  });
  afterAll(async () => {
    await Promise.all(operators.map((o) => o.stop(2_000)));
    if (dir) removeWorkDir(dir);
  });

  it('serves /healthz, /readyz and /metrics; one of two instances leads, the other takes over when it stops', async () => {
    const ns = await createTestNamespace(kc, 'lm-ha');
    const a = start('operator-a', ns);
    await waitForLog(a, 'leading');
    const b = start('operator-b', ns);
    await waitForLog(b, 'caches synced');
    const port = logged(b, 'starting')?.healthPort as number;
    expect((await httpGet(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await httpGet(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const metrics = await httpGet(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.body).toMatch(/kubellama_operator_leader\S* 0/);
    expect(logged(b, 'leading')).toBeUndefined();

    await createModel(client, userModel(ns, 'first', { gpu: { count: 0 } }));
    await waitFor(async () => (await deploymentCount(ns)) === 1, { description: 'the leader to reconcile' });

    const stopped = await a.stop(10_000);
    expect(stopped.code).toBe(0);
    expect(logged(a, 'stopped')).toBeDefined();
    // The product's one log schema (lib/log.ts), the same the runtime's lines are checked against.
    for (const entry of entries(a)) LOG_LINE.parse(entry);
    await waitForLog(b, 'leading', 15_000);
    await createModel(client, userModel(ns, 'second', { gpu: { count: 0 } }));
    await waitFor(async () => (await deploymentCount(ns)) === 2, {
      description: 'the new leader to reconcile',
    });
    const after = await httpGet(`http://127.0.0.1:${port}/metrics`);
    expect(after.body).toMatch(/kubellama_operator_leader\S* 1/);
    expect(after.body).toMatch(
      /kubellama_operator_reconcile_total\{[^}]*outcome="(success|requeue)"[^}]*\} [1-9]/,
    );
  });

  it('an operator SIGKILLed while reconciling 50 models: its successor converges all 50', async () => {
    const ns = await createTestNamespace(kc, 'lm-kill');
    const names = Array.from({ length: 50 }, (_, i) => `m${i}`);
    for (let i = 0; i < names.length; i += 10) {
      await Promise.all(
        names.slice(i, i + 10).map((n) => createModel(client, userModel(ns, n, { gpu: { count: 0 } }))),
      );
    }
    const first = start('operator-killed', ns, ['--concurrency', '1']);
    const killedAt = await waitFor(
      async () => {
        const count = await deploymentCount(ns);
        return count > 0 ? count : undefined;
      },
      { description: 'the first Deployments', timeoutMs: 60_000, intervalMs: 20 },
    );
    first.kill('SIGKILL');
    await first.exited;
    expect(killedAt).toBeLessThan(50);

    const successor = start('operator-successor', ns, ['--concurrency', '4']);
    await waitForLog(successor, 'leading', 30_000);
    await waitFor(
      async () => {
        const models = await client.get<{ items: LlamaModel[] }>(modelPath(ns));
        return (
          models.items.length === 50 &&
          models.items.every((m) => m.status?.observedGeneration === 1 && m.status.phase)
        );
      },
      { description: 'all 50 statuses written', timeoutMs: 60_000 },
    );
    expect(await deploymentCount(ns)).toBe(50);
  });

  it('traces its reconciles to an OTLP endpoint (the real Jaeger), with a span per API call, named by OTEL_SERVICE_NAME', async () => {
    const jaeger = await startJaeger();
    try {
      const ns = await createTestNamespace(kc, 'lm-trace');
      // The standard variables, as the runtime reads them; the sampler's ratio 1 keeps every trace.
      const operator = start('operator-traced', ns, [], jaeger.otlpGrpcEndpoint, {
        OTEL_SERVICE_NAME: 'kubellama-operator-ci',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=ci',
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '1',
      });
      await waitForLog(operator, 'leading');
      await createModel(client, userModel(ns, 'traced', { gpu: { count: 0 } }));
      const trace = await waitFor(
        async () => {
          const response = await httpGet(
            `${jaeger.queryUrl}/api/traces?service=kubellama-operator-ci&operation=${encodeURIComponent('reconcile LlamaModel')}&limit=20`,
          );
          if (response.status !== 200) return undefined;
          const traces = (JSON.parse(response.body) as { data: JaegerTrace[] | null }).data ?? [];
          // The first reconcile writes (later ones find everything current and make no API call).
          return traces.find(
            (t) =>
              t.spans.some((s) => s.operationName === 'PATCH') &&
              t.spans.some(
                (s) =>
                  s.operationName === 'reconcile LlamaModel' &&
                  s.tags.some((tag) => tag.key === 'kubellama.llamamodel.name' && tag.value === 'traced'),
              ),
          );
        },
        { description: 'a reconcile trace in Jaeger', timeoutMs: 30_000, intervalMs: 500 },
      );
      const root = trace.spans.find((s) => s.operationName === 'reconcile LlamaModel')!;
      const patch = trace.spans.find((s) => s.operationName === 'PATCH')!;
      expect(patch.references[0]?.spanID).toBe(root.spanID);
      expect(trace.processes[root.processID]?.tags).toContainEqual(
        expect.objectContaining({ key: 'deployment.environment.name', value: 'ci' }),
      );
    } finally {
      await jaeger.stop();
    }
  });
});
