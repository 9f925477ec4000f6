// Lines up the generations that share one context into steps, as llama-server's slot loop does:
// every decoding sequence asks for its next token at the same moment, so node-llama-cpp queues all of
// them before it dispatches and they go into one llama_decode. Without it each sequence asks as soon
// as its own token is sampled; node-llama-cpp's dispatch loop then runs whatever is queued at that
// instant, and at 4 streams one sequence missed nearly every step (runtime/README.md, "Batching").
//
// A step is released when every decoding generation has asked for its next token and every result
// of the last llama_decode has come back (a prompt finished in it becomes a decoder of this step,
// not of the one after). A new prompt does not wait: it is queued at once and goes into the next
// llama_decode node-llama-cpp runs, beside the decoding tokens when they are queued by then, in
// chunks of what the batch leaves (batch-log.ts). Waiting for the step instead cost it one more step
// of time to first token and saved the decoders nothing (the prompt's tokens are computed either
// way). A finished or aborted generation leaves, and the step goes on without it.
//
// The order matters as much as the moment: node-llama-cpp builds the batch in the order the
// sequences queued, and llama.cpp, with one KV stream per sequence (what node-llama-cpp sets up),
// puts into one ubatch only a run of consecutive, increasing sequence ids
// (llama_batch_allocr::split_equal with sequential=true). Decoders released in any other order are
// split into several ubatches, each computing the whole model (262,144-row output layer included)
// again. So a step releases its generations sorted by sequence id, as llama-server's slot loop adds them.

/**
 * A step held back only by results still to come is released anyway after this long: a result
 * counted but never handed back (a bug) must cost alignment, never a stall. A real decode that takes
 * longer only loses the alignment of one step.
 */
export const PENDING_RESULTS_TIMEOUT_MS = 10_000;

export class StepBarrier {
  /** Generations past their first token, each of which a step waits for. */
  #decoders = 0;
  /** Decoders that have asked for their next token in the coming step. */
  #arrived = 0;
  /** Results of dispatched llama_decode calls not yet handed back to their generation. */
  #pending = 0;
  #waiters: Array<{ readonly rank: number; readonly resolve: () => void }> = [];
  #valve: NodeJS.Timeout | undefined;

  /** A generation's place in the steps (`rank`: its sequence id); leave() it when the generation ends. */
  join(rank: number): StepSlot {
    return new StepSlot(this, rank);
  }

  /** Decoders a step waits for (for tests and stats). */
  get decoders(): number {
    return this.#decoders;
  }

  /** A llama_decode was dispatched that will hand `results` generations their next token. */
  dispatched(results: number): void {
    this.#pending += results;
  }

  /** @internal */
  arrive(rank: number): Promise<void> {
    this.#arrived++;
    const ready = new Promise<void>((resolve) => this.#waiters.push({ rank, resolve }));
    this.#releaseIfComplete();
    return ready;
  }

  /** @internal */
  received(becameDecoder: boolean): void {
    if (becameDecoder) this.#decoders++;
    // Never below 0: a result of a decode that failed before dispatch was never counted.
    this.#pending = Math.max(0, this.#pending - 1);
    this.#releaseIfComplete();
  }

  /** @internal */
  removeDecoder(): void {
    this.#decoders--;
    this.#releaseIfComplete();
  }

  #releaseIfComplete(): void {
    if (this.#arrived < this.#decoders || this.#waiters.length === 0) return;
    if (this.#pending > 0) {
      this.#valve ??= setTimeout(() => {
        this.#valve = undefined;
        this.#pending = 0;
        this.#releaseIfComplete();
      }, PENDING_RESULTS_TIMEOUT_MS).unref();
      return;
    }
    clearTimeout(this.#valve);
    this.#valve = undefined;
    // Resolved in one go, by sequence id: each released generation takes the same path to
    // node-llama-cpp's queue, so they queue in this order, all before its next dispatch (which
    // runs no earlier than the next turn of the event loop). In a microtask, so that the last to
    // arrive is already awaiting and its turn is its rank, not last.
    const waiters = this.#waiters.sort((a, b) => a.rank - b.rank);
    this.#waiters = [];
    this.#arrived = 0;
    queueMicrotask(() => {
      for (const waiter of waiters) waiter.resolve();
    });
  }
}

export class StepSlot {
  readonly #barrier: StepBarrier;
  readonly #rank: number;
  #decoding = false;
  #left = false;

  /** @internal */
  constructor(barrier: StepBarrier, rank: number) {
    this.#barrier = barrier;
    this.#rank = rank;
  }

  /** Resolves when this generation may ask for its next token: at once for its prompt, else with the next step. */
  ready(): Promise<void> {
    if (this.#left || !this.#decoding) return Promise.resolve();
    return this.#barrier.arrive(this.#rank);
  }

  /**
   * The evaluation asked for after ready() came back (a token, the end, or an error). After the
   * first, each step waits for this generation too.
   */
  received(): void {
    if (this.#left) return;
    const first = !this.#decoding;
    this.#decoding = true;
    this.#barrier.received(first);
  }

  /** Safe to call twice. */
  leave(): void {
    if (this.#left) return;
    this.#left = true;
    if (this.#decoding) this.#barrier.removeDecoder();
  }
}
