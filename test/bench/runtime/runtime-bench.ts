// `npm run bench:runtime`: aggregate and per-stream tokens/s and TTFT p50/p95 at concurrency 1, 2, 4
// and 8 for (a) node-llama-cpp's raw loop, the server with (b) telemetry off, (c) detail=request and
// (d) detail=token (both exporting to the real Jaeger), and (e) llama.cpp's llama-server when
// `npm run tool:llama-server` has built it (the bench says when it has not). Same model, threads,
// context per sequence, prompt and max_tokens for all; on the tiny model, and on Gemma 3 270M when
// `npm run model:gemma` has fetched it. The modes take turns, run by run, so a busy neighbour on a
// shared machine slows them all alike. Prints tables (markdown, for the README) and writes JSON.
//
// Then, in the same run and for the same model, the API features' costs: json_schema generation
// against plain generation and a 20-property grammar's build time (structured-bench.ts), and
// embeddings inputs/s, one request of 64 against 64 requests (embeddings-bench.ts).
//
// Environment: BENCH_THREADS (default 1), BENCH_REPETITIONS, BENCH_MODES (e.g. `off,llama-server`),
// BENCH_MODELS (`tiny`, `gemma`), BENCH_CONCURRENCIES (e.g. `1,4`), BENCH_OUT (JSON path),
// BENCH_FEATURES (`structured,embeddings`, the default; `none` skips them).
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Jaeger, startJaeger } from '../../harness/index.js';
import { llamaServerPath } from '../../tools/llama-server.js';
import { gemmaModelPath } from '../../tools/models.js';
import { writeTinyModel } from '../../tools/tiny-model/tiny-llama.js';
import { benchEmbeddings } from './embeddings-bench.js';
import { pool, type RunResult, type Summary } from './measure.js';
import { type PeerSettings, type RunningPeer, startLlamaServer, startRuntime } from './peers.js';
import { RawLoop } from './raw-loop.js';
import { ratioLines, table } from './report.js';
import { serverRun } from './server-client.js';
import { benchStructured } from './structured-bench.js';

const FEATURES = (process.env.BENCH_FEATURES ?? 'structured,embeddings').split(',').map((f) => f.trim());

const REPO = join(import.meta.dirname, '..', '..', '..');
/** BENCH_CONCURRENCIES narrows the list for a quick run; the servers keep 8 sequences either way. */
export const CONCURRENCIES = (process.env.BENCH_CONCURRENCIES?.split(',').map(Number) ?? [1, 2, 4, 8]).filter(
  (c) => Number.isInteger(c) && c >= 1 && c <= 8,
);
const PARALLEL = 8;
const PROMPT = 'Once upon a time';
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const OUT = process.env.BENCH_OUT ?? join(REPO, 'dist', 'bench', 'runtime-bench.json');

export type Mode = 'raw' | 'off' | 'request' | 'token' | 'llama-server';
const ALL_MODES: Mode[] = ['raw', 'off', 'request', 'token', 'llama-server'];

interface BenchModel {
  readonly name: string;
  readonly path: string;
  readonly maxTokens: number;
  readonly repetitions: number;
  readonly contextSize: number;
}

export type Results = Partial<Record<Mode, Record<number, Summary>>>;

function selectedModes(llamaServer: string | undefined): Mode[] {
  const asked = process.env.BENCH_MODES?.split(',').map((m) => m.trim()) ?? ALL_MODES;
  const unknown = asked.filter((m) => !ALL_MODES.includes(m as Mode));
  if (unknown.length > 0)
    throw new Error(`BENCH_MODES: unknown ${unknown.join(', ')}; known: ${ALL_MODES.join(', ')}`);
  if (!llamaServer && asked.includes('llama-server')) {
    console.log(
      'llama-server is not built (npm run tool:llama-server, ~15 min): benchmarking without the peer',
    );
    return asked.filter((m) => m !== 'llama-server') as Mode[];
  }
  return asked as Mode[];
}

