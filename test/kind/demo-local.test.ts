// `npm run demo -- --local` without starting anything: the dry run names the local node, the
// harness-built `localhost/kubellama/…` images and the registry override, and serves the tiny model;
// the trace tree printer lays out a Jaeger trace with durations.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { KUBELLAMA_VERSION } from '../../charts/images.js';
import { formatTraceTree, type JaegerTrace } from '../../lib/jaeger-trace.js';

function demo(...args: string[]) {
  const { INIT_CWD: _ignored, ...env } = process.env;
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'kind/demo/main.ts', ...args], {
    encoding: 'utf8',
    env,
  });
  return { ...run, stdout: run.stdout.split(KUBELLAMA_VERSION).join('<version>') };
}

describe('npm run demo -- --local', () => {
  it('dry run: the local node, localhost/kubellama images through the override, the tiny model', () => {
    const run = demo('--local', '--dry-run');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('# startLocalCluster() (test/harness/local-cluster)');
    expect(run.stdout).toContain(
      '# podman save + ctr import localhost/kubellama/runtime:<version> localhost/kubellama/operator:<version> ' +
        'localhost/kubellama/opentelemetry-collector-contrib:0.165.0 localhost/kubellama/jaeger:2.13.0',
    );
    expect(run.stdout).toContain(
      '$ npm run synth -- --registry localhost/kubellama --image collector=localhost/kubellama/opentelemetry-collector-contrib:0.165.0 --image jaeger=localhost/kubellama/jaeger:2.13.0',
    );
    expect(run.stdout).toContain('# cp dist/demo/tiny.gguf /var/lib/kubellama/models/tiny.gguf');
    expect(run.stdout).toContain('apply --server-side -f kind/samples/tiny.yaml');
    // Nothing of kind.
    expect(run.stdout).not.toMatch(/\bkind (get|create|load)/);
  }, 60_000);

  it('accepts --local after the command too, and down --local', () => {
    expect(demo('up', '--local', '--dry-run').stdout).toContain('# startLocalCluster()');
    const down = demo('--local', 'down', '--dry-run');
    expect(down.status).toBe(0);
    expect(down.stdout).toContain('signal the demo that holds the local cluster');
  }, 60_000);
});

describe('formatTraceTree', () => {
  it('nests children under parents in start order, with durations and services', () => {
    const span = (spanID: string, name: string, start: number, duration: number, parent?: string) => ({
      spanID,
      operationName: name,
      startTime: start,
      duration,
      processID: spanID === 'r' ? 'p2' : 'p1',
      references: parent ? [{ refType: 'CHILD_OF', spanID: parent }] : [],
    });
    const trace: JaegerTrace = {
      traceID: 't',
      processes: { p1: { serviceName: 'tiny' }, p2: { serviceName: 'kubellama-operator' } },
      spans: [
        span('d', 'llama.decode', 30, 12_345, 'c'),
        span('h', 'POST /v1/chat/completions', 0, 150_000),
        span('c', 'chat tiny', 10, 140_000, 'h'),
        span('p', 'llama.prefill', 20, 2_500, 'c'),
        span('r', 'reconcile', 5, 1_000, 'missing-parent'),
      ],
    };
    expect(formatTraceTree(trace)).toEqual([
      'POST /v1/chat/completions  150 ms  (tiny)',
      '└─ chat tiny  140 ms  (tiny)',
      '   ├─ llama.prefill  2.50 ms  (tiny)',
      '   └─ llama.decode  12.3 ms  (tiny)',
      'reconcile  1.00 ms  (kubellama-operator)',
    ]);
  });
});
