// Download progress as log lines (for logs, not terminals): one every few seconds and one at 100 %.
// `pull` uses it without a terminal; `serve` and `complete` when they pull a model URI first.
// The line is a contract: the operator reads the pull init container's newest one into
// status.download (charts/pull-progress-contract.ts declares its message and fields, and parses it).
import { PULL_PROGRESS, pullProgressFields } from '../../charts/pull-progress-contract.js';
import type { PullProgress } from '../pull/pull-model.js';
import { commandLog } from './log.js';

/** Seconds between progress lines: often enough for the operator's status (it reads every few seconds). */
const PROGRESS_EVERY_SECONDS = 2;

export function progressLines(uri: string): (progress: PullProgress) => void {
  let last = 0;
  let finished = false;
  return ({ downloadedBytes, totalBytes }) => {
    const now = Date.now();
    const done = totalBytes > 0 && downloadedBytes >= totalBytes;
    if (finished || (now - last < PROGRESS_EVERY_SECONDS * 1000 && !done)) return;
    last = now;
    finished = done;
    commandLog().info(PULL_PROGRESS.message, { uri, ...pullProgressFields(downloadedBytes, totalBytes) });
  };
}
