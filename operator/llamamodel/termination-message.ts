// A container's termination message as one line for a condition. The runtime writes a plain one
// when it fails (runtime/cli/termination-message.ts); without it, FallbackToLogsOnError hands over
// the log tail — JSON lines in lib/log.ts's format — and the newest error line says what went wrong.
import { LOG_KEYS } from '../../lib/log.js';

function logLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as unknown;
    return entry &&
      typeof entry === 'object' &&
      typeof (entry as Record<string, unknown>)[LOG_KEYS.msg] === 'string'
      ? (entry as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The message itself when it is plain text; from a log tail, the newest error line's msg. */
export function terminationSummary(message: string | undefined): string | undefined {
  const text = message?.trim();
  if (!text) return undefined;
  const lines = text.split('\n').map((line) => line.trim());
  const entries = lines.map(logLine);
  if (entries.every((entry) => entry === undefined)) return text;
  const errors = entries.filter((entry) => entry?.[LOG_KEYS.level] === 'error');
  const chosen = errors.at(-1) ?? entries.filter((entry) => entry !== undefined).at(-1);
  return String(chosen?.[LOG_KEYS.msg]);
}
