// Where the local cluster's binaries come from: the tool cache of `npm run tools` (catalog.ts), or,
// for trying other builds, a folder named by KUBELLAMA_LOCAL_CLUSTER_BIN (a binary found there wins).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { binaryPath } from '../../tools/catalog.js';

export function nodeBinary(name: string): string {
  const override = process.env.KUBELLAMA_LOCAL_CLUSTER_BIN;
  if (override && existsSync(join(override, name))) return join(override, name);
  return binaryPath(name);
}
