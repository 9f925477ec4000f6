#!/usr/bin/env node
// kubellama-runtime: registers the commands; each lives in its own file under commands/.
import { Command } from 'commander';
import { KUBELLAMA_VERSION } from '../../charts/images.js';
import { registerComplete } from './commands/complete.js';
import { registerPull } from './commands/pull.js';
import { registerServe } from './commands/serve.js';
import { registerLogLevel } from './log.js';

const program = new Command('kubellama-runtime')
  .description('llama.cpp inference server with OpenTelemetry tracing, model puller and one-shot CLI')
  .version(KUBELLAMA_VERSION);
registerLogLevel(program);
registerServe(program);
registerPull(program);
registerComplete(program);
await program.parseAsync(process.argv);
