// Continuous batching against real llama.cpp (node-llama-cpp, the tiny model): the decoding
// sequences share one llama_decode per step, a prompt that arrives later joins in chunks without
// holding the others back, a finished sequence leaves without stalling the rest, and batching does
// not change what greedy decoding generates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../runtime/engine/engine.js';
import type { GenerationRequest, TokenTiming } from '../../runtime/engine/types.js';
import { LONG_PROMPT, type TinyModelDir, tinyModelDir } from './runtime-fixture.js';

const PARALLEL = 4;

function request(maxTokens: number, prompt = LONG_PROMPT, tokens?: TokenTiming[]): GenerationRequest {
  return {
    input: { kind: 'text', prompt },
    sampling: { temperature: 0, maxTokens },
    observer: { tokenGenerated: (timing) => tokens?.push(timing) },
  };
}

describe('continuous batching on one context (real llama.cpp)', () => {
  let model: TinyModelDir;
  let engine: Engine;
  const decodes: number[] = [];

  beforeAll(async () => {
    model = await tinyModelDir();
    engine = await Engine.create({
      modelPath: model.modelPath,
      parallel: PARALLEL,
      threads: 1,
      contextSize: 1024,
      gpu: false,
      gpuLayers: 0,
      // Small, so a long prompt takes several steps.
      batchSize: 16,
      onBatch: (sequences) => decodes.push(sequences),
    });
  });

  afterAll(async () => {
    await engine?.dispose();
    await model?.remove();
  });

  it('decodes every active sequence in one llama_decode per step, and generates what one sequence alone does', async () => {
    const alone = await engine.generate(request(40));
    decodes.length = 0;
    const timings = Array.from({ length: PARALLEL }, () => [] as TokenTiming[]);
    const results = await Promise.all(
      timings.map((tokens) => engine.generate(request(40, LONG_PROMPT, tokens))),
    );
    for (const result of results) {
      expect(result.completionTokens).toBe(40);
      expect(result.text).toBe(alone.text);
    }
    // 160 tokens in about 40 llama_decode calls, not 160. The four prompts do not fit one batch of
    // 16 tokens, so one sequence starts a step late and the last steps have fewer sequences.
    expect(decodes.length).toBeLessThanOrEqual(40 + 4);
    expect(decodes.filter((size) => size === PARALLEL).length).toBeGreaterThanOrEqual(35);
    for (const tokens of timings) {
      const steps = tokens.filter((t) => t.index > 0).map((t) => t.batchSize);
      expect(steps).toHaveLength(39);
      expect(steps.filter((size) => size === PARALLEL).length).toBeGreaterThanOrEqual(35);
      expect(tokens[0]!.batchSize).toBe(0);
    }
  });

  it('lets a later prompt join in chunks beside the decoding sequences, and a finished one leave', async () => {
    decodes.length = 0;
    const early = Array.from({ length: 2 }, () => [] as TokenTiming[]);
    const running = early.map((tokens, i) =>
      engine.generate(request(i === 0 ? 20 : 80, LONG_PROMPT, tokens)),
    );
    // Wait until both decode, then send a prompt of ~100 tokens: 7+ chunks at a batch size of 16.
    while (early.some((tokens) => tokens.length < 3)) await new Promise((r) => setTimeout(r, 5));
    const late: TokenTiming[] = [];
    const longPrompt = `${LONG_PROMPT} ${'there was a little house by the sea and '.repeat(10)}`;
    const joined = engine.generate(request(10, longPrompt, late));
    const [first, second, third] = await Promise.all([...running, joined]);
    expect(first!.completionTokens).toBe(20);
    expect(second!.completionTokens).toBe(80);
    expect(third!.completionTokens).toBe(10);
    // While the long prompt was evaluated, the second sequence kept decoding: no step of it was alone.
    const secondSteps = early[1]!.filter((t) => t.index > 0).map((t) => t.batchSize);
    expect(Math.max(...secondSteps)).toBe(3);
    expect(secondSteps.filter((size) => size >= 2).length).toBeGreaterThanOrEqual(20);
    // The first one finished at 20 tokens; the second went on alone or with the late one, never stalled.
    expect(secondSteps.at(-1)).toBe(1);
    expect(decodes.every((size) => size >= 1 && size <= 3)).toBe(true);
  });
});
