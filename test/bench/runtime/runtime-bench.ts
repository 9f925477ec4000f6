// `npm run bench:runtime`: decode tokens/s and time to first token at concurrency 1, 2 and 4 for
// (a) node-llama-cpp's raw loop, (b) the server with telemetry off, (c) detail=request and
// (d) detail=token (both exporting to the real Jaeger): same model, threads and prompt. On the tiny
// model, and on Gemma 3 270M when `npm run model:gemma` has fetched it. Prints a table, writes JSON.
// The modes take turns, run by run, so a busy neighbour on a shared machine slows them all alike.
//
// Environment: BENCH_THREADS (default 1), BENCH_REPETITIONS, BENCH_OUT (JSON path).
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort, httpGet, type Jaeger, ServerProcess, startJaeger, waitFor } from '../../harness/index.js';
import { gemmaModelPath } from '../../tools/models.js';
import { writeTinyModel } from '../../tools/tiny-model/tiny-llama.js';
import { median, type RunResult } from './measure.js';
import { RawLoop } from './raw-loop.js';
import { serverRun } from './server-client.js';

const REPO = join(import.meta.dirname, '..', '..', '..');
const CONCURRENCIES = [1, 2, 4] as const;
const PARALLEL = Math.max(...CONCURRENCIES);
const PROMPT = 'Once upon a time';
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const OUT = process.env.BENCH_OUT ?? join(REPO, 'dist', 'bench', 'runtime-bench.json');

type ServerMode = 'off' | 'request' | 'token';
type Mode = 'raw' | ServerMode;
const MODES: Mode[] = ['raw', 'off', 'request', 'token'];

interface BenchModel {
  readonly name: string;
  readonly path: string;
  readonly maxTokens: number;
  readonly repetitions: number;
  readonly contextSize: number;
}

type Results = Record<Mode, Record<number, RunResult>>;

function modeEnv(mode: ServerMode, jaeger: Jaeger): Record<string, string> {
  if (mode === 'off') return { OTEL_SDK_DISABLED: 'true' };
  return {
    OTEL_SERVICE_NAME: `bench-${mode}`,
    OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpGrpcEndpoint,
    // Jaeger takes traces only; /metrics still records every instrument.
    OTEL_METRICS_EXPORTER: 'none',
    KUBELLAMA_TRACE_DETAIL: mode,
  };
}

async function startServer(model: BenchModel, mode: ServerMode, jaeger: Jaeger, dir: string) {
  const port = await freePort();
  const process_ = ServerProcess.start({
    name: `runtime-${mode}`,
    command: process.execPath,
    args: [
      ...[
        '--import',
        'tsx',
        join(REPO, 'runtime', 'cli', 'cli.ts'),
        'serve',
        '--model',
        model.path,
        '--alias',
        'bench',
      ],
      ...[
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--threads',
        String(THREADS),
        '--parallel',
        String(PARALLEL),
      ],
      ...['--context-size', String(model.contextSize), '--gpu-layers', '0'],
    ],
    logFile: join(dir, `serve-${model.name}-${mode}.log`),
    cwd: REPO,
    env: modeEnv(mode, jaeger),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await httpGet(`${url}/readyz`)).status === 200, {
    description: `the ${mode} server`,
    timeoutMs: 120_000,
    abortIf: () => process_.assertRunning(),
  });
  return { process: process_, url };
}

async function benchModel(model: BenchModel, jaeger: Jaeger, dir: string): Promise<Results> {
  const raw = await RawLoop.create({
    modelPath: model.path,
    prompt: PROMPT,
    threads: THREADS,
    contextSize: model.contextSize,
    maxTokens: model.maxTokens,
    parallel: PARALLEL,
  });
  const servers = await Promise.all(
    (['off', 'request', 'token'] as const).map((mode) => startServer(model, mode, jaeger, dir)),
  );
  const run = (mode: Mode, concurrency: number) => {
    if (mode === 'raw') return raw.run(concurrency);
    const server = servers[['off', 'request', 'token'].indexOf(mode)]!;
    return serverRun(
      { url: server.url, model: 'bench', prompt: PROMPT, maxTokens: model.maxTokens },
      concurrency,
    );
  };
  try {
    for (const mode of MODES) await run(mode, 1); // warm-up
    const runs = new Map<string, RunResult[]>();
    for (let rep = 0; rep < model.repetitions; rep++) {
      for (const concurrency of CONCURRENCIES) {
        for (const mode of MODES) {
          const key = `${mode}/${concurrency}`;
          runs.set(key, [...(runs.get(key) ?? []), await run(mode, concurrency)]);
        }
      }
    }
    const results = {} as Results;
    for (const mode of MODES) {
      results[mode] = Object.fromEntries(CONCURRENCIES.map((c) => [c, median(runs.get(`${mode}/${c}`)!)]));
    }
    return results;
  } finally {
    await raw.dispose();
    await Promise.all(servers.map((server) => server.process.stop()));
  }
}

