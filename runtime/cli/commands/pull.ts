// `kubellama-runtime pull URI --dir D [--sha256 HEX]`: the init container. A progress bar on a
// terminal, one progress line every few seconds in logs; exit codes in pull/errors.ts. A failure's
// message is also the container's termination message, which the LlamaModel's status shows.
import type { Command } from 'commander';
import { MODEL_DIR, RUNTIME_COMMANDS, RUNTIME_ENV } from '../../../charts/runtime-contract.js';
import { credentialsFromEnv } from '../../pull/credentials.js';
import { PULL_EXIT, PullError } from '../../pull/errors.js';
import { pullModel } from '../../pull/pull-model.js';
import { commandLog } from '../log.js';
import { progressLines } from '../pull-progress.js';
import { writeTerminationMessage } from '../termination-message.js';

/** After a failure, the seconds the process may take to end by itself before it is ended. */
const EXIT_GRACE_SECONDS = 5;

function cacheLimitBytes(): number | undefined {
  const value = process.env[RUNTIME_ENV.modelCacheBytes]?.trim();
  if (!value) return undefined;
  const bytes = Number(value);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new PullError(
      `${RUNTIME_ENV.modelCacheBytes} must be a whole number of bytes above 0, got '${value}'`,
      PULL_EXIT.usage,
    );
  }
  return bytes;
}

export function registerPull(program: Command): void {
  program
    .command(RUNTIME_COMMANDS.pull)
    .description('download a model (hf:, https:, file: or a path) and verify it: the init container')
    .argument('[uri]', `model URI (default: env ${RUNTIME_ENV.model})`)
    .option('--dir <dir>', `where to put it (default: env ${RUNTIME_ENV.modelDir}, else ${MODEL_DIR})`)
    .option('--sha256 <hex>', `expected sha256 (default: env ${RUNTIME_ENV.modelSha256})`)
    .action(async (uriArg: string | undefined, options: { dir?: string; sha256?: string }) => {
      const dir = options.dir ?? (process.env[RUNTIME_ENV.modelDir] || MODEL_DIR);
      const uri = uriArg ?? process.env[RUNTIME_ENV.model];
      if (!uri) {
        commandLog().error(`a model URI is required (argument or ${RUNTIME_ENV.model})`);
        process.exitCode = PULL_EXIT.usage;
        return;
      }
      const tty = process.stdout.isTTY === true;
      // A pod deleted mid-download: stop cleanly so the partial file and its progress record stay,
      // and the next pull resumes them.
      const interrupted = new AbortController();
      const interrupt = () => interrupted.abort(new Error('interrupted by a signal'));
      process.once('SIGTERM', interrupt).once('SIGINT', interrupt);
      try {
        const limit = cacheLimitBytes();
        const pulled = await pullModel({
          uri,
          dir,
          ...(limit === undefined ? {} : { cacheLimitBytes: limit }),
          signal: interrupted.signal,
          sha256: options.sha256 ?? process.env[RUNTIME_ENV.modelSha256],
          progressBar: tty,
          onProgress: tty ? undefined : progressLines(uri),
          credentials: credentialsFromEnv(),
        });
        commandLog().info(pulled.downloaded ? 'pulled' : 'already present', { uri, ...pulled });
        process.exitCode = PULL_EXIT.ok;
      } catch (error) {
        const exitCode = error instanceof PullError ? error.exitCode : PULL_EXIT.failed;
        const message = error instanceof Error ? error.message : String(error);
        commandLog().error(message, { uri, exitCode });
        writeTerminationMessage(message);
        process.exitCode = exitCode;
        // The downloader may leave retry timers behind; an init container must exit all the same.
        setTimeout(() => process.exit(exitCode), EXIT_GRACE_SECONDS * 1000).unref();
      } finally {
        process.off('SIGTERM', interrupt).off('SIGINT', interrupt);
      }
    });
}
