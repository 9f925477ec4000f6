// The contract between `kubellama-runtime pull` (which prints its download progress as log lines when
// stdout is not a terminal: runtime/cli/pull-progress.ts) and the operator (which reads the pull init
// container's last log lines into status.download: operator/llamamodel/download-status.ts).
// A progress line is one line of the product's log format (lib/log.ts), e.g.
//   {"time":"…","level":"info","msg":"downloading","uri":"hf:…","downloadedBytes":1048576,"totalBytes":4194304,"percent":25}
// The printer and the parser below are the two ends; a round-trip test keeps them together.
import { LOG_KEYS } from '../lib/log.js';

/** The message of a progress line and the names of its three numbers. */
export const PULL_PROGRESS = {
  message: 'downloading',
  bytes: 'downloadedBytes',
  totalBytes: 'totalBytes',
  percent: 'percent',
} as const;

export interface PullProgressReport {
  readonly bytes: number;
  readonly totalBytes: number;
  /** 0 to 100, rounded down (100 only when every byte is there); 0 while the size is unknown. */
  readonly percent: number;
}

/** The fields of a progress line (logged with PULL_PROGRESS.message). */
export function pullProgressFields(bytes: number, totalBytes: number): Record<string, number> {
  const percent = totalBytes > 0 ? Math.min(100, Math.floor((bytes / totalBytes) * 100)) : 0;
  return {
    [PULL_PROGRESS.bytes]: bytes,
    [PULL_PROGRESS.totalBytes]: totalBytes,
    [PULL_PROGRESS.percent]: percent,
  };
}

const count = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** A progress line's numbers; undefined for any other line (other messages, text, a torn line). */
export function parsePullProgress(line: string): PullProgressReport | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (entry === null || typeof entry !== 'object' || entry[LOG_KEYS.msg] !== PULL_PROGRESS.message) {
    return undefined;
  }
  const bytes = entry[PULL_PROGRESS.bytes];
  const totalBytes = entry[PULL_PROGRESS.totalBytes];
  const percent = entry[PULL_PROGRESS.percent];
  if (!count(bytes) || !count(totalBytes) || !count(percent) || percent > 100) return undefined;
  return { bytes, totalBytes, percent };
}

/** The newest progress line of a log tail (several lines, oldest first). */
export function lastPullProgress(logTail: string): PullProgressReport | undefined {
  const lines = logTail.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const report = parsePullProgress(lines[i] ?? '');
    if (report) return report;
  }
  return undefined;
}
