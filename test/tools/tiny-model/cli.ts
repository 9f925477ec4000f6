// `npm run model:tiny -- OUT.gguf`: writes the deterministic tiny llama model used by tests
// (see tiny-llama.ts) and prints where it went, its size and sha256.
import { resolve } from 'node:path';
import { TINY_MODEL_NAME, writeTinyModel } from './tiny-llama.js';

const USAGE = 'usage: npm run model:tiny -- OUT.gguf';

class UsageError extends Error {}

/** The single argument: where to write the model. */
function parseArgs(args: readonly string[]): string {
  if (args.length === 0) throw new UsageError('missing the output path');
  if (args.length > 1) throw new UsageError(`expected one output path, got ${args.length} arguments`);
  const out = args[0]!;
  if (out.startsWith('-')) throw new UsageError(`unknown option '${out}'`);
  if (!out.endsWith('.gguf')) throw new UsageError(`output path must end in .gguf, got '${out}'`);
  return out;
}

async function main(args: readonly string[]): Promise<number> {
  if (args.length === 1 && (args[0] === '-h' || args[0] === '--help')) {
    console.log(`${USAGE}\nWrites the ${TINY_MODEL_NAME} test model (same bytes every run).`);
    return 0;
  }
  let out: string;
  try {
    out = parseArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`model:tiny: ${error.message}\n${USAGE}`);
    return 2;
  }
  let written: Awaited<ReturnType<typeof writeTinyModel>>;
  try {
    written = await writeTinyModel(resolve(out));
  } catch (error) {
    console.error(`model:tiny: cannot write ${out}: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
  console.log(`wrote ${written.path}`);
  console.log(`  size   ${written.bytes} bytes`);
  console.log(`  sha256 ${written.sha256}`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
