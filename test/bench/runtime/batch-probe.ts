// `npm run bench:batch-probe`: why concurrency does not pay (issue 10). Wraps node-llama-cpp's native
// context calls (its internal `_ctx`: initBatch, addToBatch, decodeBatch, sampleToken; read only,
// for this diagnostic) and reports, per llama_decode, how many sequences, tokens and logits rows went
// in and how long it took, plus the time spent sampling and the idle time between decodes.
//
//  A. `loops`: `c` concurrent `sequence.evaluate()` loops (what the runtime does per request).
//  B. `step`: the cost of one step on its own: 1..c sequences, one token each with logits, put in one
//     batch by starting them in the same tick (node-llama-cpp dispatches at once when every
//     sequence has queued).
//  C. `runtime`: the same loops as A, lined up the runtime's way (StepBarrier + BatchLog strategy).
// Each line says how many decodes had their sequences in id order (one ubatch, see step-barrier.ts).
//
// Environment: BENCH_THREADS (1), PROBE_TOKENS (32), PROBE_MODES (loops,step,runtime), PROBE_MODEL
// (default: Gemma 3 270M from the cache).
import {
  getLlama,
  type LlamaContext,
  type LlamaContextSequence,
  LlamaLogLevel,
  type Token,
} from 'node-llama-cpp';
import { BatchLog } from '../../../runtime/engine/batch-log.js';
import { StepBarrier } from '../../../runtime/engine/step-barrier.js';
import { gemmaModelPath } from '../../tools/models.js';

const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const TOKENS = Number(process.env.PROBE_TOKENS ?? 32);
const SEQUENCES = 4;
const PROMPT = 'Once upon a time';

interface DecodeRecord {
  ids: number[];
  sequences: number;
  tokens: number;
  logits: number;
  ms: number;
}

interface NativeContext {
  initBatch(size: number): void;
  addToBatch(sequenceId: number, first: number, tokens: Uint32Array, logitIndexes: Uint32Array): Uint32Array;
  decodeBatch(): Promise<void>;
  sampleToken(...args: unknown[]): Promise<unknown>;
}

/** Native methods are read-only on the prototype; an own property shadows them. */
function override<K extends keyof NativeContext>(native: NativeContext, name: K, value: NativeContext[K]) {
  Object.defineProperty(native, name, { value, configurable: true });
}

/** Records every native decode and sample of a context. */
function instrument(context: LlamaContext) {
  const native = (context as unknown as { _ctx: NativeContext })._ctx;
  const decodes: DecodeRecord[] = [];
  const samples: number[] = [];
  let current: DecodeRecord = { ids: [], sequences: 0, tokens: 0, logits: 0, ms: 0 };
  let lastDecodeEnd = 0;
  let idleMs = 0;
  const initBatch = native.initBatch.bind(native);
  const addToBatch = native.addToBatch.bind(native);
  const decodeBatch = native.decodeBatch.bind(native);
  const sampleToken = native.sampleToken.bind(native);
  override(native, 'initBatch', (size) => {
    current = { ids: [], sequences: 0, tokens: 0, logits: 0, ms: 0 };
    initBatch(size);
  });
  override(native, 'addToBatch', (sequenceId, first, tokens, logitIndexes) => {
    current.sequences++;
    current.ids.push(sequenceId);
    current.tokens += tokens.length;
    current.logits += logitIndexes.length;
    return addToBatch(sequenceId, first, tokens, logitIndexes);
  });
  override(native, 'decodeBatch', async () => {
    const started = performance.now();
    if (lastDecodeEnd > 0) idleMs += started - lastDecodeEnd;
    await decodeBatch();
    lastDecodeEnd = performance.now();
    current.ms = lastDecodeEnd - started;
    decodes.push(current);
  });
  override(native, 'sampleToken', async (...args) => {
    const started = performance.now();
    const result = await sampleToken(...args);
    samples.push(performance.now() - started);
    return result;
  });
  return {
    reset() {
      decodes.length = 0;
      samples.length = 0;
      lastDecodeEnd = 0;
      idleMs = 0;
    },
    report(label: string, wallMs: number, generated: number) {
      const bySize = new Map<number, number[]>();
      for (const d of decodes) bySize.set(d.sequences, [...(bySize.get(d.sequences) ?? []), d.ms]);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
      const decodeMs = decodes.reduce((a, d) => a + d.ms, 0);
      const inOrder = decodes.filter((d) =>
        d.ids.every((id, i) => i === 0 || id === d.ids[i - 1]! + 1),
      ).length;
      const sampleMs = samples.reduce((a, b) => a + b, 0);
      console.log(
        `${label}: ${generated} tokens in ${wallMs.toFixed(0)} ms = ${((generated / wallMs) * 1000).toFixed(1)} tok/s; ` +
          `${decodes.length} llama_decode (${decodeMs.toFixed(0)} ms), ${samples.length} samples (${sampleMs.toFixed(0)} ms, ` +
          `mean ${mean(samples).toFixed(2)} ms), idle between decodes ${idleMs.toFixed(0)} ms, ` +
          `${inOrder}/${decodes.length} decodes in consecutive id order`,
      );
      for (const [size, ms] of [...bySize].sort((a, b) => a[0] - b[0])) {
        const logits = mean(decodes.filter((d) => d.sequences === size).map((d) => d.logits));
        console.log(
          `  ${size} sequence(s) per decode: ${ms.length}×, mean ${mean(ms).toFixed(1)} ms, logits rows ${logits.toFixed(1)}`,
        );
      }
    },
  };
}

