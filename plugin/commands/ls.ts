// `kubectl llama ls`: the models of a namespace (or all) as `kubectl get` shows them, with the live
// performance the operator writes into status (tokens/s, time to first token).
import { Command } from 'commander';
import { stringify } from 'yaml';
import { oneOf } from '../flags.js';
import { println } from '../io.js';
import { LIST_COLUMNS, listRow, WIDE_COLUMNS } from '../model-view.js';
import { formatTable } from '../table.js';
import type { CommandContext } from './context.js';

interface LsOptions {
  readonly allNamespaces?: boolean;
  readonly output?: 'wide' | 'json' | 'yaml';
}

export function lsCommand(ctx: CommandContext): Command {
  return new Command('ls')
    .alias('list')
    .description('List the LlamaModels with their readiness, endpoint and live performance')
    .option('-A, --all-namespaces', 'list the models of every namespace')
    .option(
      '-o, --output <format>',
      'wide, json or yaml',
      oneOf('--output', ['wide', 'json', 'yaml'] as const),
    )
    .action(async (options: LsOptions, command: Command) => {
      const { namespace } = ctx.connection(command);
      const models = await ctx.models().list(options.allNamespaces ? undefined : namespace);
      const byName = [...models].sort(
        (a, b) =>
          a.metadata.namespace.localeCompare(b.metadata.namespace) ||
          a.metadata.name.localeCompare(b.metadata.name),
      );
      if (options.output === 'json' || options.output === 'yaml') {
        // kubectl's shape for several objects: a v1 List.
        const list = { apiVersion: 'v1', kind: 'List', items: byName, metadata: { resourceVersion: '' } };
        ctx.io.stdout.write(
          options.output === 'json' ? `${JSON.stringify(list, null, 2)}\n` : stringify(list),
        );
        return;
      }
      if (byName.length === 0) {
        println(
          ctx.io.stderr,
          options.allNamespaces ? 'No resources found' : `No resources found in ${namespace} namespace.`,
        );
        return;
      }
      const wide = options.output === 'wide';
      const now = ctx.io.now();
      const headers = [
        ...(options.allNamespaces ? ['NAMESPACE'] : []),
        ...LIST_COLUMNS,
        ...(wide ? WIDE_COLUMNS : []),
      ];
      const rows = byName.map((m) => [
        ...(options.allNamespaces ? [m.metadata.namespace] : []),
        ...listRow(m, now, wide),
      ]);
      println(ctx.io.stdout, formatTable(headers, rows));
    });
}
