// The reconcile contract and the loop that drives it: a request is only namespace/name, never an
// event; the loop owns the queue, bounded concurrency, one key in flight, per-key backoff,
// exception capture, a timeout, and one outcome per reconcile for logs, metrics and traces.
import { TerminalError } from './errors.js';
import { WorkQueue } from './work-queue.js';

export interface Request {
  readonly namespace: string;
  readonly name: string;
}

export interface Result {
  /** Reconcile again after this long even if nothing changes (e.g. waiting on a rollout). */
  readonly requeueAfterMs?: number;
}

export interface Reconciler {
  reconcile(request: Request, signal: AbortSignal): Promise<Result | undefined>;
}

export type Outcome = 'success' | 'requeue' | 'error' | 'terminal_error';

/** Called once per reconcile, after it ended. */
export type ReconcileObserver = (event: {
  request: Request;
  outcome: Outcome;
  durationMs: number;
  /** Time the key waited in the queue before this reconcile started. */
  queuedMs: number;
  error?: unknown;
  retries: number;
}) => void;

export interface ControllerOptions {
  /** Reconciles running at once (never two for one key). @default 4 */
  readonly concurrency?: number;
  /** After this long a reconcile's signal aborts; it is retried once it returns. @default 60 s */
  readonly timeoutMs?: number;
  readonly backoff?: { baseDelayMs?: number; maxDelayMs?: number };
  readonly observe?: ReconcileObserver;
}

export function requestKey(request: Request): string {
  return request.namespace ? `${request.namespace}/${request.name}` : request.name;
}

export function parseKey(key: string): Request {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: '', name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export class Controller {
  readonly queue: WorkQueue;
  private readonly reconciler: Reconciler;
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly observe: ReconcileObserver | undefined;
  private workers: Promise<void>[] = [];
  private readonly inFlight = new Set<AbortController>();

  constructor(reconciler: Reconciler, options: ControllerOptions = {}) {
    this.reconciler = reconciler;
    this.queue = new WorkQueue(options.backoff);
    this.concurrency = options.concurrency ?? 4;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.observe = options.observe;
  }

  enqueue(request: Request): void {
    this.queue.add(requestKey(request));
  }

  start(): void {
    if (this.workers.length > 0) return;
    for (let i = 0; i < this.concurrency; i++) this.workers.push(this.work());
  }

  /**
   * Graceful stop: no new keys; reconciles in flight finish (or are aborted after `graceMs`).
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.queue.shutDown();
    const timer = setTimeout(() => {
      for (const controller of this.inFlight) controller.abort(new Error('operator stopping'));
    }, graceMs);
    await Promise.all(this.workers);
    clearTimeout(timer);
    this.workers = [];
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.process(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async process(key: string): Promise<void> {
    const request = parseKey(key);
    const queuedMs = this.queue.waitedMs(key);
    const abort = new AbortController();
    this.inFlight.add(abort);
    const timeout = setTimeout(
      () => abort.abort(new Error(`reconcile timed out after ${this.timeoutMs} ms`)),
      this.timeoutMs,
    );
    const started = performance.now();
    let outcome: Outcome;
    let error: unknown;
    try {
      // Awaited even past the timeout: a second reconcile of this key must not start while one runs.
      const result = await this.reconciler.reconcile(request, abort.signal);
      abort.signal.throwIfAborted();
      this.queue.forget(key);
      if (result?.requeueAfterMs !== undefined) {
        outcome = 'requeue';
        this.queue.addAfter(key, result.requeueAfterMs);
      } else {
        outcome = 'success';
      }
    } catch (caught) {
      error = caught;
      if (caught instanceof TerminalError) {
        outcome = 'terminal_error';
        this.queue.forget(key);
      } else {
        outcome = 'error';
        this.queue.addRateLimited(key);
      }
    } finally {
      clearTimeout(timeout);
      this.inFlight.delete(abort);
    }
    this.observe?.({
      request,
      outcome,
      durationMs: performance.now() - started,
      queuedMs,
      error,
      retries: this.queue.retries(key),
    });
  }
}