async function loops(sequences: LlamaContextSequence[], tokens: Token[], concurrency: number) {
  let generated = 0;
  await Promise.all(
    sequences.slice(0, concurrency).map(async (sequence) => {
      await sequence.clearHistory();
      let count = 0;
      for await (const _ of sequence.evaluate(tokens, { temperature: 0 })) {
        generated++;
        if (++count >= TOKENS) break;
      }
    }),
  );
  return generated;
}

/** A's loops the runtime's way: each asks for its next token when the step is released. */
function lined(barrier: StepBarrier) {
  return async (sequences: LlamaContextSequence[], tokens: Token[], concurrency: number) => {
    let generated = 0;
    await Promise.all(
      sequences.slice(0, concurrency).map(async (sequence, rank) => {
        await sequence.clearHistory();
        const slot = barrier.join(rank);
        const iterator = sequence.evaluate(tokens, { temperature: 0 });
        try {
          for (let count = 0; count < TOKENS; count++) {
            await slot.ready();
            try {
              if ((await iterator.next()).done) break;
            } finally {
              slot.received();
            }
            generated++;
          }
        } finally {
          slot.leave();
          await iterator.return();
        }
      }),
    );
    return generated;
  };
}

async function steps(sequences: LlamaContextSequence[], tokens: Token[], concurrency: number) {
  const active = sequences.slice(0, concurrency);
  for (const sequence of active) {
    await sequence.clearHistory();
    await sequence.evaluateWithoutGeneratingNewTokens(tokens);
  }
  let generated = 0;
  for (let step = 0; step < TOKENS; step++) {
    // Same tick: every sequence queues before node-llama-cpp dispatches.
    await Promise.all(
      active.map((sequence) =>
        sequence.controlledEvaluate([[tokens[step % tokens.length]!, { generateNext: { token: true } }]]),
      ),
    );
    generated += active.length;
  }
  return generated;
}

async function main() {
  const modelPath = process.env.PROBE_MODEL ?? gemmaModelPath();
  if (!modelPath) throw new Error('no model: run `npm run model:gemma` or set PROBE_MODEL');
  const llama = await getLlama({
    gpu: false,
    build: 'never',
    maxThreads: THREADS,
    logLevel: LlamaLogLevel.error,
  });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 1024, sequences: SEQUENCES, threads: THREADS });
  const sequences = Array.from({ length: SEQUENCES }, () => context.getSequence());
  const tokens = model.tokenize(PROMPT);
  if (model.tokens.bos !== null && model.tokens.shouldPrependBosToken) tokens.unshift(model.tokens.bos);
  const barrier = new StepBarrier();
  const log = new BatchLog((_, results) => barrier.dispatched(results));
  const lined_ = await model.createContext({
    contextSize: 1024,
    sequences: SEQUENCES,
    threads: THREADS,
    batching: { itemPrioritizationStrategy: log.strategy },
  });
  const linedSequences = Array.from({ length: SEQUENCES }, () => lined_.getSequence());
  const probes = { default: instrument(context), lined: instrument(lined_) };
  console.log(`${modelPath}, ${THREADS} thread(s), ${TOKENS} tokens per sequence, ${SEQUENCES} sequences`);
  await loops(sequences, tokens, 1); // warm-up
  // Through the barrier: every decode's results are counted by it and must be handed back to it.
  await lined(barrier)(linedSequences, tokens, 1);
  const modes = [
    ['loops', loops, sequences, probes.default],
    ['step', steps, sequences, probes.default],
    ['runtime', lined(barrier), linedSequences, probes.lined],
  ] as const;
  const only = process.env.PROBE_MODES?.split(',');
  for (const [name, run, seqs, probe] of modes) {
    if (only && !only.includes(name)) continue;
    for (const concurrency of [1, 2, 4]) {
      probe.reset();
      const started = performance.now();
      const generated = await run(seqs, tokens, concurrency);
      probe.report(`${name} c=${concurrency}`, performance.now() - started, generated);
    }
  }
  await llama.dispose();
}

await main();
