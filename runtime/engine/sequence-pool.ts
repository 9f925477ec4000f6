// A fixed set of context sequences handed out first come, first served. Sequences are kept, not
// disposed, so the next request can reuse the KV cache of a shared prompt prefix.
import { AbortedError } from './errors/aborted-error.js';
import { DisposedError } from './errors/disposed-error.js';
import { QueueFullError } from './errors/queue-full-error.js';

interface Waiter<T> {
  resolve(item: T): void;
  reject(error: Error): void;
}

export class SequencePool<T> {
  readonly #free: T[];
  readonly #waiters: Waiter<T>[] = [];
  readonly #maxQueue: number;
  readonly #size: number;
  #disposed = false;

  constructor(items: readonly T[], maxQueue: number) {
    if (items.length === 0) throw new Error('a sequence pool needs at least one sequence');
    if (!Number.isInteger(maxQueue) || maxQueue < 0)
      throw new Error(`maxQueue must be an integer ≥ 0, got ${maxQueue}`);
    this.#free = [...items];
    this.#size = items.length;
    this.#maxQueue = maxQueue;
  }

  /** Items handed out now. */
  get inUse(): number {
    return this.#size - this.#free.length;
  }

  /** Requests waiting for an item. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Resolves with a free item; waits in FIFO order; throws QueueFullError when the queue is full.
   * `pick` chooses among the free items (given least recently used first); by default the most
   * recently used one. A waiter takes whichever item is released next.
   */
  acquire(signal?: AbortSignal, pick?: (free: readonly T[]) => number): Promise<T> {
    if (this.#disposed) return Promise.reject(new DisposedError());
    if (signal?.aborted) return Promise.reject(new AbortedError());
    if (this.#free.length > 0) {
      const chosen = pick ? pick(this.#free) : this.#free.length - 1;
      const index =
        Number.isInteger(chosen) && chosen >= 0 && chosen < this.#free.length
          ? chosen
          : this.#free.length - 1;
      return Promise.resolve(this.#free.splice(index, 1)[0]!);
    }
    if (this.#waiters.length >= this.#maxQueue) return Promise.reject(new QueueFullError(this.#maxQueue));
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(new AbortedError());
      };
      const waiter: Waiter<T> = {
        resolve: (item) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(item);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Gives an item back; the oldest waiter gets it. */
  release(item: T): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(item);
    else this.#free.push(item);
  }

  /** Refuses every waiter and every later acquire. Safe to call twice. */
  dispose(): void {
    this.#disposed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new DisposedError());
  }
}