async function benchModel(
  model: BenchModel,
  modes: Mode[],
  jaeger: Jaeger | undefined,
  dir: string,
): Promise<Results> {
  const settings: PeerSettings = {
    modelPath: model.path,
    modelName: model.name,
    threads: THREADS,
    parallel: PARALLEL,
    contextSize: model.contextSize,
    logDir: dir,
  };
  const raw = modes.includes('raw')
    ? await RawLoop.create({ ...settings, prompt: PROMPT, maxTokens: model.maxTokens })
    : undefined;
  const servers = new Map<Mode, RunningPeer>();
  try {
    for (const mode of modes) {
      if (mode === 'off' || mode === 'request' || mode === 'token')
        servers.set(mode, await startRuntime(settings, mode, jaeger));
      if (mode === 'llama-server') servers.set(mode, await startLlamaServer(settings, llamaServerPath()!));
    }
    const run = (mode: Mode, concurrency: number) => {
      if (mode === 'raw') return raw!.run(concurrency);
      const options = {
        url: servers.get(mode)!.url,
        model: 'bench',
        prompt: PROMPT,
        maxTokens: model.maxTokens,
      };
      return serverRun(options, concurrency);
    };
    for (const mode of modes) await run(mode, 1); // warm-up
    const runs = new Map<string, RunResult[]>();
    for (let rep = 0; rep < model.repetitions; rep++) {
      for (const concurrency of CONCURRENCIES) {
        // Alternate the order too, so no mode always follows the same one.
        const order = rep % 2 === 0 ? modes : [...modes].reverse();
        for (const mode of order) {
          const key = `${mode}/${concurrency}`;
          runs.set(key, [...(runs.get(key) ?? []), await run(mode, concurrency)]);
        }
      }
    }
    const results: Results = {};
    for (const mode of modes)
      results[mode] = Object.fromEntries(CONCURRENCIES.map((c) => [c, pool(runs.get(`${mode}/${c}`)!)]));
    return results;
  } finally {
    await raw?.dispose();
    await Promise.all([...servers.values()].map((server) => server.stop()));
  }
}

async function main(): Promise<void> {
  const llamaServer = llamaServerPath();
  const modes = selectedModes(llamaServer);
  const dir = await mkdtemp(join(tmpdir(), 'kubellama-bench-'));
  const repetitions = process.env.BENCH_REPETITIONS ? Number(process.env.BENCH_REPETITIONS) : undefined;
  const wanted = process.env.BENCH_MODELS?.split(',') ?? ['tiny', 'gemma'];
  const models: BenchModel[] = [];
  if (wanted.includes('tiny')) {
    const tinyPath = join(dir, 'tiny.gguf');
    await writeTinyModel(tinyPath);
    models.push({
      name: 'tiny',
      path: tinyPath,
      maxTokens: 256,
      repetitions: repetitions ?? 5,
      contextSize: 2048,
    });
  }
  const gemma = gemmaModelPath();
  if (gemma && wanted.includes('gemma'))
    models.push({
      name: 'gemma-3-270m',
      path: gemma,
      maxTokens: 64,
      repetitions: repetitions ?? 3,
      contextSize: 1024,
    });
  else if (wanted.includes('gemma'))
    console.log('Gemma 3 270M is not in the cache (npm run model:gemma): tiny model only');

  // Jaeger only for the modes that export to it.
  const jaeger = modes.some((m) => m === 'request' || m === 'token') ? await startJaeger() : undefined;
  const report: Record<string, unknown>[] = [];
  const date = new Date().toISOString();
  try {
    for (const model of models) {
      const results = await benchModel(model, modes, jaeger, dir);
      const title = `${model.name}, ${THREADS} thread(s), ${model.maxTokens} tokens per stream, ${PARALLEL} sequences, median of ${model.repetitions} (${date.slice(0, 10)})`;
      console.log(
        `\n${title}\n${table(results, CONCURRENCIES)}\n${ratioLines(results, CONCURRENCIES).join('\n')}`,
      );
      const features: Record<string, unknown> = {};
      for (const [name, bench] of [
        ['structured', benchStructured],
        ['embeddings', benchEmbeddings],
      ] as const) {
        if (!FEATURES.includes(name)) continue;
        const { markdown, json } = await bench(model.path);
        console.log(`\n${markdown}`);
        features[name] = json;
      }
      report.push({
        model: model.name,
        path: model.path,
        maxTokens: model.maxTokens,
        repetitions: model.repetitions,
        results,
        features,
      });
    }
  } finally {
    await jaeger?.stop();
    await rm(dir, { recursive: true, force: true });
  }
  mkdirSync(dirname(OUT), { recursive: true });
  const machine = {
    node: process.version,
    cpu: cpus()[0]?.model,
    cpus: availableParallelism(),
    threads: THREADS,
  };
  writeFileSync(
    OUT,
    `${JSON.stringify({ date, ...machine, llamaServer: llamaServer ?? null, models: report }, null, 2)}\n`,
  );
  console.log(`\nwrote ${OUT}`);
}

await main();
