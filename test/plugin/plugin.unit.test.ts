// kubectl-llama without a cluster: each command's --help (snapshots), bad flag values refused naming
// the flag, no kubeconfig, and the pure parts (table, ages, the progress line, the applied object).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decimal, duration, wholeNumber } from '../../plugin/flags.js';
import type { ModelObject } from '../../plugin/llama-models.js';
import { modelObject } from '../../plugin/model-object.js';
import { listRow, progressLine } from '../../plugin/model-view.js';
import { formatTable, humanAge, shortSeconds } from '../../plugin/table.js';
import { plugin } from './support/plugin-io.js';

const home = mkdtempSync(join(tmpdir(), 'kubectl-llama-unit-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
/** An environment with no kubeconfig anywhere. */
const bare = { HOME: home };

/** A kubeconfig naming an API server that nothing serves (no request is made by these tests). */
function kubeconfig(namespace?: string): string {
  const file = join(home, `config-${namespace ?? 'none'}`);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [
        { name: 'main', context: { cluster: 'c', user: 'u', ...(namespace ? { namespace } : {}) } },
        { name: 'other', context: { cluster: 'c', user: 'u', namespace: 'elsewhere' } },
      ],
      'current-context': 'main',
    }),
  );
  return file;
}

describe('kubectl llama --help', () => {
  for (const command of [[], ['run'], ['ls'], ['chat'], ['trace'], ['logs']]) {
    it(`${['kubectl llama', ...command].join(' ')} --help`, async () => {
      const result = await plugin([...command, '--help'], bare);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatchSnapshot();
    });
  }

  it('list is an alias of ls', async () => {
    const [ls, list] = await Promise.all([plugin(['ls', '--help'], bare), plugin(['list', '--help'], bare)]);
    expect(list.stdout).toBe(ls.stdout);
  });
});

