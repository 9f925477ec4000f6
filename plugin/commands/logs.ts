// `kubectl llama logs NAME`: the logs of a model's pods (the API server's pods/log), each line
// prefixed with its pod when there are several, like `kubectl logs -l … --prefix`.
import { Writable } from 'node:stream';
import { CoreV1Api, type KubeConfig, Log, type V1Pod } from '@kubernetes/client-node';
import { Command } from 'commander';
import { WORKLOAD_CONTAINERS } from '../../charts/workload-contract.js';
import { describeApiError, PluginError, request } from '../errors.js';
import { oneOf, wholeNumber } from '../flags.js';
import type { PluginIo } from '../io.js';
import { modelRef } from '../llama-models.js';
import { modelPods } from '../pods.js';
import type { CommandContext } from './context.js';

const CONTAINERS = [WORKLOAD_CONTAINERS.runtime, WORKLOAD_CONTAINERS.pull] as const;

interface LogsOptions {
  readonly follow?: boolean;
  readonly container: (typeof CONTAINERS)[number];
  readonly tail?: number;
}

/** A stream that writes whole lines to `out`, each with `prefix`. */
function prefixed(out: Writable, prefix: string): Writable {
  let partial = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) out.write(`${prefix}${line}\n`);
      done();
    },
    final(done) {
      if (partial) out.write(`${prefix}${partial}\n`);
      done();
    },
  });
}

async function streamLog(kc: KubeConfig, io: PluginIo, pod: V1Pod, options: LogsOptions, prefix: string) {
  const { name = '', namespace = '' } = pod.metadata ?? {};
  const what = `the ${options.container} log of pod ${namespace}/${name}`;
  const core = kc.makeApiClient(CoreV1Api);
  const tail = options.tail === undefined ? {} : { tailLines: options.tail };
  const sink = prefixed(io.stdout, prefix);
  const finished = new Promise<void>((resolve) => sink.on('finish', resolve));
  if (!options.follow) {
    const text = await request(what, () =>
      core.readNamespacedPodLog({ name, namespace, container: options.container, ...tail }),
    );
    sink.end(text);
    return finished;
  }
  try {
    await new Log(kc).log(namespace, name, options.container, sink, { follow: true, ...tail });
  } catch (error) {
    // client-node's streaming log drops the API server's reason (e.g. "container pull is waiting
    // to start"); a plain read of the same log answers it.
    await request(what, () =>
      core.readNamespacedPodLog({ name, namespace, container: options.container, tailLines: 1 }),
    );
    throw new PluginError(describeApiError(error, what));
  }
  await finished;
}

export function logsCommand(ctx: CommandContext): Command {
  return new Command('logs')
    .description("Print the logs of a model's pods (the server, or the download with -c pull)")
    .argument('<name>', 'the LlamaModel')
    .option('-f, --follow', 'keep streaming new lines')
    .option(
      '-c, --container <name>',
      `${CONTAINERS.join(' or ')}`,
      oneOf('--container', CONTAINERS),
      WORKLOAD_CONTAINERS.runtime,
    )
    .option('--tail <lines>', 'only the last lines of each pod', wholeNumber('--tail', 0, 1_000_000))
    .action(async (name: string, options: LogsOptions, command: Command) => {
      const { kc, namespace } = ctx.connection(command);
      const model = await ctx.models().get(name, namespace);
      const pods = (await modelPods(kc, model)).filter((p) => !p.metadata?.deletionTimestamp);
      if (pods.length === 0)
        throw new PluginError(
          `${modelRef(name, namespace)} has no pods yet (kubectl llama ls shows its phase)`,
        );
      await Promise.all(
        pods.map((pod) =>
          streamLog(
            kc,
            ctx.io,
            pod,
            options,
            pods.length > 1 ? `[pod/${pod.metadata?.name}/${options.container}] ` : '',
          ),
        ),
      );
    });
}
