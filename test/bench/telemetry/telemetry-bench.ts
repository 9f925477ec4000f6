// `npm run bench:telemetry`: what tracing costs. The same workload (streamed /v1/completions,
// temperature 0) at concurrency 1 and 4 against five runtime processes that differ only in their
// telemetry — off; detail=request with head sampling at 1.0, 0.1 and 0.01; detail=token at 1.0 —
// each exporting through the real collector (the chart's gateway pipeline, spanmetrics included) to
// the real Jaeger. Per mode: per-token decode time, aggregate tokens/s, TTFT p50/p95, the runtime's
// CPU seconds per 1,000 generated tokens and its RSS. The modes take turns run by run (ABCDE ABCDE
// …) so a busy neighbour slows them alike; medians with their spread (min–max over the runs).
// Gemma 3 270M when `npm run model:gemma` has fetched it, else the tiny random-weights model.
//
// Environment: BENCH_REPETITIONS (default 4), BENCH_MAX_TOKENS (default 48), BENCH_OUT (JSON path).
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type Collector,
  freePort,
  httpGet,
  type Jaeger,
  ServerProcess,
  startCollector,
  startJaeger,
  waitFor,
} from '../../harness/index.js';
import { gemmaModelPath } from '../../tools/models.js';
import { writeTinyModel } from '../../tools/tiny-model/tiny-llama.js';
import { groupCpuSeconds, groupRssMiB } from '../operator/proc.js';
import { percentile } from '../runtime/measure.js';
import { serverRun } from '../runtime/server-client.js';

const REPO = join(import.meta.dirname, '..', '..', '..');
const OUT = process.env.BENCH_OUT ?? join(REPO, 'dist', 'bench', 'telemetry.json');
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 4);
const MAX_TOKENS = Number(process.env.BENCH_MAX_TOKENS ?? 48);
const CONCURRENCIES = [1, 4] as const;
const PROMPT = 'Once upon a time';

interface Mode {
  readonly name: string;
  readonly env: Record<string, string>;
}

const MODES: readonly Mode[] = [
  { name: 'off', env: { OTEL_SDK_DISABLED: 'true' } },
  ...[1, 0.1, 0.01].map((ratio) => ({
    name: `request@${ratio}`,
    env: {
      KUBELLAMA_TRACE_DETAIL: 'request',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: String(ratio),
    },
  })),
  { name: 'token@1', env: { KUBELLAMA_TRACE_DETAIL: 'token' } },
];

interface Run {
  readonly aggregateTps: number;
  readonly perStreamTps: number;
  readonly ttftsMs: readonly number[];
  readonly cpuSecondsPer1kTokens: number;
}

interface Row {
  readonly mode: string;
  readonly concurrency: number;
  readonly runs: number;
  readonly decodeMsPerToken: number;
  readonly aggregateTps: number;
  readonly aggregateTpsSpread: readonly [number, number];
  readonly ttftP50Ms: number;
  readonly ttftP95Ms: number;
  readonly cpuSecondsPer1kTokens: number;
  readonly rssMiB: number;
}

interface Runtime {
  readonly url: string;
  readonly process: ServerProcess;
}

