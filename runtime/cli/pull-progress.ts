// Download progress as log lines (for logs, not terminals): one every few seconds and one at 100 %.
// `pull` uses it without a terminal; `serve` and `complete` when they pull a model URI first.
import type { PullProgress } from '../pull/pull-model.js';
import { commandLog } from './log.js';

/** Seconds between progress lines. */
const PROGRESS_EVERY_SECONDS = 5;

export function progressLines(uri: string): (progress: PullProgress) => void {
  let last = 0;
  let finished = false;
  return ({ downloadedBytes, totalBytes }) => {
    const now = Date.now();
    const done = totalBytes > 0 && downloadedBytes >= totalBytes;
    if (finished || (now - last < PROGRESS_EVERY_SECONDS * 1000 && !done)) return;
    last = now;
    finished = done;
    const percent = totalBytes > 0 ? Math.floor((downloadedBytes / totalBytes) * 100) : 0;
    commandLog().info('downloading', { uri, downloadedBytes, totalBytes, percent });
  };
}
