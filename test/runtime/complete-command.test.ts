// `kubellama-runtime complete` as a real process: prints the generation and its timings, and sends
// the same span tree as the server to the real Jaeger, under the caller's TRACEPARENT.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Jaeger, startJaeger } from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import { LONG_PROMPT, type TinyModelDir, tinyModelDir } from './runtime-fixture.js';

const REPO = join(import.meta.dirname, '..', '..');
const CLI = ['--import', 'tsx', join(REPO, 'runtime', 'cli', 'cli.ts')];

function run(args: string[], env: Record<string, string>) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      [...CLI, ...args],
      { cwd: REPO, timeout: 60_000, env: { ...process.env, ...env } },
      (_e, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
    );
  });
}

describe('complete command', () => {
  let jaeger: Jaeger;
  let model: TinyModelDir;

  beforeAll(async () => {
    [jaeger, model] = await Promise.all([startJaeger(), tinyModelDir()]);
  });

  afterAll(async () => {
    await jaeger?.stop();
    await model?.remove();
  });

  printLogsOnFailure(() => (jaeger ? [jaeger.process.logFile] : []));

  it('generates, prints timings, and traces under TRACEPARENT', async () => {
    const traceId = randomBytes(16).toString('hex');
    const parentId = randomBytes(8).toString('hex');
    const result = await run(
      [
        'complete',
        '-m',
        model.modelPath,
        '--raw',
        '-n',
        '24',
        '--temperature',
        '0',
        '--threads',
        '1',
        LONG_PROMPT,
      ],
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpGrpcEndpoint,
        OTEL_SERVICE_NAME: 'complete-test',
        OTEL_METRICS_EXPORTER: 'none',
        TRACEPARENT: `00-${traceId}-${parentId}-01`,
      },
    );
    expect(result.status).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(1);
    expect(result.stderr).toMatch(/generation: +24 tokens in [\d.]+ ms/);
    expect(result.stderr).toMatch(/prompt eval: \d+ tokens/);

    const trace = await jaeger.waitForTrace(traceId, { minSpans: 5 });
    const names = trace.spans.map((s) => s.operationName).sort();
    expect(names).toEqual([
      'llama.decode',
      'llama.prefill',
      'llama.queue',
      'llama.tokenize',
      'text_completion tiny',
    ]);
    const root = trace.spans.find((s) => s.operationName === 'text_completion tiny')!;
    expect(root.references.find((r) => r.refType === 'CHILD_OF')?.spanID).toBe(parentId);
    expect(root.tags.find((t) => t.key === 'gen_ai.usage.output_tokens')?.value).toBe(24);
  });

  it('exits 1 when the model cannot be loaded and 2 on a bad option', async () => {
    const env = { OTEL_SDK_DISABLED: 'true' };
    expect((await run(['complete', '-m', join(model.dir, 'missing.gguf'), 'hi'], env)).status).toBe(1);
    const bad = await run(['complete', '-m', model.modelPath, '-n', 'lots', 'hi'], env);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--max-tokens must be an integer, got 'lots'");
  });
});
