// `kubectl llama trace NAME [TRACE_ID | --last]`: one trace of the model from Jaeger's query API,
// printed as a tree with each span's duration. The model's traces carry the service name the
// operator renders into OTEL_SERVICE_NAME (charts/llama-model-env.ts). Without --jaeger the installed
// Jaeger's query port is reached through a port-forward.
import { Command } from 'commander';
import { SYSTEM_NAMESPACE } from '../../charts/images.js';
import { modelServiceName } from '../../charts/llama-model-env.js';
import { fetchJaegerTrace, formatTraceTree, type JaegerTrace, traceStart } from '../../lib/jaeger-trace.js';
import { PluginError } from '../errors.js';
import { oneOf } from '../flags.js';
import { println } from '../io.js';
import { forwardJaegerQuery, newestRequestTrace } from '../jaeger.js';
import type { CommandContext } from './context.js';

interface TraceOptions {
  readonly last?: boolean;
  readonly jaeger?: string;
  readonly systemNamespace: string;
  readonly output?: 'json';
}

const TRACE_ID = /^[0-9a-f]{32}$/;

export function traceCommand(ctx: CommandContext): Command {
  return new Command('trace')
    .description(
      "Print a trace of a model's requests from Jaeger as a tree with durations (the newest by default)",
    )
    .argument('<name>', 'the LlamaModel')
    .argument('[trace-id]', 'a trace id (32 hex digits), as kubectl llama chat prints it')
    .option(
      '--last',
      'the newest trace of a request to the model: chat, completion or embeddings (the default without a trace id)',
    )
    .option('--jaeger <url>', 'Jaeger query address (default: the installed Jaeger, through a port-forward)')
    .option(
      '--system-namespace <namespace>',
      'where kubellama (and its Jaeger) is installed',
      SYSTEM_NAMESPACE,
    )
    .option(
      '-o, --output <format>',
      "json: Jaeger's trace as it answers it",
      oneOf('--output', ['json'] as const),
    )
    .action(async (name: string, traceId: string | undefined, options: TraceOptions, command: Command) => {
      if (traceId !== undefined && !TRACE_ID.test(traceId)) {
        throw new PluginError(`trace-id: "${traceId}" is not a trace id (32 lower-case hexadecimal digits)`);
      }
      if (traceId !== undefined && options.last) throw new PluginError('give a trace id or --last, not both');
      const { kc, namespace } = ctx.connection(command);
      const model = await ctx.models().get(name, namespace);
      const service = modelServiceName(name, model.spec);
      const forward = options.jaeger ? undefined : await forwardJaegerQuery(kc, options.systemNamespace);
      const jaeger = (options.jaeger ?? forward?.url ?? '').replace(/\/+$/, '');
      let trace: JaegerTrace | undefined;
      try {
        trace = traceId
          ? await fetchJaegerTrace(jaeger, traceId)
          : await newestRequestTrace(jaeger, service).catch((error: Error) => {
              throw new PluginError(
                `cannot search Jaeger at ${jaeger}: ${(error.cause as Error | undefined)?.message ?? error.message}`,
              );
            });
      } finally {
        await forward?.close();
      }
      if (!trace) {
        throw new PluginError(
          traceId
            ? `Jaeger has no trace ${traceId} (spans arrive a few seconds after a request; sampled out by the collector's tail sampling?)`
            : `Jaeger has no trace of a request to service "${service}" in the last 48 h: send the model one (kubectl llama chat ${name})`,
        );
      }
      if (options.output === 'json') {
        println(ctx.io.stdout, JSON.stringify(trace, null, 2));
        return;
      }
      const started = new Date(traceStart(trace) / 1000).toISOString();
      println(ctx.io.stdout, `trace ${trace.traceID}  ${started}  ${trace.spans.length} spans`);
      for (const line of formatTraceTree(trace)) println(ctx.io.stdout, line);
    });
}
