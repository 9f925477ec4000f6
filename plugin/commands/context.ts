// What every command gets: the streams and environment, and the cluster connection built from the
// global flags (--kubeconfig, --context, -n) the first time a command needs it.
import type { Command } from 'commander';
import type { PluginIo } from '../io.js';
import { type Connection, type ConnectionFlags, connect } from '../kube-config.js';
import { LlamaModels } from '../llama-models.js';

export interface CommandContext {
  readonly io: PluginIo;
  /** The connection for the flags of `command` (its own and the program's). */
  connection(command: Command): Connection;
  /** The LlamaModel API of the connection (call connection() first). */
  models(): LlamaModels;
}

export function commandContext(io: PluginIo): CommandContext {
  let current: Connection | undefined;
  let models: LlamaModels | undefined;
  return {
    io,
    connection(command) {
      current ??= connect(command.optsWithGlobals<ConnectionFlags>(), io.env);
      return current;
    },
    models() {
      if (!current) throw new Error('connection() before models()');
      models ??= new LlamaModels(current.kc);
      return models;
    },
  };
}