describe('bad input', () => {
  const refused = async (args: string[], message: RegExp) => {
    const result = await plugin(args, { KUBECONFIG: kubeconfig() });
    expect(result.code, result.stdout).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  };

  it('refuses bad flag values, naming the flag and what it takes', async () => {
    await refused(
      ['run', 'm', '--model', 'hf:a/b:Q8_0', '--gpu', 'two'],
      /--gpu <count>.*'two' is invalid\. --gpu takes a whole number from 0 to 16/,
    );
    await refused(
      ['run', 'm', '--model', 'hf:a/b:Q8_0', '--gpu', '17'],
      /--gpu takes a whole number from 0 to 16/,
    );
    await refused(
      ['run', 'm', '--model', 'hf:a/b:Q8_0', '--parallel', '0'],
      /--parallel takes a whole number from 1 to 256/,
    );
    await refused(
      ['run', 'm', '--model', 'hf:a/b:Q8_0', '--context-size', '64'],
      /--context-size takes a whole number from 128 to 1048576/,
    );
    await refused(['run', 'm', '--model', 'hf:a/b:Q8_0', '--replicas', '-1'], /--replicas/);
    await refused(['chat', 'm', '--temperature', '2.5'], /--temperature takes a number from 0 to 2/);
    await refused(['chat', 'm', '--temperature', 'hot'], /--temperature takes a number from 0 to 2/);
    await refused(['chat', 'm', '--seed', '-3'], /--seed takes a whole number from 0 to 4294967295/);
    await refused(
      ['run', 'm', '--model', 'hf:a/b:Q8_0', '--timeout', '10 minutes'],
      /--timeout takes a duration such as 90s, 10m or 1h30m/,
    );
    await refused(
      ['run', 'm', '--model', 'hf:a/b:Q8_0', '--dry-run=maybe'],
      /--dry-run takes one of: none, client, server/,
    );
    await refused(['run', 'm'], /required option '--model <source>' not specified/);
    await refused(['ls', '-o', 'table'], /--output takes one of: wide, json, yaml/);
    await refused(['logs', 'm', '-c', 'serve'], /--container takes one of: runtime, pull/);
    await refused(
      ['trace', 'm', 'not-a-trace-id', '--jaeger', 'http://127.0.0.1:1'],
      /trace-id: "not-a-trace-id" is not a trace id/,
    );
    await refused(['frobnicate'], /unknown command 'frobnicate'/);
    await refused(['ls', '--bogus'], /unknown option '--bogus'/);
  });

  it('says where a kubeconfig is looked for when there is none', async () => {
    const result = await plugin(['ls'], bare);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or write ${join(home, '.kube', 'config')} (kubectl config view shows what kubectl uses)\n`,
    );
  });

  it('names a --kubeconfig file or KUBECONFIG list that does not exist, and an unknown --context', async () => {
    const missing = join(home, 'missing');
    expect((await plugin(['ls', '--kubeconfig', missing], bare)).stderr).toBe(
      `error: --kubeconfig: the file "${missing}" does not exist\n`,
    );
    expect((await plugin(['ls'], { KUBECONFIG: `${missing}:${missing}2` })).stderr).toBe(
      `error: KUBECONFIG names no file that exists (${missing}:${missing}2)\n`,
    );
    expect((await plugin(['ls', '--context', 'nope'], { KUBECONFIG: kubeconfig() })).stderr).toBe(
      'error: --context: context "nope" is not in the kubeconfig (it has: main, other)\n',
    );
  });
});

describe('run --dry-run=client: the object, no request', () => {
  it("prints the LlamaModel YAML in the context's namespace, with only the fields given", async () => {
    const result = await plugin(
      [
        'run',
        'gemma',
        '--model',
        'hf:unsloth/gemma-3-270m-it-GGUF:Q8_0',
        '--gpu',
        '0',
        '--parallel',
        '2',
        '--dry-run',
      ],
      { KUBECONFIG: kubeconfig('team') },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'apiVersion: inference.kubellama.dev/v1alpha1',
        'kind: LlamaModel',
        'metadata:',
        '  name: gemma',
        '  namespace: team',
        'spec:',
        '  model:',
        '    source: hf:unsloth/gemma-3-270m-it-GGUF:Q8_0',
        '  gpu:',
        '    count: 0',
        '  runtime:',
        '    parallel: 2',
        '',
      ].join('\n'),
    );
  });

  it('-n and --context choose the namespace as kubectl does; -o json', async () => {
    const env = { KUBECONFIG: kubeconfig() };
    const ns = async (args: string[]) =>
      (
        JSON.parse(
          (
            await plugin(
              ['run', 'm', '--model', 'file:///m.gguf', '--dry-run=client', '-o', 'json', ...args],
              env,
            )
          ).stdout,
        ) as ModelObject
      ).metadata.namespace;
    expect(await ns([])).toBe('default');
    expect(await ns(['--context', 'other'])).toBe('elsewhere');
    expect(await ns(['--context', 'other', '-n', 'mine'])).toBe('mine');
    expect(await ns(['--namespace=mine'])).toBe('mine');
  });
});

describe('pure parts', () => {
  it('parses whole numbers, decimals and durations', () => {
    expect(wholeNumber('--n', 1, 9)('3')).toBe(3);
    expect(() => wholeNumber('--n', 1, 9)('3.5')).toThrow('--n takes a whole number from 1 to 9.');
    expect(decimal('--t', 0, 2)('0.7')).toBe(0.7);
    expect(decimal('--t', 0, 2)('2')).toBe(2);
    expect(() => decimal('--t', 0, 2)('1e1')).toThrow('--t takes a number from 0 to 2.');
    expect(decimal('--t', 0, 2)('.5')).toBe(0.5);
    expect(() => decimal('--t', 0, 2)('-0.1')).toThrow('--t takes a number from 0 to 2.');
    expect(duration('--t')('90s')).toBe(90_000);
    expect(duration('--t')('1h30m')).toBe(5_400_000);
    expect(duration('--t')('250ms')).toBe(250);
    expect(() => duration('--t')('5')).toThrow(/--t takes a duration/);
  });

  it("formats ages like kubectl's HumanDuration", () => {
    const s = 1000;
    expect(
      [
        5 * s,
        119 * s,
        192 * s,
        600 * s,
        179 * 60 * s,
        4 * 3600 * s + 60 * s,
        30 * 3600 * s,
        51 * 3600 * s,
        400 * 86400 * s,
      ].map(humanAge),
    ).toEqual(['5s', '119s', '3m12s', '10m', '179m', '4h1m', '30h', '2d3h', '400d']);
    expect(shortSeconds(0.0854)).toBe('85ms');
    expect(shortSeconds(1.234)).toBe('1.23s');
    expect(shortSeconds(undefined)).toBe('-');
  });

  it('aligns a table as kubectl get does (three spaces between columns)', () => {
    expect(
      formatTable(
        ['NAME', 'READY'],
        [
          ['a', '1/1'],
          ['longer-name', '0/2'],
        ],
      ),
    ).toBe('NAME          READY\na             1/1\nlonger-name   0/2');
  });

  const model = (status: ModelObject['status'], replicas = 1): ModelObject => ({
    ...modelObject('m', 'ns', { model: 'hf:a/b:Q8_0', replicas }),
    metadata: { name: 'm', namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z' },
    ...(status ? { status } : {}),
  });

  it('shows "-" for what the status does not have yet, the performance when it does', () => {
    const now = Date.parse('2026-01-01T00:05:00Z');
    expect(listRow(model(undefined), now, false)).toEqual(['m', '0/1', '-', '-', '-', '-', '5m']);
    const performing = model(
      {
        phase: 'Ready',
        readyReplicas: 2,
        endpoint: 'http://m.ns.svc:8080/v1',
        performance: {
          tokensPerSecond: 41.26,
          ttftP50Seconds: 0.085,
          ttftP95Seconds: 0.42,
          requestsInFlight: 3,
          requestsQueued: 1,
          replicasScraped: 2,
          windowSeconds: 30,
          observedAt: '2026-01-01T00:04:30Z',
        },
      },
      2,
    );
    expect(listRow(performing, now, true)).toEqual([
      'm',
      '2/2',
      'Ready',
      'http://m.ns.svc:8080/v1',
      '41.3',
      '85ms',
      '5m',
      'hf:a/b:Q8_0',
      '-',
      '420ms',
      '3',
      '1',
    ]);
  });

  it("describes progress: phase, download, readiness and the operator's conditions", () => {
    expect(progressLine(model(undefined))).toBe('phase Pending · ready 0/1');
    expect(
      progressLine(
        model({
          phase: 'Downloading',
          download: {
            bytes: 120e6,
            totalBytes: 300e6,
            percent: 40,
            pods: 1,
            observedAt: '2026-01-01T00:00:00Z',
          },
          conditions: [
            {
              type: 'Ready',
              status: 'False',
              reason: 'ReplicasNotReady',
              message: '0 of 1 ready',
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
            {
              type: 'Progressing',
              status: 'True',
              reason: 'Downloading',
              message: 'the model is downloading',
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
          ],
        }),
      ),
    ).toBe(
      'phase Downloading · downloading 40% (120.0 MB of 300.0 MB) · ready 0/1 · Downloading: the model is downloading',
    );
    expect(
      progressLine(
        model({
          phase: 'Failed',
          conditions: [
            {
              type: 'Degraded',
              status: 'True',
              reason: 'ModelDownloadFailed',
              message: 'HTTP 404',
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
          ],
        }),
      ),
    ).toBe('phase Failed · ready 0/1 · Degraded ModelDownloadFailed: HTTP 404');
  });
});
