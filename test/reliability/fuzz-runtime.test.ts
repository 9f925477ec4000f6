// Fuzzing the runtime's HTTP API (issue 15): thousands of generated requests (support/fuzz-requests.ts)
// against a real `kubellama-runtime serve` process on the tiny model, one llama.cpp thread. For each:
// never a 5xx, never a dropped connection, every 4xx in OpenAI's error shape, naming the field at
// fault, and an unknown field refused as unknown_parameter. At the end the process is up, /healthz
// answers, nothing was logged at error level and resident memory stayed within a bound of what it was
// after warm-up. KUBELLAMA_FUZZ_RUNS=20000 for a longer run; a failure prints the replay command.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_PATHS } from '../../charts/runtime-contract.js';
import { parseSamples } from '../charts/helpers/open-metrics.js';
import { freePort, httpGet, ServerProcess, waitFor } from '../harness/index.js';
import { TEST_MODEL, type TinyModelDir, tinyModelDir } from '../runtime/runtime-fixture.js';
import { assertFuzz, fuzzParams } from './support/fuzz-params.js';
import { type FuzzRequest, fuzzRequest } from './support/fuzz-requests.js';

const REPO = join(import.meta.dirname, '..', '..');
const CLI = ['--import', 'tsx', join(REPO, 'runtime', 'cli', 'cli.ts')];
const TEST_FILE = 'test/reliability/fuzz-runtime.test.ts';
/** 2,000 requests after the warm-up. */
const CI_RUNS = 2_200;
const WARM_UP_RUNS = 200;
/** RSS at the end may exceed RSS after warm-up by at most this (heap growth settles; a leak does not). */
const RSS_BOUND_BYTES = 96 * 1024 * 1024;
const ERROR_KEYS = ['code', 'message', 'param', 'type'];

interface ErrorBody {
  error: { message: unknown; type: unknown; param: unknown; code: unknown };
}

const paramUnder = (param: string, field: string) =>
  param === field || param.startsWith(`${field}.`) || param.startsWith(`${field}[`);

/** What every answer must satisfy; throws (failing the run) with what was wrong. */
function checkAnswer(request: FuzzRequest, status: number, contentType: string, text: string): void {
  const fail = (why: string): never => {
    throw new Error(`${why}\nstatus ${status}, answer: ${text.slice(0, 800)}`);
  };
  if (status >= 500) fail('a 5xx answer');
  if (text.includes('"server_error"')) fail('a server_error inside the answer');
  if (request.valid && (status < 200 || status >= 300)) fail('a valid request was not answered 2xx');
  if (request.method === 'HEAD') return;
  if (status >= 400) {
    let body: ErrorBody | undefined;
    try {
      body = JSON.parse(text) as ErrorBody;
    } catch {
      fail('a 4xx answer that is not JSON');
    }
    const error = body!.error;
    if (!error || typeof error !== 'object') fail('a 4xx answer without an error object');
    if (Object.keys(error).sort().join() !== ERROR_KEYS.join())
      fail('an error object with other keys than OpenAI');
    if (typeof error.message !== 'string' || error.message.length < 10) fail('an error without a message');
    if (typeof error.type !== 'string' || typeof error.code !== 'string')
      fail('an error without type or code');
    if (error.param !== null && typeof error.param !== 'string')
      fail('an error param that is not a string or null');
    if (typeof error.param === 'string' && !(error.message as string).includes(error.param))
      fail('an error whose message does not name its param');
    if (
      request.unknown !== undefined &&
      (error.code !== 'unknown_parameter' || error.param !== request.unknown)
    )
      fail(`an unknown field ${JSON.stringify(request.unknown)} not refused as unknown_parameter naming it`);
    // One field made odd: the error names it, unless the whole body was too large to read.
    if (request.field && error.code !== 'request_too_large') {
      if (typeof error.param !== 'string' || !paramUnder(error.param, request.field))
        fail(`an error that does not name the odd field ${request.field}`);
    }
    return;
  }
  if (request.unknown !== undefined) fail(`an unknown field ${JSON.stringify(request.unknown)} was accepted`);
  if (request.method === 'POST' && status === 200) {
    if (contentType.startsWith('text/event-stream')) {
      const lines = text.split('\n').filter((l) => l.startsWith('data: '));
      if (lines.at(-1) !== 'data: [DONE]') fail('a stream that does not end with [DONE]');
      for (const line of lines.slice(0, -1)) {
        const event = JSON.parse(line.slice(6)) as { error?: unknown };
        if (event.error) fail('an error event inside a stream');
      }
    } else if (contentType.startsWith('application/json')) {
      JSON.parse(text);
    }
  }
}

