// `kubectl llama chat NAME`: a streaming chat with the model through a port-forward to one of its
// ready pods (the API server's pod port-forward, as kubectl port-forward does), each answer followed
// by its trace id and, with --jaeger or when the installed Jaeger is found, the trace's link.
import { Command } from 'commander';
import { SYSTEM_NAMESPACE } from '../../charts/images.js';
import { JAEGER_PORTS, JAEGER_SERVICE } from '../../charts/jaeger-config.js';
import { RUNTIME_PATHS, RUNTIME_PORT } from '../../charts/runtime-contract.js';
import { chatSession } from '../chat-session.js';
import { decimal, wholeNumber } from '../flags.js';
import { println } from '../io.js';
import { findJaeger, traceLink } from '../jaeger.js';
import { readyPod } from '../pods.js';
import { forwardToPod } from '../port-forward.js';
import type { CommandContext } from './context.js';

interface ChatOptions {
  readonly prompt?: string;
  readonly jaeger?: string;
  readonly systemNamespace: string;
  readonly maxTokens: number;
  readonly temperature?: number;
  readonly seed?: number;
}

export function chatCommand(ctx: CommandContext): Command {
  return new Command('chat')
    .description("Chat with a model (streaming) through a port-forward; prints each answer's trace id")
    .argument('<name>', 'the LlamaModel')
    .option(
      '--prompt <text>',
      'ask one question and exit (otherwise: interactive, or one request per stdin line)',
    )
    .option(
      '--jaeger <url>',
      'Jaeger UI address for trace links (default: the installed Jaeger, via kubectl port-forward)',
    )
    .option(
      '--system-namespace <namespace>',
      'where kubellama (and its Jaeger) is installed',
      SYSTEM_NAMESPACE,
    )
    .option('--max-tokens <n>', 'most tokens of one answer', wholeNumber('--max-tokens', 1, 1_000_000), 512)
    .option(
      '--temperature <t>',
      "sampling temperature, 0 to 2; 0 always picks the likeliest token (default: the runtime's)",
      decimal('--temperature', 0, 2),
    )
    .option('--seed <n>', 'sampling seed, for repeatable answers', wholeNumber('--seed', 0, 2 ** 32 - 1))
    .action(async (name: string, options: ChatOptions, command: Command) => {
      const { kc, namespace } = ctx.connection(command);
      const model = await ctx.models().get(name, namespace);
      const pod = await readyPod(kc, model);
      let jaegerBase = options.jaeger;
      if (!jaegerBase && (await findJaeger(kc, options.systemNamespace))) {
        // The installed Jaeger's UI is not exposed: the links work once this forward runs.
        jaegerBase = `http://localhost:${JAEGER_PORTS.query}`;
        println(
          ctx.io.stderr,
          `trace links open with: kubectl -n ${options.systemNamespace} port-forward service/${JAEGER_SERVICE} ${JAEGER_PORTS.query}`,
        );
      }
      let forwardError: Error | undefined;
      const forward = await forwardToPod(kc, namespace, pod.metadata?.name ?? '', RUNTIME_PORT, (error) => {
        forwardError = error;
      });
      try {
        await chatSession({
          baseURL: `${forward.url}${RUNTIME_PATHS.openAiBase}`,
          model: name,
          input: ctx.io.stdin,
          output: ctx.io.stdout,
          maxTokens: options.maxTokens,
          ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
          ...(options.seed === undefined ? {} : { seed: options.seed }),
          ...(options.prompt === undefined ? {} : { prompt: options.prompt }),
          ...(jaegerBase ? { traceLink: (id: string) => traceLink(jaegerBase, id) } : {}),
        });
      } catch (error) {
        // The forward's own failure says more than the client's "connection closed".
        throw forwardError ?? error;
      } finally {
        await forward.close();
      }
    });
}
