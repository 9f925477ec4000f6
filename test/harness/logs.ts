import { existsSync, readFileSync } from 'node:fs';
import { afterEach } from 'vitest';

function tail(file: string, lines: number): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

/**
 * When a test in the calling suite fails, prints the tail of each server log that `logFiles()`
 * names, so a CI failure shows what the real server said.
 */
export function printLogsOnFailure(logFiles: () => readonly string[], lines = 60): void {
  afterEach((context) => {
    if (context.task.result?.state !== 'fail') return;
    for (const file of logFiles()) {
      console.error(`----- last ${lines} lines of ${file} -----\n${tail(file, lines)}`);
    }
  });
}