describe('fuzzing the runtime API (real process, tiny model)', () => {
  let model: TinyModelDir;
  let server: ServerProcess;
  let url: string;
  let sent = 0;
  const kinds = new Map<string, number>();
  const statuses = new Map<number, number>();

  const ramUsed = async () => {
    const text = await (await fetch(`${url}${RUNTIME_PATHS.metrics}`)).text();
    const samples = parseSamples(text).filter((s) => s.name === 'llama_memory_ram_used');
    if (!samples.length) throw new Error('llama_memory_ram_used missing from /metrics');
    return samples.reduce((sum, s) => sum + s.value, 0);
  };

  const send = async (request: FuzzRequest) => {
    server.assertRunning();
    sent += 1;
    const response = await fetch(`${url}${request.path}`, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    kinds.set(request.kind.split(' ')[0]!, (kinds.get(request.kind.split(' ')[0]!) ?? 0) + 1);
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    checkAnswer(request, response.status, response.headers.get('content-type') ?? '', text);
  };

  beforeAll(async () => {
    model = await tinyModelDir();
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
        '--parallel',
        '2',
      ],
      logFile: join(model.dir, 'serve.log'),
      cwd: REPO,
      // Traces and OTLP metrics off; /metrics (the runtime's own RSS gauge) stays on.
      env: { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', KUBELLAMA_CONTEXT_SIZE: '2048' },
    });
    url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await httpGet(`${url}/readyz`)).status === 200, {
      description: 'the runtime to load the model',
      abortIf: () => server.assertRunning(),
    });
  });

  afterAll(async () => {
    await server?.stop();
    await model?.remove();
  });

  it('answers every generated request without a 5xx, in OpenAI shape, naming the field at fault; stays up with bounded memory', {
    timeout: 900_000,
  }, async () => {
    const params = fuzzParams('fuzz-runtime', CI_RUNS);
    // RSS is sampled once the first WARM_UP_RUNS requests (every kind, at scale; the embedding
    // context is made on first use) are done, and compared with RSS at the end.
    const warmUpRuns = Math.min(WARM_UP_RUNS, Math.floor(params.numRuns / 10));
    let warm: number | undefined;
    const started = Date.now();
    await assertFuzz(
      fc.asyncProperty(fuzzRequest(TEST_MODEL), async (request) => {
        await send(request);
        if (sent === warmUpRuns) warm = await ramUsed();
      }),
      params,
      TEST_FILE,
      780_000,
    );
    const seconds = (Date.now() - started) / 1000;
    const end = await ramUsed();
    const mib = (b: number) => `${(b / 1024 ** 2).toFixed(1)} MiB`;
    console.log(
      `[fuzz-runtime] ${sent} requests in ${seconds.toFixed(0)} s; kinds ${JSON.stringify(Object.fromEntries(kinds))}; ` +
        `statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}; ` +
        `RSS after ${warmUpRuns} requests ${mib(warm!)}, at the end ${mib(end)} (bound +${mib(RSS_BOUND_BYTES)})`,
    );
    expect(sent).toBeGreaterThanOrEqual(params.numRuns);
    expect(end - warm!).toBeLessThanOrEqual(RSS_BOUND_BYTES);

    server.assertRunning();
    expect((await httpGet(`${url}${RUNTIME_PATHS.health}`)).status).toBe(200);
    const errors = readFileSync(server.logFile, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: string; msg: string })
      .filter((entry) => entry.level === 'error');
    expect(errors).toEqual([]);
  });
});
