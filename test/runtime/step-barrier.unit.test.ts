// The step barrier and the batch order on their own (no model): who waits for whom, and how one
// llama_decode's tokens are shared between decoding sequences and prompts.
import type { BatchItem } from 'node-llama-cpp';
import { describe, expect, it, vi } from 'vitest';
import { BatchLog, decodeFirst } from '../../runtime/engine/batch-log.js';
import { PENDING_RESULTS_TIMEOUT_MS, StepBarrier } from '../../runtime/engine/step-barrier.js';

/** Resolves after pending promise callbacks have run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function tracked(promise: Promise<void>) {
  const state = { done: false };
  void promise.then(() => {
    state.done = true;
  });
  return state;
}

describe('StepBarrier', () => {
  it('lets a prompt go at once when nothing decodes', async () => {
    const barrier = new StepBarrier();
    const ready = tracked(barrier.join(0).ready());
    await settle();
    expect(ready.done).toBe(true);
  });

  it('releases the decoders together, when the last of them asks', async () => {
    const barrier = new StepBarrier();
    const [a, b] = [barrier.join(0), barrier.join(1)];
    a.received();
    b.received();
    const first = tracked(a.ready());
    await settle();
    expect(first.done).toBe(false);
    const second = tracked(b.ready());
    await settle();
    expect([first.done, second.done]).toEqual([true, true]);
  });

  it('lets a new prompt go at once while others decode', async () => {
    const barrier = new StepBarrier();
    const decoder = barrier.join(0);
    decoder.received();
    const step = tracked(decoder.ready());
    const prompt = tracked(barrier.join(1).ready());
    await settle();
    expect([prompt.done, step.done]).toEqual([true, true]);
  });

  it('releases a step in sequence-id order, whatever the order of arrival', async () => {
    const barrier = new StepBarrier();
    const slots = [2, 0, 3, 1].map((rank) => barrier.join(rank));
    for (const slot of slots) slot.received();
    const order: number[] = [];
    await Promise.all(slots.map((slot, i) => slot.ready().then(() => order.push([2, 0, 3, 1][i]!))));
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('waits for every result of the last decode, so a prompt finished in it joins this step', async () => {
    const barrier = new StepBarrier();
    const [decoder, prompt] = [barrier.join(1), barrier.join(0)];
    decoder.received();
    barrier.dispatched(2); // the decoder's token and the prompt's last chunk, in one llama_decode
    decoder.received();
    const order: number[] = [];
    await prompt.ready(); // its prompt went at once
    const step = decoder.ready().then(() => order.push(1));
    await settle();
    expect(order).toEqual([]);
    prompt.received(); // its first token: from now on a decoder
    const joined = prompt.ready().then(() => order.push(0));
    await Promise.all([step, joined]);
    expect(order).toEqual([0, 1]);
  });

  it('never stalls on a result that does not come back: the step goes after a timeout', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const barrier = new StepBarrier();
      const decoder = barrier.join(0);
      decoder.received();
      barrier.dispatched(1);
      const step = tracked(decoder.ready());
      await settle();
      expect(step.done).toBe(false);
      vi.advanceTimersByTime(PENDING_RESULTS_TIMEOUT_MS);
      await settle();
      expect(step.done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('goes on without a generation that leaves, and counts a slot once', async () => {
    const barrier = new StepBarrier();
    const [a, b] = [barrier.join(0), barrier.join(1)];
    a.received();
    b.received();
    b.received();
    expect(barrier.decoders).toBe(2);
    const waiting = tracked(a.ready());
    b.leave();
    b.leave();
    await settle();
    expect(waiting.done).toBe(true);
    expect(barrier.decoders).toBe(1);
    a.leave();
    expect(barrier.decoders).toBe(0);
  });
});

const item = (tokens: number): BatchItem =>
  ({ tokens: Array(tokens).fill(1), logits: [], evaluationPriority: 5 }) as unknown as BatchItem;

describe('decodeFirst (llama-server order)', () => {
  it('gives one token to every decoding sequence first, then prompt chunks, oldest first, in queue order', () => {
    const [prompt1, decode1, prompt2, decode2] = [item(10), item(1), item(10), item(1)];
    const batch = decodeFirst([prompt1, decode1, prompt2, decode2], 14);
    expect(batch.map((b) => [b.item, b.processAmount])).toEqual([
      [prompt1, 10],
      [decode1, 1],
      [prompt2, 2],
      [decode2, 1],
    ]);
  });

  it('never exceeds the batch size', () => {
    const batch = decodeFirst([item(1), item(1), item(1)], 2);
    expect(batch.reduce((n, b) => n + b.processAmount, 0)).toBe(2);
  });
});

describe('BatchLog', () => {
  it('counts the sequences of each decode and finds the one after a mark', () => {
    const sizes: number[] = [];
    const log = new BatchLog((n) => sizes.push(n));
    const mark = log.count;
    expect(log.sequencesAfter(mark)).toBe(0);
    log.strategy({ items: [item(1), item(1), item(5)], size: 512 });
    log.strategy({ items: [item(1)], size: 512 });
    expect(sizes).toEqual([3, 1]);
    expect(log.sequencesAfter(mark)).toBe(3);
    expect(log.sequencesAfter(mark + 1)).toBe(1);
    expect(log.sequencesAfter(log.count)).toBe(0);
  });
});
