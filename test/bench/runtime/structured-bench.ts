// What a JSON schema grammar costs in the runtime's own generation loop (Engine.generate, one
// sequence, one thread): decode tokens/s with response_format json_schema ÷ without, on the same
// prompt, rounds alternating which goes first, medians; and the build time of a 20-property schema's
// grammar (a fresh schema each time, so the cache never answers). `npm run bench:structured` runs it
// on Gemma 3 270M (`npm run model:gemma` fetches it).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Engine } from '../../../runtime/engine/engine.js';
import type { GenerationRequest, OutputConstraint } from '../../../runtime/engine/types.js';
import { checkJsonSchema } from '../../../runtime/server/json-schema-support.js';
import { gemmaModelPath } from '../../tools/models.js';

const ROUNDS = Number(process.env.BENCH_REPETITIONS ?? 5);
const MAX_TOKENS = 64;
const BUILDS = 5;
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const OUT = join(import.meta.dirname, '..', '..', '..', 'dist', 'bench', 'structured-bench.json');

const PROMPT = 'Describe a fictional person: name, age, city, job and three hobbies.';
const PERSON = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    age: { type: 'integer' },
    city: { type: 'string' },
    job: { type: 'string' },
    hobbies: { type: 'array', items: { type: 'string' } },
  },
  required: ['name', 'age', 'city', 'job', 'hobbies'],
  additionalProperties: false,
};

/** A 20-property object schema of mixed kinds; `salt` makes its grammar new to the cache. */
function twentyProperties(salt: number): unknown {
  const kinds = [
    { type: 'string' },
    { type: 'integer' },
    { type: 'number' },
    { type: 'boolean' },
    { type: 'array', items: { type: 'string' }, maxItems: 4 },
    { type: 'string', enum: ['a', 'b', 'c'] },
    { anyOf: [{ type: 'string' }, { type: 'null' }] },
    { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' } } },
    { type: 'string', format: 'date' },
    { type: 'string', maxLength: 12 },
  ];
  const properties = Object.fromEntries(
    Array.from({ length: 20 }, (_, i) => [`field_${salt}_${i}`, kinds[i % kinds.length]]),
  );
  return { type: 'object', properties, required: Object.keys(properties), additionalProperties: false };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface Run {
  readonly tokens: number;
  readonly decodeSeconds: number;
  readonly tokensPerSecond: number;
}

async function run(engine: Engine, constraint: OutputConstraint | undefined, seed: number): Promise<Run> {
  const request: GenerationRequest = {
    input: { kind: 'chat', messages: [{ role: 'user', content: PROMPT }] },
    sampling: { maxTokens: MAX_TOKENS, temperature: 0.7, seed },
    constraint,
  };
  const result = await engine.generate(request);
  // Tokens after the first (which comes with the prefill) over the decode phase.
  const tokens = Math.max(0, result.completionTokens - 1);
  return { tokens, decodeSeconds: result.timings.decode, tokensPerSecond: tokens / result.timings.decode };
}

export async function benchStructured(modelPath: string): Promise<{ markdown: string; json: unknown }> {
  const engine = await Engine.create({ modelPath, threads: THREADS, parallel: 1, contextSize: 2048 });
  try {
    const schema: OutputConstraint = { kind: 'json_schema', schema: checkJsonSchema(PERSON, 'schema') };
    await run(engine, undefined, 0); // warm-up: load pages, fill the prefix cache
    await run(engine, schema, 0);
    const plain: Run[] = [];
    const json: Run[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const seed = round + 1;
      if (round % 2 === 0) {
        plain.push(await run(engine, undefined, seed));
        json.push(await run(engine, schema, seed));
      } else {
        json.push(await run(engine, schema, seed));
        plain.push(await run(engine, undefined, seed));
      }
    }
    const builds: number[] = [];
    for (let i = 0; i < BUILDS; i++) {
      const result = await engine.generate({
        input: { kind: 'chat', messages: [{ role: 'user', content: 'x' }] },
        sampling: { maxTokens: 1 },
        constraint: { kind: 'json_schema', schema: checkJsonSchema(twentyProperties(i), 'schema') },
      });
      if (result.grammar?.cached !== false) throw new Error('the grammar came from the cache');
      builds.push(result.grammar.buildSeconds * 1000);
    }
    const plainRate = median(plain.map((r) => r.tokensPerSecond));
    const jsonRate = median(json.map((r) => r.tokensPerSecond));
    const ratios = plain.map((p, i) => json[i]!.tokensPerSecond / p.tokensPerSecond);
    const summary = {
      model: modelPath,
      threads: THREADS,
      rounds: ROUNDS,
      maxTokens: MAX_TOKENS,
      plainTokensPerSecond: plainRate,
      jsonSchemaTokensPerSecond: jsonRate,
      ratioOfMedians: jsonRate / plainRate,
      medianRoundRatio: median(ratios),
      grammarBuildMs20Properties: { median: median(builds), all: builds },
      runs: { plain, json },
    };
    const f = (n: number, digits = 1) => n.toFixed(digits);
    const markdown = [
      '| measure | value |',
      '|---|---|',
      `| plain decode tok/s (median of ${ROUNDS}) | ${f(plainRate)} |`,
      `| json_schema decode tok/s (median of ${ROUNDS}) | ${f(jsonRate)} |`,
      `| json_schema ÷ plain (ratio of medians) | ${f(jsonRate / plainRate, 2)} |`,
      `| json_schema ÷ plain (median of per-round ratios) | ${f(median(ratios), 2)} |`,
      `| grammar build, 20-property schema, ms (median of ${BUILDS}) | ${f(median(builds))} |`,
    ].join('\n');
    return { markdown, json: summary };
  } finally {
    await engine.dispose();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const modelPath = process.env.BENCH_MODEL ?? gemmaModelPath();
  if (!modelPath) {
    console.error('Gemma 3 270M is not here: run `npm run model:gemma` first (or set BENCH_MODEL).');
    process.exit(2);
  }
  const { markdown, json } = await benchStructured(modelPath);
  console.log(markdown);
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify({ date: new Date().toISOString(), ...(json as object) }, null, 2)}\n`);
  console.log(`\nwrote ${OUT}`);
}