async function startRuntime(
  mode: Mode,
  model: string,
  collector: Collector,
  logDir: string,
): Promise<Runtime> {
  const port = await freePort();
  const process_ = ServerProcess.start({
    name: `runtime-${mode.name}`,
    command: process.execPath,
    args: [
      ...['--import', 'tsx', join(REPO, 'runtime', 'cli', 'cli.ts'), 'serve'],
      ...['--model', model, '--alias', 'bench', '--host', '127.0.0.1', '--port', String(port)],
      ...['--threads', '1', '--parallel', String(Math.max(...CONCURRENCIES))],
      ...['--context-size', '1024', '--gpu-layers', '0'],
    ],
    logFile: join(logDir, `runtime-${mode.name}.log`),
    cwd: REPO,
    env: {
      OTEL_SERVICE_NAME: `bench-${mode.name}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpGrpcEndpoint,
      OTEL_METRIC_EXPORT_INTERVAL: '5000',
      ...mode.env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await httpGet(`${url}/readyz`)).status === 200, {
    description: `runtime ${mode.name}`,
    timeoutMs: 180_000,
    abortIf: () => process_.assertRunning(),
  });
  return { url, process: process_ };
}

async function measure(runtime: Runtime, concurrency: number): Promise<Run> {
  const cpuBefore = groupCpuSeconds(runtime.process.pid);
  const started = performance.now();
  const result = await serverRun(
    { url: runtime.url, model: 'bench', prompt: PROMPT, maxTokens: MAX_TOKENS },
    concurrency,
  );
  const tokens = result.aggregateTps * ((performance.now() - started) / 1000);
  const cpu = groupCpuSeconds(runtime.process.pid) - cpuBefore;
  return {
    aggregateTps: result.aggregateTps,
    perStreamTps: result.perStreamTps,
    ttftsMs: result.ttftsMs,
    cpuSecondsPer1kTokens: tokens > 0 ? (cpu / tokens) * 1000 : 0,
  };
}

function summarize(mode: string, concurrency: number, runs: readonly Run[], rssMiB: number): Row {
  const median = (values: number[]) => percentile(values, 50);
  const tps = runs.map((r) => r.aggregateTps);
  const ttfts = runs.flatMap((r) => r.ttftsMs);
  const perStream = median(runs.map((r) => r.perStreamTps));
  return {
    mode,
    concurrency,
    runs: runs.length,
    decodeMsPerToken: perStream > 0 ? 1000 / perStream : 0,
    aggregateTps: median(tps),
    aggregateTpsSpread: [Math.min(...tps), Math.max(...tps)],
    ttftP50Ms: percentile(ttfts, 50),
    ttftP95Ms: percentile(ttfts, 95),
    cpuSecondsPer1kTokens: median(runs.map((r) => r.cpuSecondsPer1kTokens)),
    rssMiB,
  };
}

function markdown(rows: readonly Row[]): string {
  const off = new Map(rows.filter((r) => r.mode === 'off').map((r) => [r.concurrency, r.aggregateTps]));
  const lines = [
    '| mode | c | decode ms/token | aggregate tok/s (min–max) | vs off | TTFT p50 / p95 ms | CPU s / 1k tokens | RSS MiB |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const ratio = r.aggregateTps / (off.get(r.concurrency) ?? Number.NaN);
    lines.push(
      `| ${r.mode} | ${r.concurrency} | ${r.decodeMsPerToken.toFixed(1)} | ${r.aggregateTps.toFixed(1)} (${r.aggregateTpsSpread[0].toFixed(1)}–${r.aggregateTpsSpread[1].toFixed(1)}) | ${(ratio * 100).toFixed(0)} % | ${r.ttftP50Ms.toFixed(0)} / ${r.ttftP95Ms.toFixed(0)} | ${r.cpuSecondsPer1kTokens.toFixed(1)} | ${r.rssMiB.toFixed(0)} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kubellama-telemetry-bench-'));
  const gemma = gemmaModelPath();
  const model = gemma ?? (await writeTinyModel(join(dir, 'tiny.gguf'))).path;
  const modelName = gemma
    ? 'Gemma 3 270M Q4_K_M'
    : 'tiny (random weights: run `npm run model:gemma` for Gemma)';
  console.log(`bench:telemetry on ${modelName}, ${REPETITIONS} rounds, ${MAX_TOKENS} tokens per stream`);
  let jaeger: Jaeger | undefined;
  let collector: Collector | undefined;
  const runtimes = new Map<string, Runtime>();
  try {
    jaeger = await startJaeger();
    collector = await startCollector({ tracesEndpoint: jaeger.otlpGrpcEndpoint });
    for (const mode of MODES) runtimes.set(mode.name, await startRuntime(mode, model, collector, dir));
    // One warm-up request each: the first decode pays for page faults and lazy set-up.
    for (const runtime of runtimes.values()) await measure(runtime, 1);

    const runs = new Map<string, Run[]>();
    for (let round = 1; round <= REPETITIONS; round++) {
      for (const concurrency of CONCURRENCIES) {
        for (const mode of MODES) {
          const run = await measure(runtimes.get(mode.name)!, concurrency);
          const key = `${mode.name}|${concurrency}`;
          runs.set(key, [...(runs.get(key) ?? []), run]);
          console.log(
            `round ${round} c=${concurrency} ${mode.name}: ${run.aggregateTps.toFixed(1)} tok/s, ttft ${percentile(run.ttftsMs, 50).toFixed(0)} ms`,
          );
        }
      }
    }
    const rows = CONCURRENCIES.flatMap((c) =>
      MODES.map((mode) =>
        summarize(
          mode.name,
          c,
          runs.get(`${mode.name}|${c}`) ?? [],
          groupRssMiB(runtimes.get(mode.name)!.process.pid),
        ),
      ),
    );
    const report = markdown(rows);
    console.log(`\n${report}\n`);
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(
      OUT,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
          model: modelName,
          maxTokens: MAX_TOKENS,
          repetitions: REPETITIONS,
          rows,
          markdown: report,
        },
        null,
        2,
      )}\n`,
    );
    console.log(`wrote ${OUT}`);
  } finally {
    await Promise.all([...runtimes.values()].map((r) => r.process.stop()));
    await collector?.stop();
    await jaeger?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
