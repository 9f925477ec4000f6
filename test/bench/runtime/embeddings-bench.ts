// `npm run bench:embeddings`: inputs/s of POST /v1/embeddings for 64 short strings, sent as one
// request holding all 64 against 64 requests one after another, on the in-process runtime (HTTP
// included, telemetry off). The two ways alternate round by round, first one then the other, so a
// busy neighbour slows both alike; medians. On the tiny model and on Gemma 3 270M when
// `npm run model:gemma` has fetched it. Environment: BENCH_THREADS (1), BENCH_ROUNDS (5).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../../../lib/log.js';
import { RuntimeServer } from '../../../runtime/server/runtime-server.js';
import { gemmaModelPath } from '../../tools/models.js';
import { writeTinyModel } from '../../tools/tiny-model/tiny-llama.js';

const INPUTS = 64;
const MODEL = 'bench';
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

type Way = 'batch' | 'one-by-one';

const texts = Array.from({ length: INPUTS }, (_, i) => `Short sentence number ${i} about a cat on a mat.`);

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function embed(url: string, input: string | string[]): Promise<void> {
  const response = await fetch(`${url}/v1/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, input, encoding_format: 'float' }),
  });
  const body = (await response.json()) as { data?: unknown[] };
  if (response.status !== 200 || body.data?.length !== (Array.isArray(input) ? input.length : 1))
    throw new Error(`embeddings failed: ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
}

/** Inputs per second for one way of sending the 64 texts. */
async function run(url: string, way: Way): Promise<number> {
  const started = performance.now();
  if (way === 'batch') await embed(url, texts);
  else for (const text of texts) await embed(url, text);
  return INPUTS / ((performance.now() - started) / 1000);
}

export async function benchEmbeddings(modelPath: string): Promise<{ markdown: string; json: unknown }> {
  const server = await RuntimeServer.start(
    {
      model: modelPath,
      modelAlias: MODEL,
      host: '127.0.0.1',
      port: 0,
      contextSize: 512,
      parallel: 1,
      threads: THREADS,
      gpuLayers: 0,
      batchSize: undefined,
      apiKey: undefined,
      maxQueue: 16,
      requestTimeoutSeconds: 600,
      traceDetail: 'request',
      captureContent: false,
      modelDir: tmpdir(),
      modelSha256: undefined,
    },
    { env: { OTEL_SDK_DISABLED: 'true' }, log: createLogger({ level: 'warn' }) },
  );
  const rates: Record<Way, number[]> = { batch: [], 'one-by-one': [] };
  try {
    await server.loaded();
    // Creates the embedding context (lazily, on first use) outside the measured rounds.
    await embed(server.url, texts.slice(0, 2));
    for (let round = 0; round < ROUNDS; round++) {
      const order: Way[] = round % 2 === 0 ? ['batch', 'one-by-one'] : ['one-by-one', 'batch'];
      for (const way of order) rates[way].push(await run(server.url, way));
    }
  } finally {
    await server.close();
  }
  const batch = median(rates.batch);
  const single = median(rates['one-by-one']);
  const name = basename(modelPath);
  const markdown = [
    `${name}: ${INPUTS} short strings, ${THREADS} thread(s), median of ${ROUNDS} alternating rounds`,
    '',
    '| way | inputs/s (median) | rounds |',
    '|---|---|---|',
    `| one request of ${INPUTS} | ${batch.toFixed(1)} | ${rates.batch.map((r) => r.toFixed(1)).join(', ')} |`,
    `| ${INPUTS} requests, one at a time | ${single.toFixed(1)} | ${rates['one-by-one'].map((r) => r.toFixed(1)).join(', ')} |`,
    '',
    `batch / one-by-one: ${(batch / single).toFixed(2)}×`,
  ].join('\n');
  return {
    markdown,
    json: {
      model: name,
      inputs: INPUTS,
      threads: THREADS,
      rounds: ROUNDS,
      rates,
      median: { batch, oneByOne: single },
    },
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kubellama-embeddings-bench-'));
  try {
    const tiny = join(dir, 'tiny.gguf');
    await writeTinyModel(tiny);
    const models = [tiny];
    const gemma = gemmaModelPath();
    if (gemma) models.push(gemma);
    else console.log('Gemma 3 270M is not in the cache (npm run model:gemma): tiny model only');
    const results = [];
    for (const model of models) {
      const result = await benchEmbeddings(model);
      console.log(`\n${result.markdown}`);
      results.push(result.json);
    }
    console.log(`\n${JSON.stringify({ date: new Date().toISOString(), results })}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
