// `kubellama-runtime complete --model M "prompt"`: one generation from the command line, traced
// with the same spans as the server (the llama-cli counterpart). Text goes to stdout as it is
// generated; timings go to stderr. A TRACEPARENT variable makes the trace a child of the caller's.
import { defaultTextMapGetter, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Command } from 'commander';
import { RUNTIME_ENV } from '../../../charts/runtime-contract.js';
import { ConfigError, type ModelConfig, resolveModelConfig } from '../../config.js';
import { Engine } from '../../engine/engine.js';
import type { GenerationInput, SamplingOptions } from '../../engine/types.js';
import { credentialsFromEnv } from '../../pull/credentials.js';
import { resolveModelPath } from '../../pull/pull-model.js';
import { installDiagLog } from '../../telemetry/diag-log.js';
import { ModelLoadSpan } from '../../telemetry/model-load-span.js';
import { RequestTracer } from '../../telemetry/request-tracer.js';
import { createTelemetry } from '../../telemetry/sdk.js';
import { GEN_AI_OPERATION_CHAT, GEN_AI_OPERATION_TEXT_COMPLETION } from '../../telemetry/semconv.js';
import { commandLog } from '../log.js';
import { progressLines } from '../pull-progress.js';

interface CompleteOptions {
  model?: string;
  raw?: boolean;
  system?: string;
  maxTokens?: string;
  temperature?: string;
  topP?: string;
  topK?: string;
  seed?: string;
  stop?: string[];
  threads?: string;
  contextSize?: string;
  traceDetail?: string;
  modelDir?: string;
}

function number(name: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new ConfigError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got '${value}'`);
  }
  return n;
}

const perSecond = (tokens: number, seconds: number) => (seconds > 0 ? (tokens / seconds).toFixed(2) : '∞');

export function registerComplete(program: Command): void {
  program
    .command('complete')
    .description('generate once from a prompt, traced like the server (the llama-cli counterpart)')
    .argument('<prompt>', 'the prompt (a user message; with --raw, plain text to continue)')
    .option('-m, --model <path|uri>', `GGUF file or URI (env ${RUNTIME_ENV.model})`)
    .option('--raw', 'continue the text as is instead of applying the chat template')
    .option('--system <text>', 'a system message (chat mode)')
    .option('-n, --max-tokens <n>', 'tokens to generate at most', '256')
    .option('--temperature <t>', 'sampling temperature (0 = greedy)', '0.8')
    .option('--top-p <p>', 'nucleus sampling')
    .option('--top-k <k>', 'top-k sampling')
    .option('--seed <n>', 'sampling seed')
    .option('--stop <text...>', 'stop sequences')
    .option('--threads <n>', 'CPU threads (default: the cgroup CPU quota)')
    .option('--context-size <tokens>', 'context size')
    .option('--trace-detail <request|token>', 'per-token timing events at token')
    .option('--model-dir <dir>', `where URIs are pulled to (env ${RUNTIME_ENV.modelDir})`)
    .action(async (prompt: string, options: CompleteOptions) => {
      let config: ModelConfig;
      let sampling: SamplingOptions;
      try {
        config = resolveModelConfig({
          model: options.model,
          threads: options.threads,
          contextSize: options.contextSize,
          traceDetail: options.traceDetail,
          modelDir: options.modelDir,
        });
        sampling = {
          maxTokens: number('max-tokens', options.maxTokens, true),
          temperature: number('temperature', options.temperature, false),
          topP: number('top-p', options.topP, false),
          topK: number('top-k', options.topK, true),
          seed: number('seed', options.seed, true),
          stop: options.stop,
        };
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        commandLog().error(error.message);
        process.exitCode = 2;
        return;
      }
      installDiagLog(commandLog());
      const telemetry = createTelemetry(process.env);
      // TRACEPARENT, the convention for handing a trace to a command line tool.
      const parent = telemetry.propagator.extract(
        ROOT_CONTEXT,
        { traceparent: process.env.TRACEPARENT, tracestate: process.env.TRACESTATE },
        defaultTextMapGetter,
      );
      const load = new ModelLoadSpan(telemetry.tracer, config.modelAlias, config.model);
      let engine: Engine | undefined;
      try {
        const modelPath = await resolveModelPath({
          uri: config.model,
          dir: config.modelDir,
          sha256: config.modelSha256,
          onProgress: progressLines(config.model),
          credentials: credentialsFromEnv(),
        });
        engine = await Engine.create({
          modelPath,
          threads: config.threads,
          contextSize: config.contextSize,
          gpuLayers: config.gpuLayers,
          gpu: config.gpuLayers === 0 ? false : 'auto',
        });
        load.loaded(engine.info);
        const input: GenerationInput = options.raw
          ? { kind: 'text', prompt }
          : {
              kind: 'chat',
              messages: [
                ...(options.system ? [{ role: 'system' as const, content: options.system }] : []),
                { role: 'user', content: prompt },
              ],
            };
        const tracer = new RequestTracer({
          tracer: telemetry.tracer,
          metrics: undefined,
          parent,
          operation: options.raw ? GEN_AI_OPERATION_TEXT_COMPLETION : GEN_AI_OPERATION_CHAT,
          model: config.modelAlias,
          sampling,
          detail: config.traceDetail,
          eventCountLimit: telemetry.eventCountLimit,
          captureContent: config.captureContent,
          inputContent: {},
        });
        const result = await engine.generate({
          input,
          sampling,
          observer: tracer,
          onText: (text) => process.stdout.write(text),
        });
        tracer.succeeded(result, `cmpl-${Date.now()}`, result.text);
        process.stdout.write('\n');
        const t = result.timings;
        process.stderr.write(
          `prompt eval: ${result.promptTokens} tokens (${result.cachedTokens} cached) in ${(t.prefill * 1000).toFixed(1)} ms, ` +
            `${perSecond(result.promptTokens - result.cachedTokens, t.prefill)} tokens/s\n` +
            `generation:  ${result.completionTokens} tokens in ${(t.decode * 1000).toFixed(1)} ms, ` +
            `${perSecond(Math.max(0, result.completionTokens - 1), t.decode)} tokens/s (finish: ${result.finishReason})\n` +
            `first token: ${(t.timeToFirstToken * 1000).toFixed(1)} ms; model load ${(engine.info.loadSeconds * 1000).toFixed(0)} ms\n`,
        );
      } catch (error) {
        if (!engine) load.failed(error);
        commandLog().error(error instanceof Error ? error.message : String(error));
        process.exitCode = 1;
      } finally {
        await engine?.dispose();
        await telemetry.shutdown();
      }
    });
}
