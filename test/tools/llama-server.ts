// Where `npm run tool:llama-server` (test/tools/build-llama-server.sh) leaves llama.cpp's own server,
// the optional peer of `npm run bench:runtime`. Never built in CI.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The llama-cpp-python sdist whose vendored llama.cpp is built; build-llama-server.sh pins the same. */
export const LLAMA_SERVER_SOURCE_VERSION = '0.3.36';

/** `$XDG_CACHE_HOME/kubellama/llama-server-<version>/llama-server` (~/.cache by default). */
export function llamaServerCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'kubellama', `llama-server-${LLAMA_SERVER_SOURCE_VERSION}`, 'llama-server');
}

/** The binary's path, or undefined until `npm run tool:llama-server` has built it. */
export function llamaServerPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = llamaServerCachePath(env);
  return existsSync(path) ? path : undefined;
}
