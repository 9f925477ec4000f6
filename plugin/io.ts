// Where a command reads and writes: the process's streams and environment in `kubectl-llama`, memory
// streams in the tests (which run the CLI in-process).
import type { Readable, Writable } from 'node:stream';

export interface PluginIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable & { readonly isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  /** The clock (ages in `ls`). */
  readonly now: () => number;
  /** Width of the terminal, for the help text. @default 80 */
  readonly columns?: number;
}

export function processIo(): PluginIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    now: Date.now,
  };
}

export const println = (stream: Writable, text = '') => stream.write(`${text}\n`);
