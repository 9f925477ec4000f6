// The rate-limited work queue of client-go/controller-runtime: a key waits in the queue at most
// once (duplicates collapse), is handed to one worker at a time (a key added while it is being
// processed is queued again when that worker finishes), and backs off exponentially per key.

export interface BackoffOptions {
  /** @default 5 ms */
  readonly baseDelayMs?: number;
  /** @default 1000 s */
  readonly maxDelayMs?: number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  /** Keys waiting in `queue` or to be queued again once processing ends. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  /** When each queued key was first added (performance.now()), to report its time in the queue. */
  private readonly addedAt = new Map<string, number>();
  private readonly waited = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private waiters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(options: BackoffOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 1_000_000;
  }

  get length(): number {
    return this.queue.length;
  }

  get inFlight(): number {
    return this.processing.size;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.addedAt.set(key, performance.now());
    const waiter = this.waiters.shift();
    if (waiter) waiter(key);
    else this.queue.push(key);
  }

  /** Adds `key` after `delayMs`; a later call for the same key replaces an earlier, later-firing one. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const existing = this.timers.get(key);
    const due = Date.now() + delayMs;
    if (existing && (existing as NodeJS.Timeout & { due?: number }).due! <= due) return;
    if (existing) clearTimeout(existing);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs) as NodeJS.Timeout & { due?: number };
    timer.due = due;
    timer.unref();
    this.timers.set(key, timer);
  }

  /** Adds `key` after its exponential backoff: base × 2^failures, capped. */
  addRateLimited(key: string): void {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    this.addAfter(key, this.backoffFor(failures));
  }

  backoffFor(failures: number): number {
    return Math.min(this.baseDelayMs * 2 ** failures, this.maxDelayMs);
  }

  /** Failures recorded for `key` since the last forget. */
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Clears the key's backoff (after a success, or an error not worth retrying). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key, waiting for one; undefined once the queue shuts down. Call done(key) after. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) return Promise.resolve(this.take(key));
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiters.push((next) => resolve(next === undefined ? undefined : this.take(next)));
    });
  }

  /** How long `key`, now being processed, waited in the queue (ms). */
  waitedMs(key: string): number {
    return this.waited.get(key) ?? 0;
  }

  done(key: string): void {
    this.processing.delete(key);
    this.waited.delete(key);
    // Added again while it was being processed: back in line now.
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  /** Stops handing out keys; pending timers are dropped. Workers see undefined from get(). */
  shutDown(): void {
    this.shuttingDown = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    this.addedAt.clear();
    for (const waiter of this.waiters) waiter(undefined);
    this.waiters = [];
  }

  private take(key: string): string {
    this.dirty.delete(key);
    this.processing.add(key);
    this.waited.set(key, performance.now() - (this.addedAt.get(key) ?? performance.now()));
    this.addedAt.delete(key);
    return key;
  }
}
