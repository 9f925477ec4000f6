// `kubellama-runtime serve`: the OpenAI-compatible server. SIGTERM/SIGINT drain it and exit 0.
import { type Command, Option } from 'commander';
import { RUNTIME_COMMANDS } from '../../../charts/runtime-contract.js';
import { ConfigError, resolveServeConfig, SERVE_ENV, SERVE_FLAGS, type ServeFlags } from '../../config.js';
import { credentialsFromEnv } from '../../pull/credentials.js';
import { resolveModelPath } from '../../pull/pull-model.js';
import { RuntimeServer } from '../../server/runtime-server.js';
import { installDiagLog } from '../../telemetry/diag-log.js';
import { commandLog } from '../log.js';
import { progressLines } from '../pull-progress.js';

/** Seconds in-flight requests get after SIGTERM (Kubernetes' default grace period is 30). */
const DEFAULT_GRACE_SECONDS = 25;

export function registerServe(program: Command): void {
  const command = program
    .command(RUNTIME_COMMANDS.serve)
    .description('serve a GGUF model over the OpenAI API, traced with OpenTelemetry');
  // Commander names an option after its flag (--alias → alias); map it back to the setting's key.
  const keyOf = new Map<string, keyof typeof SERVE_FLAGS>();
  const flag = (key: keyof typeof SERVE_FLAGS, value: string, help: string) => {
    const option = new Option(`${SERVE_FLAGS[key]} <${value}>`, `${help} (env ${SERVE_ENV[key]})`);
    keyOf.set(option.attributeName(), key);
    command.addOption(option);
  };
  flag('model', 'path|uri', 'GGUF file, or hf:/https:/file: URI pulled into --model-dir first');
  flag('modelAlias', 'name', "name clients send as 'model' (default: file name without .gguf)");
  flag('host', 'host', 'address to listen on (default 0.0.0.0)');
  flag('port', 'port', 'port to listen on (default 8080)');
  flag('contextSize', 'tokens', 'context size per sequence (default: training context, at most 4096)');
  flag('parallel', 'n', 'sequences generating at once (default 1)');
  flag('threads', 'n|auto', "CPU threads (default 'auto': the cgroup CPU quota)");
  flag('gpuLayers', 'n|auto|max', "layers offloaded to the GPU (default 'auto')");
  flag('batchSize', 'tokens', 'tokens per llama_decode batch');
  flag('apiKeyFile', 'file', `file holding the API key (or set ${SERVE_ENV.apiKey})`);
  flag('maxQueue', 'n', 'requests waiting for a sequence before 429 (default 16)');
  flag('requestTimeout', 'seconds', 'stop a request after this long (default 600)');
  flag('traceDetail', 'request|token', "per-token timing events at 'token' (default 'request')");
  flag('modelSha256', 'hex', 'expected sha256 of a pulled model');
  flag('modelDir', 'dir', 'where URIs are pulled to and found again (default /models)');
  command.option(
    '--grace-period <seconds>',
    `time in-flight requests get after SIGTERM (default ${DEFAULT_GRACE_SECONDS})`,
  );
  command.action(async (options: Record<string, string | undefined> & { gracePeriod?: string }) => {
    const flags: ServeFlags = {};
    for (const [attribute, key] of keyOf) flags[key] = options[attribute];
    let config: ReturnType<typeof resolveServeConfig>;
    try {
      config = resolveServeConfig(flags);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      commandLog().error(error.message);
      process.exitCode = 2;
      return;
    }
    const grace = options.gracePeriod === undefined ? DEFAULT_GRACE_SECONDS : Number(options.gracePeriod);
    // Exporter failures (collector down, timeouts) are warnings, never request failures.
    installDiagLog(commandLog());
    const server = await RuntimeServer.start(config, {
      resolveModel: (model) =>
        resolveModelPath({
          uri: model,
          dir: config.modelDir,
          sha256: config.modelSha256,
          onProgress: progressLines(model),
          credentials: credentialsFromEnv(),
        }),
    });
    commandLog().info('listening', {
      url: server.url,
      model: config.model,
      threads: config.threads,
      parallel: config.parallel,
    });
    let stopping = false;
    const stop = (signal: string) => {
      // A pod may get the signal twice (from the runtime and from a wrapper); drain once.
      if (stopping) return;
      stopping = true;
      commandLog().info('draining', { signal, graceSeconds: grace });
      server.close(grace).then(
        () => {
          commandLog().info('stopped');
          process.exit(0);
        },
        (error) => {
          commandLog().error('shutdown failed', { error: String(error) });
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    server.loaded().catch(() => {
      // A model that cannot load will not get better: exit so Kubernetes restarts or reports it.
      server.close(0).finally(() => process.exit(1));
    });
  });
}
