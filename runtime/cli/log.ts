// The log of a kubellama-runtime command: the product's one format (lib/log.ts), at the level
// from --log-level or LOG_LEVEL, set once the command line is parsed.
import type { Command } from 'commander';
import { createLogger, LOG_LEVEL_ENV, type Logger, parseLogLevel } from '../../lib/log.js';

let current: Logger = createLogger();

/** The process's logger; `info` until the command line has been parsed. */
export function commandLog(): Logger {
  return current;
}

/** `--log-level` on every command, read before any command runs (a bad value exits with code 2). */
export function registerLogLevel(program: Command, env: NodeJS.ProcessEnv = process.env): void {
  program.option('--log-level <level>', `debug, info, warn or error (env ${LOG_LEVEL_ENV}, default info)`);
  program.hook('preAction', () => {
    const flag = program.opts<{ logLevel?: string }>().logLevel;
    const value = flag ?? env[LOG_LEVEL_ENV];
    try {
      current = createLogger({
        level: value ? parseLogLevel(value, flag !== undefined ? '--log-level' : LOG_LEVEL_ENV) : 'info',
      });
    } catch (error) {
      program.error((error as Error).message, { exitCode: 2 });
    }
  });
}