const fmt = (n: number, digits = 1) => n.toFixed(digits).padStart(8);
const pct = (a: number, b: number) => (b > 0 ? (a / b) * 100 : 0);

function ratios(results: Results) {
  return Object.fromEntries(
    CONCURRENCIES.map((c) => [
      c,
      {
        offVsRaw: pct(results.off[c]!.decodeTps, results.raw[c]!.decodeTps),
        requestVsOff: pct(results.request[c]!.decodeTps, results.off[c]!.decodeTps),
        tokenVsOff: pct(results.token[c]!.decodeTps, results.off[c]!.decodeTps),
      },
    ]),
  );
}

function table(model: BenchModel, results: Results): string {
  const header = `mode     ${CONCURRENCIES.map((c) => `| c=${c}: tok/s  ttft ms  total tok/s `).join('')}`;
  const rows = MODES.map(
    (mode) =>
      `${mode.padEnd(8)} ${CONCURRENCIES.map((c) => {
        const r = results[mode][c]!;
        return `| ${fmt(r.decodeTps)} ${fmt(r.ttftMs, 2)} ${fmt(r.throughputTps)}    `;
      }).join('')}`,
  );
  const ratio = (a: Mode, b: Mode) =>
    CONCURRENCIES.map((c) => `${pct(results[a][c]!.decodeTps, results[b][c]!.decodeTps).toFixed(1)}%`).join(
      ' / ',
    );
  return [
    `\n${model.name} (${model.path}), ${THREADS} thread(s), ${model.maxTokens} tokens, median of ${model.repetitions}`,
    header,
    ...rows,
    `per-stream decode at c=1/2/4: off/raw ${ratio('off', 'raw')} (budget ≥97% at c=1); ` +
      `request/off ${ratio('request', 'off')} (≥99%); token/off ${ratio('token', 'off')} (≥97%)`,
  ].join('\n');
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kubellama-bench-'));
  const tinyPath = join(dir, 'tiny.gguf');
  await writeTinyModel(tinyPath);
  const repetitions = process.env.BENCH_REPETITIONS ? Number(process.env.BENCH_REPETITIONS) : undefined;
  const models: BenchModel[] = [
    { name: 'tiny', path: tinyPath, maxTokens: 256, repetitions: repetitions ?? 9, contextSize: 2048 },
  ];
  const gemma = gemmaModelPath();
  if (gemma)
    models.push({
      name: 'gemma-3-270m',
      path: gemma,
      maxTokens: 64,
      repetitions: repetitions ?? 3,
      contextSize: 1024,
    });
  else console.log('Gemma 3 270M is not in the cache (npm run model:gemma): tiny model only');

  const jaeger = await startJaeger();
  const report: Record<string, unknown>[] = [];
  try {
    for (const model of models) {
      const results = await benchModel(model, jaeger, dir);
      console.log(table(model, results));
      report.push({
        model: model.name,
        path: model.path,
        threads: THREADS,
        maxTokens: model.maxTokens,
        repetitions: model.repetitions,
        results,
        ratios: ratios(results),
      });
    }
  } finally {
    await jaeger.stop();
    await rm(dir, { recursive: true, force: true });
  }
  mkdirSync(dirname(OUT), { recursive: true });
  const machine = { node: process.version, cpu: cpus()[0]?.model, cpus: availableParallelism() };
  writeFileSync(
    OUT,
    `${JSON.stringify({ date: new Date().toISOString(), ...machine, models: report }, null, 2)}\n`,
  );
  console.log(`\nwrote ${OUT}`);
}

await main();
