// The `helm test` hook's script, run exactly as the rendered Pod runs it (its command and
// environment from `helm template`), as a process on this machine against a real collector on the
// chart's gateway pipeline and a real Jaeger: only the two URLs point at loopback instead of the
// cluster's Service names. (A Pod cannot run here: the shared API server has no kubelet.)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { writeHelmChart } from '../../charts/helm-chart.js';
import { CHECK_INSTALL_ENV, CHECK_INSTALL_SERVICE } from '../../charts/helm-test-hook.js';
import { type Collector, freePort, type Jaeger, startCollector, startJaeger } from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import { binaryPath } from '../tools/catalog.js';

const outDir = mkdtempSync(join(tmpdir(), 'kubellama-helm-hook-'));
const chartDir = writeHelmChart(outDir);

/** The hook Pod's container as Helm renders it for release namespace `team-llm`. */
function hookContainer(): { command: string[]; env: { name: string; value: string }[] } {
  const run = spawnSync(
    binaryPath('helm'),
    [
      'template',
      'k',
      chartDir,
      '-n',
      'team-llm',
      '--kube-version',
      '1.37.2',
      '--show-only',
      'templates/tests/check-install.yaml',
    ],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(run.stderr);
  return parseYaml(run.stdout).spec.containers[0];
}

/** Runs the container's command (its `node` is this one) with the env, URLs replaced; resolves on exit. */
function runHook(urls: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const container = hookContainer();
  expect(container.command[0]).toBe('node');
  const env = Object.fromEntries(container.env.map((e) => [e.name, urls[e.name] ?? e.value]));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, container.command.slice(1), {
      env: { PATH: process.env.PATH, ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('helm test hook script', () => {
  let jaeger: Jaeger | undefined;
  let collector: Collector | undefined;
  printLogsOnFailure(() =>
    [jaeger?.process.logFile, collector?.process.logFile].filter((f): f is string => !!f),
  );

  beforeAll(async () => {
    jaeger = await startJaeger();
    // The chart's gateway pipeline with a sampling ratio that drops nearly everything: the
    // hook's span is marked to be kept.
    collector = await startCollector({
      tracesEndpoint: jaeger.otlpGrpcEndpoint,
      pipeline: { tailSampling: { ratio: 0.001 } },
    });
  }, 60_000);
  afterAll(async () => {
    await collector?.stop();
    await jaeger?.stop();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('renders URLs of the Services in the release namespace', () => {
    const env = Object.fromEntries(hookContainer().env.map((e) => [e.name, e.value]));
    expect(env[CHECK_INSTALL_ENV.otlpHttp]).toBe('http://otel-collector.team-llm.svc:4318');
    expect(env[CHECK_INSTALL_ENV.jaegerQuery]).toBe('http://jaeger.team-llm.svc:16686');
  });

  it('sends a span through the collector and finds its trace in Jaeger', async () => {
    const result = await runHook({
      [CHECK_INSTALL_ENV.otlpHttp]: collector!.otlpHttpEndpoint,
      [CHECK_INSTALL_ENV.jaegerQuery]: jaeger!.queryUrl,
    });
    expect(result.output).toMatch(/reached Jaeger through the collector/);
    expect(result.code).toBe(0);
    const traceId = /trace ([0-9a-f]{32}) reached/.exec(result.output)?.[1];
    const trace = await jaeger!.waitForTrace(traceId!);
    expect(Object.values(trace.processes).map((p) => p.serviceName)).toEqual([CHECK_INSTALL_SERVICE]);
  }, 60_000);

  it('fails, naming what it waited for, when the trace never reaches Jaeger', async () => {
    const closed = await freePort();
    const result = await runHook({
      [CHECK_INSTALL_ENV.otlpHttp]: collector!.otlpHttpEndpoint,
      [CHECK_INSTALL_ENV.jaegerQuery]: `http://127.0.0.1:${closed}`,
      [CHECK_INSTALL_ENV.timeoutSeconds]: '3',
    });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(
      new RegExp(
        `kubellama install check failed: trace [0-9a-f]{32} in Jaeger at http://127.0.0.1:${closed}: .*ECONNREFUSED`,
      ),
    );
  }, 30_000);
});
