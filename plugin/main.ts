#!/usr/bin/env node
// The `kubectl-llama` executable: kubectl runs it for `kubectl llama …` when it is on PATH.
import { runPlugin } from './cli.js';
import { processIo } from './io.js';

process.exitCode = await runPlugin(process.argv.slice(2), processIo());
