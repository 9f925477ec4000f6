// `kubellama-runtime serve` as a real child process, where signals and exit codes matter: SIGTERM
// with a stream in flight lets the stream finish and exits 0; bad settings exit 2 naming the flag.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, httpGet, ServerProcess, waitFor } from '../harness/index.js';
import { printLogsOnFailure } from '../harness/vitest.js';
import { LONG_PROMPT, readSse, TEST_MODEL, type TinyModelDir, tinyModelDir } from './runtime-fixture.js';

const REPO = join(import.meta.dirname, '..', '..');
const CLI = ['--import', 'tsx', join(REPO, 'runtime', 'cli', 'cli.ts')];

describe('serve process', () => {
  let model: TinyModelDir;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    model = await tinyModelDir();
  });

  afterAll(async () => {
    await server?.stop();
    await model?.remove();
  });

  printLogsOnFailure(() => (server ? [server.logFile] : []));

  it('drains on SIGTERM: the stream in flight completes, then the process exits 0', {
    timeout: 120_000,
  }, async () => {
    const port = await freePort();
    server = ServerProcess.start({
      name: 'kubellama-runtime',
      command: process.execPath,
      args: [
        ...CLI,
        'serve',
        '--model',
        model.modelPath,
        '--alias',
        TEST_MODEL,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--threads',
        '1',
      ],
      logFile: join(model.dir, 'serve.log'),
      cwd: REPO,
      env: { OTEL_SDK_DISABLED: 'true', KUBELLAMA_CONTEXT_SIZE: '2048' },
    });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await httpGet(`${url}/readyz`)).status === 200, {
      description: 'the runtime to load the model',
      abortIf: () => server!.assertRunning(),
    });

    const response = await fetch(`${url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: TEST_MODEL,
        prompt: LONG_PROMPT,
        max_tokens: 1500,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    expect(response.status).toBe(200);
    // Only once generation is under way: the signal lands mid-stream.
    const [first, rest] = response.body!.tee();
    await first.getReader().read();
    server.kill('SIGTERM');

    const result = await readSse(new Response(rest));
    expect(result.done).toBe(true);
    const usage = result.events
      .map((e) => (e as { usage?: { completion_tokens: number } }).usage)
      .find(Boolean);
    expect(usage?.completion_tokens).toBe(1500);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const log = server.logTail();
    expect(log).toContain('"msg":"draining"');
    expect(log).toContain('"msg":"stopped"');
  });

  it('exits 2 with a message naming the setting when the configuration is wrong', () => {
    const missing = spawnSync(process.execPath, [...CLI, 'serve'], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, KUBELLAMA_MODEL: '' },
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('--model (KUBELLAMA_MODEL) is required');

    const badThreads = spawnSync(
      process.execPath,
      [...CLI, 'serve', '--model', model.modelPath, '--threads', 'many'],
      {
        cwd: REPO,
        encoding: 'utf8',
      },
    );
    expect(badThreads.status).toBe(2);
    expect(badThreads.stderr).toContain(
      "--threads (KUBELLAMA_THREADS) must be an integer from 1 to 1024, got 'many'",
    );
  });
});
