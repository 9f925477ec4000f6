// The demo's two failures: a command that failed (exit 1, its stderr shown) and a missing or bad
// prerequisite or argument (exit 2, a one-line hint per problem).
import type { Command } from '../../images/build-images.js';

export class CommandError extends Error {
  readonly command: Command;
  /** Undefined when it could not start or was killed by a signal. */
  readonly exitCode: number | undefined;

  constructor(command: Command, exitCode: number | undefined, detail: string) {
    super(
      `${[command.cmd, ...command.args].join(' ')} failed${exitCode === undefined ? '' : ` (exit ${exitCode})`}: ${detail}`,
    );
    this.name = 'CommandError';
    this.command = command;
    this.exitCode = exitCode;
  }
}

export class UsageError extends Error {
  /** One line per problem, each saying how to fix it. */
  readonly hints: readonly string[];

  constructor(hints: readonly string[]) {
    super(hints.join('\n'));
    this.name = 'UsageError';
    this.hints = hints;
  }
}
