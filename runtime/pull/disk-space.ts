// Whether a model fits where it is downloaded, asked before the download starts: a model bigger
// than the cache fails at once with both sizes, instead of filling the volume (the kubelet evicts a
// pod whose emptyDir outgrows its limit; a full PVC makes every write fail) and retrying forever.
import { readdir, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { PULL_EXIT, PullError } from './errors.js';

export interface SpaceCheck {
  /** The folder the model goes into (it exists). */
  readonly dir: string;
  /** The model's size. */
  readonly modelBytes: number;
  /** What a partial download of it already holds on disk (a resumed pull needs only the rest). */
  readonly partialBytes?: number;
  /** The cache's own size limit (a PVC's requested size), when it has one the filesystem may not show. */
  readonly limitBytes?: number;
}

/** Bytes the files directly in `dir` take on disk (sparse files count what they hold). */
async function usedBytes(dir: string): Promise<number> {
  let used = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile()) used += (await stat(join(dir, entry.name))).blocks * 512;
  }
  return used;
}

export function formatBytes(bytes: number): string {
  const mib = bytes / 1024 / 1024;
  return mib >= 1024 ? `${(mib / 1024).toFixed(1)} GiB` : `${mib.toFixed(1)} MiB`;
}

/** The space left for the model: the filesystem's free space, less what the cache's limit leaves. */
export async function freeBytes(dir: string, limitBytes?: number): Promise<number> {
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  if (limitBytes === undefined) return free;
  return Math.max(0, Math.min(free, limitBytes - (await usedBytes(dir))));
}

/** Throws a PullError (exit code 5) saying both sizes when the model cannot fit. */
export async function checkSpace(check: SpaceCheck): Promise<void> {
  const partial = check.partialBytes ?? 0;
  const available = (await freeBytes(check.dir, check.limitBytes)) + partial;
  if (check.modelBytes <= available) return;
  const limit = check.limitBytes === undefined ? '' : ` (its size limit is ${formatBytes(check.limitBytes)})`;
  throw new PullError(
    `not enough space for the model: it is ${formatBytes(check.modelBytes)} (${check.modelBytes} bytes), ` +
      `the model cache ${check.dir} has ${formatBytes(available)} (${available} bytes) free${limit}`,
    PULL_EXIT.noSpace,
  );
}
