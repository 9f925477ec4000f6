// `kubectl llama run NAME --model SOURCE`: applies a LlamaModel (server-side, field manager
// kubectl-llama) and waits until it serves, printing a line each time its phase, download progress
// or conditions change. `--dry-run` prints the object instead (kubectl's `--dry-run=client -o yaml`).
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { SYSTEM_NAMESPACE } from '../../charts/images.js';
import { GROUP, LlamaModelSpecSchema, SINGULAR } from '../../operator/api/llama-model.js';
import { PluginError } from '../errors.js';
import { duration, oneOf, wholeNumber } from '../flags.js';
import { println } from '../io.js';
import { type ModelObject, modelRef } from '../llama-models.js';
import { modelObject } from '../model-object.js';
import { progressLine } from '../model-view.js';
import type { CommandContext } from './context.js';

const POLL_MS = 1_000;
const spec = LlamaModelSpecSchema.properties;
/** A flag's range is the CRD field's (one schema: operator/api/llama-model.ts). */
const bounded = (flag: string, field: { minimum?: number; maximum?: number }) =>
  wholeNumber(flag, field.minimum ?? 0, field.maximum ?? Number.MAX_SAFE_INTEGER);

interface RunOptions {
  readonly model: string;
  readonly sha256?: string;
  readonly gpu?: number;
  readonly replicas?: number;
  readonly parallel?: number;
  readonly contextSize?: number;
  readonly timeout: number;
  readonly wait: boolean;
  readonly dryRun?: 'none' | 'client' | 'server';
  readonly output: 'yaml' | 'json';
}

function print(ctx: CommandContext, model: ModelObject, format: 'yaml' | 'json'): void {
  const { managedFields: _, ...metadata } = model.metadata as ModelObject['metadata'] & {
    managedFields?: unknown;
  };
  const shown = { ...model, metadata };
  ctx.io.stdout.write(format === 'json' ? `${JSON.stringify(shown, null, 2)}\n` : stringify(shown));
}

/** Polls the model until it is Ready for its current generation; prints each new progress line. */
async function waitReady(
  ctx: CommandContext,
  name: string,
  namespace: string,
  timeoutMs: number,
): Promise<ModelObject> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const model = await ctx.models().get(name, namespace);
    const line = progressLine(model);
    if (line !== last) println(ctx.io.stdout, `${name}: ${line}`);
    last = line;
    const status = model.status ?? {};
    const current = (status.observedGeneration ?? 0) >= (model.metadata.generation ?? 0);
    if (current && status.phase === 'Ready') return model;
    if (current && status.phase === 'Failed') {
      throw new PluginError(
        `${modelRef(name, namespace)} failed: ${line}\n(kubectl llama logs ${name} -c pull shows the download, without -c the server)`,
      );
    }
    if (Date.now() >= deadline) {
      throw new PluginError(
        `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${modelRef(name, namespace)} to be Ready (last: ${line}); it keeps going: kubectl llama ls, kubectl llama logs ${name}`,
      );
    }
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
  }
}

export function runCommand(ctx: CommandContext): Command {
  return new Command('run')
    .description('Create or update a LlamaModel and wait until it serves, showing its download and phase')
    .argument('<name>', 'the LlamaModel (and its Service) name')
    .requiredOption(
      '--model <source>',
      'the GGUF model: hf:owner/repo:quant, https://….gguf, pvc://claim/path or file://path',
    )
    .option('--sha256 <hex>', 'expected SHA-256 of the GGUF file (the download is refused when it differs)')
    .option(
      '--gpu <count>',
      'GPUs per replica; 0 runs on the CPU (default: the CRD default, 1)',
      bounded('--gpu', spec.gpu.properties.count),
    )
    .option('--replicas <n>', 'serving pods (default 1)', bounded('--replicas', spec.replicas))
    .option(
      '--parallel <n>',
      'requests served at once per pod (default 4)',
      bounded('--parallel', spec.runtime.properties.parallel),
    )
    .option(
      '--context-size <tokens>',
      'context size of each parallel sequence (default 4096)',
      bounded('--context-size', spec.runtime.properties.contextSize),
    )
    .addOption(
      new Option('--timeout <duration>', 'how long to wait for Ready, e.g. 90s, 10m')
        .argParser(duration('--timeout'))
        .default(10 * 60_000, '10m'),
    )
    .option('--no-wait', 'apply and return without waiting for Ready')
    .addOption(
      new Option(
        '--dry-run [strategy]',
        'print the LlamaModel instead of applying it: client (default) or server (the API server checks and defaults it)',
      )
        .argParser(oneOf('--dry-run', ['none', 'client', 'server'] as const))
        .preset('client'),
    )
    .option(
      '-o, --output <format>',
      'with --dry-run: yaml or json',
      oneOf('--output', ['yaml', 'json'] as const),
      'yaml',
    )
    .addHelpText(
      'after',
      `\nExamples:\n  kubectl llama run gemma --model hf:unsloth/gemma-3-270m-it-GGUF:Q8_0 --gpu 0\n  kubectl llama run gemma --model hf:unsloth/gemma-3-270m-it-GGUF:Q8_0 --dry-run -o yaml\n\nThe operator and its CRD must be installed (namespace ${SYSTEM_NAMESPACE} by default).`,
    )
    .action(async (name: string, options: RunOptions, command: Command) => {
      const { namespace } = ctx.connection(command);
      const object = modelObject(name, namespace, options);
      if (options.dryRun === 'client') return print(ctx, object, options.output);
      const applied = await ctx.models().apply(object, { dryRun: options.dryRun === 'server' });
      if (options.dryRun === 'server') return print(ctx, applied, options.output);
      println(ctx.io.stdout, `${SINGULAR}.${GROUP}/${name} serverside-applied`);
      if (!options.wait) return;
      const ready = await waitReady(ctx, name, namespace, options.timeout);
      println(ctx.io.stdout, `${modelRef(name, namespace)} is Ready: ${ready.status?.endpoint ?? ''}`);
      println(
        ctx.io.stdout,
        `chat with it: kubectl llama chat ${name}${namespace === 'default' ? '' : ` -n ${namespace}`}`,
      );
    });
}
