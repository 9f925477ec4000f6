// Watches a download's progress and stops it when it no longer advances. node-llama-cpp's
// downloader retries failures by itself for minutes without a word: a server that stops answering
// shows as no new bytes, and one that keeps cutting responses short as the same chunk restarting
// over and over (its byte count falls back) without ever getting further than before.
import { PULL_EXIT, PullError } from './errors.js';

export interface WatchdogLimits {
  /** Stop when the download gets no further than its furthest point for this long. @default 60000 */
  readonly stallMs: number;
  /** Stop after this many restarts in a row that got no further than the furthest point. @default 5 */
  readonly maxRestarts: number;
}

export const DEFAULT_WATCHDOG_LIMITS: WatchdogLimits = { stallMs: 60_000, maxRestarts: 5 };

export class DownloadWatchdog {
  readonly #limits: WatchdogLimits;
  readonly #controller = new AbortController();
  #furthest = 0;
  #last = 0;
  #total = 0;
  #restarts = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Rejects with the PullError that stopped the download (never resolves). */
  readonly stopped: Promise<never>;

  constructor(limits: WatchdogLimits = DEFAULT_WATCHDOG_LIMITS) {
    this.#limits = limits;
    this.stopped = new Promise<never>((_resolve, reject) => {
      this.#controller.signal.addEventListener('abort', () => reject(this.#controller.signal.reason));
    });
    this.stopped.catch(() => undefined);
    this.#arm();
  }

  /** Aborted, with the PullError as its reason, when the download stopped advancing. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  progress(downloadedBytes: number, totalBytes: number): void {
    if (this.signal.aborted) return;
    this.#total = totalBytes || this.#total;
    if (downloadedBytes > this.#furthest) {
      this.#furthest = downloadedBytes;
      this.#restarts = 0;
      this.#arm();
    } else if (downloadedBytes < this.#last && ++this.#restarts >= this.#limits.maxRestarts) {
      this.#stop(
        `truncated: got ${this.#furthest} of ${this.#total} bytes; the server ended the transfer early ${this.#restarts} times in a row`,
      );
    }
    this.#last = downloadedBytes;
  }

  /** Stops watching (the download finished or failed by itself). */
  dispose(): void {
    clearTimeout(this.#timer);
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      const at = this.#total ? `got ${this.#furthest} of ${this.#total} bytes` : 'no answer';
      this.#stop(`stalled: ${at}, nothing new for ${Math.round(this.#limits.stallMs / 1000)} s`);
    }, this.#limits.stallMs);
  }

  #stop(problem: string): void {
    clearTimeout(this.#timer);
    this.#controller.abort(new PullError(problem, PULL_EXIT.download));
  }
}
