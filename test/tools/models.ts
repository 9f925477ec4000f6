// Where downloaded test models live. `npm run model:gemma` (test/tools/fetch-gemma.sh) fills the
// same folder, so benchmarks find the model without being told a path.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The file name fetch-gemma.sh gives Gemma 3 270M (base model, Q4_K_M), as its PyPI package names it. */
export const GEMMA_MODEL_FILE = 'gemma-3-270m-q4_k_m.gguf';

/** `KUBELLAMA_MODELS`, else `$XDG_CACHE_HOME/kubellama/models` (~/.cache by default). */
export function modelsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KUBELLAMA_MODELS) return resolve(env.KUBELLAMA_MODELS);
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kubellama', 'models');
}

/** The Gemma model's path, or undefined until `npm run model:gemma` has fetched it. */
export function gemmaModelPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = join(modelsCacheDir(env), GEMMA_MODEL_FILE);
  return existsSync(path) ? path : undefined;
}
