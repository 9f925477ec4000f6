// `kubectl-llama`: registers the commands and the global flags kubectl's own commands take, runs
// one command line and returns the exit code (0, or 1 with `error: …` on stderr, as kubectl does).
import { Command, CommanderError } from 'commander';
import { chatCommand } from './commands/chat.js';
import { commandContext } from './commands/context.js';
import { logsCommand } from './commands/logs.js';
import { lsCommand } from './commands/ls.js';
import { runCommand } from './commands/run.js';
import { traceCommand } from './commands/trace.js';
import type { PluginIo } from './io.js';

export function buildProgram(io: PluginIo): Command {
  const ctx = commandContext(io);
  const program = new Command('kubectl llama')
    .description('Run, list, chat with and trace kubellama LlamaModels')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current context)')
    .option('-n, --namespace <namespace>', "namespace (default: the context's, else default)")
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      getOutHelpWidth: () => io.columns ?? 80,
      getErrHelpWidth: () => io.columns ?? 80,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();
  for (const make of [runCommand, lsCommand, chatCommand, traceCommand, logsCommand]) {
    const command = make(ctx);
    // Subcommands inherit neither output nor exit handling from the program by themselves.
    command
      .configureOutput(program.configureOutput())
      .configureHelp(program.configureHelp())
      .exitOverride()
      .showHelpAfterError('(add --help for usage)');
    program.addCommand(command);
  }
  return program;
}

export async function runPlugin(argv: readonly string[], io: PluginIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    // commander has already printed its own errors (unknown flag, bad value) and the help.
    if (error instanceof CommanderError) return error.exitCode;
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`error: ${message}\n`);
    return 'exitCode' in (error as object) && typeof (error as { exitCode: unknown }).exitCode === 'number'
      ? (error as { exitCode: number }).exitCode
      : 1;
  }
}
