// What went into each llama_decode, seen through node-llama-cpp's public batching hook
// (`batching.itemPrioritizationStrategy`, called once per llama_decode with every queued
// evaluation): the strategy decides the batch, in llama-server's order, and counts its sequences.
import type { BatchItem, CustomBatchingPrioritizationStrategy, PrioritizedBatchItem } from 'node-llama-cpp';

/** Decodes remembered for attributing a token to the decode that produced it. */
const REMEMBERED = 256;

/**
 * llama-server's shares: one token for every generating sequence first, then prompt tokens, oldest
 * prompt first, up to the batch size. A long prompt is so cut into chunks that share each
 * llama_decode with the streams already decoding, instead of holding them back until it is done.
 * The items stay in queue order, which the step barrier makes sequence-id order: llama.cpp puts
 * only a run of consecutive sequence ids into one ubatch (see step-barrier.ts).
 */
export function decodeFirst(items: readonly BatchItem[], size: number): PrioritizedBatchItem[] {
  let left = size;
  const amounts = new Map<BatchItem, number>();
  for (const item of items) {
    if (left === 0) break;
    if (item.tokens.length !== 1) continue;
    amounts.set(item, 1);
    left--;
  }
  for (const item of items) {
    if (left === 0) break;
    if (item.tokens.length === 1) continue;
    const amount = Math.min(item.tokens.length, left);
    amounts.set(item, amount);
    left -= amount;
  }
  return items
    .filter((item) => amounts.has(item))
    .map((item) => ({ item, processAmount: amounts.get(item)! }));
}

/** Called for every llama_decode: sequences in it, and how many of them get their next token from it. */
export type DecodeListener = (sequences: number, results: number) => void;

export class BatchLog {
  readonly #sizes = new Uint16Array(REMEMBERED);
  readonly #onDecode: DecodeListener | undefined;
  /** llama_decode calls so far. */
  #count = 0;

  constructor(onDecode?: DecodeListener) {
    this.#onDecode = onDecode;
  }

  /** The strategy to hand to the context: decodeFirst, logging every batch. */
  readonly strategy: CustomBatchingPrioritizationStrategy = ({ items, size }) => {
    const batch = decodeFirst(items, size);
    this.#sizes[this.#count % REMEMBERED] = batch.length;
    this.#count++;
    // An evaluation all of whose tokens are in this batch ends here: its generation gets a result.
    const results = batch.filter((b) => b.processAmount === b.item.tokens.length).length;
    this.#onDecode?.(batch.length, results);
    return batch;
  };

  /** Decodes so far: take it before asking for a token, for sequencesAfter(). */
  get count(): number {
    return this.#count;
  }

  /**
   * Sequences in the first llama_decode after `mark` (a count taken before a one-token evaluation
   * was queued): every queued evaluation goes into the next decode, so that is the one that ran
   * it. 0 when no decode ran since, or when it is too old to be remembered.
   */
  sequencesAfter(mark: number): number {
    if (mark >= this.#count || this.#count - mark > REMEMBERED) return 0;
    return this.#sizes[mark % REMEMBERED]!;
  }
}
