// Puts a model where `serve` can load it: hf: and http(s) URIs through node-llama-cpp's downloader
// (parallel ranges, resumable: an interrupted download keeps its partial file), local paths and
// file:// URIs as they are. Verifies the sha256 when one is given, and writes a manifest so `serve`
// finds the pulled file without going back to the network. Failures end in bounded time with what
// went wrong (probe.ts, disk-space.ts, download-watchdog.ts): the downloader alone would retry a
// broken server for minutes without a word.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createModelDownloader } from 'node-llama-cpp';
import { authorizationFor, type PullCredentials } from './credentials.js';
import { checkSpace, formatBytes, freeBytes } from './disk-space.js';
import { DownloadWatchdog, type WatchdogLimits } from './download-watchdog.js';
import { ChecksumMismatchError, PULL_EXIT, PullError } from './errors.js';
import { type ProbeRetry, probeOnce, probeSource } from './probe.js';

/** Written next to the pulled model: which URI it came from. */
export const MANIFEST_FILE = '.kubellama-model.json';

export interface PullProgress {
  readonly downloadedBytes: number;
  readonly totalBytes: number;
}

export interface PullOptions {
  readonly uri: string;
  /** Where downloads go. */
  readonly dir: string;
  /** Expected sha256 (hex); checked after the download, also for local files. */
  readonly sha256?: string;
  /** Draw node-llama-cpp's progress bar (a terminal); else use onProgress. */
  readonly progressBar?: boolean;
  readonly onProgress?: (progress: PullProgress) => void;
  readonly signal?: AbortSignal;
  /** Tokens for the download (credentials.ts decides which request gets which). */
  readonly credentials?: PullCredentials;
  /** How often an http(s) source that fails is asked again before the pull gives up. @default DEFAULT_PROBE_RETRY */
  readonly probeRetry?: ProbeRetry;
  /** When a download that stopped advancing is given up. @default DEFAULT_WATCHDOG_LIMITS */
  readonly watchdog?: WatchdogLimits;
  /** The cache's size limit in bytes (a PVC's size), checked with the filesystem's free space. @default none */
  readonly cacheLimitBytes?: number;
}

export interface PulledModel {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string | undefined;
  /** False when the file was already there (a local path, or pulled before). */
  readonly downloaded: boolean;
}

interface Manifest {
  readonly uri: string;
  readonly path: string;
  readonly bytes: number;
}

export type UriKind = 'local' | 'remote';

export function uriKind(uri: string): UriKind {
  if (/^(hf:|huggingface:|https?:\/\/)/i.test(uri)) return 'remote';
  if (/^file:\/\//i.test(uri) || !/^[a-z][a-z0-9+.-]*:/i.test(uri)) return 'local';
  throw new PullError(
    `unsupported model URI '${uri}': use hf:<user>/<repo>[:quant], https://…, file:///path or a path`,
    PULL_EXIT.usage,
  );
}

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function verify(path: string, expected: string | undefined): Promise<string | undefined> {
  if (!expected) return undefined;
  const want = expected.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(want))
    throw new PullError(`sha256 must be 64 hex digits, got '${expected}'`, PULL_EXIT.usage);
  const actual = await fileSha256(path);
  if (actual !== want) throw new ChecksumMismatchError(path, want, actual);
  return actual;
}

async function readManifest(dir: string, uri: string): Promise<Manifest | undefined> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
    if (manifest.uri !== uri || !existsSync(manifest.path)) return undefined;
    return (await stat(manifest.path)).size === manifest.bytes ? manifest : undefined;
  } catch {
    return undefined;
  }
}

async function pullLocal(options: PullOptions): Promise<PulledModel> {
  const path = /^file:\/\//i.test(options.uri) ? fileURLToPath(options.uri) : resolve(options.uri);
  let bytes: number;
  try {
    bytes = (await stat(path)).size;
  } catch (error) {
    throw new PullError(
      `model file ${path} cannot be read: ${(error as Error).message}`,
      PULL_EXIT.download,
      { cause: error },
    );
  }
  return { path, bytes, sha256: await verify(path, options.sha256), downloaded: false };
}

async function pullRemote(options: PullOptions): Promise<PulledModel> {
  const dir = resolve(options.dir);
  const previous = await readManifest(dir, options.uri);
  if (previous) {
    return {
      path: previous.path,
      bytes: previous.bytes,
      sha256: await verify(previous.path, options.sha256),
      downloaded: false,
    };
  }
  await mkdir(dir, { recursive: true });
  const headers = authorizationFor(options.uri, options.credentials ?? {});
  const httpSource = /^https?:\/\//i.test(options.uri);
  if (httpSource) await probeSource(options.uri, headers, options.probeRetry, options.signal);
  const watchdog = new DownloadWatchdog(options.watchdog);
  const signal = options.signal ? AbortSignal.any([options.signal, watchdog.signal]) : watchdog.signal;
  let path: string;
  try {
    const pending = createModelDownloader({
      modelUri: options.uri,
      dirPath: dir,
      showCliProgress: options.progressBar === true,
      onProgress: ({ downloadedSize, totalSize }) => {
        watchdog.progress(downloadedSize, totalSize);
        options.onProgress?.({ downloadedBytes: downloadedSize, totalBytes: totalSize });
      },
      // Keep the partial file of an interrupted download, so the next attempt resumes it.
      deleteTempFileOnCancel: false,
      skipExisting: true,
      // Headers, not node-llama-cpp's `tokens`: those reach huggingface.co only, never a mirror.
      headers,
      ...(options.credentials?.huggingFaceEndpoint
        ? { endpoints: { huggingFace: options.credentials.huggingFaceEndpoint } }
        : {}),
    });
    // Finding the file is retried by the downloader too: the watchdog bounds that as well, and a
    // downloader that turns up after it gave up is closed.
    const downloader = await Promise.race([pending, watchdog.stopped]).catch((error: unknown) => {
      pending.then((late) => late.cancel({ deleteTempFile: false })).catch(() => undefined);
      throw error;
    });
    if (downloader.totalSize > 0) {
      const onDisk = async (file: string) => (await stat(file).catch(() => undefined))?.blocks ?? 0;
      const file = downloader.entrypointFilePath;
      await checkSpace({
        dir,
        modelBytes: downloader.totalSize,
        partialBytes: Math.max(await onDisk(file), await onDisk(`${file}.ipull`)) * 512,
        ...(options.cacheLimitBytes === undefined ? {} : { limitBytes: options.cacheLimitBytes }),
      });
    }
    path = await downloader.download({ signal });
  } catch (error) {
    if (error instanceof PullError && error.exitCode === PULL_EXIT.noSpace) throw error;
    if (!watchdog.signal.aborted) {
      throw new PullError(`cannot download ${options.uri}: ${(error as Error).message}`, PULL_EXIT.download, {
        cause: error,
      });
    }
    path = '';
  } finally {
    watchdog.dispose();
  }
  if (watchdog.signal.aborted && !options.signal?.aborted) {
    throw await stoppedError(
      options,
      dir,
      watchdog.signal.reason as PullError,
      httpSource ? headers : undefined,
    );
  }
  // An aborted download resolves like a finished one, with only the partial file on disk.
  if (options.signal?.aborted) {
    throw new PullError(
      `download of ${options.uri} was interrupted; the partial file stays in ${dir} and the next pull resumes it`,
      PULL_EXIT.download,
      { cause: options.signal.reason },
    );
  }
  const bytes = (await stat(path)).size;
  let sha256: string | undefined;
  try {
    sha256 = await verify(path, options.sha256);
  } catch (error) {
    // A corrupt or wrong file must not be taken for a finished pull next time.
    await rm(path, { force: true });
    throw error;
  }
  const manifest: Manifest = { uri: options.uri, path, bytes };
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return { path, bytes, sha256, downloaded: true };
}

/** Why the watchdog stopped a download, with what the server and the disk say now. */
async function stoppedError(
  options: PullOptions,
  dir: string,
  reason: PullError,
  headers: Record<string, string> | undefined,
): Promise<PullError> {
  const now: string[] = [];
  if (headers) {
    const outcome = await probeOnce(options.uri, headers, 10_000).catch(() => ({ problem: undefined }));
    if (outcome.problem) now.push(`the server now: ${outcome.problem}`);
  }
  const free = await freeBytes(dir, options.cacheLimitBytes).catch(() => undefined);
  if (free !== undefined) now.push(`${formatBytes(free)} free in the model cache`);
  const partial = (await readdir(dir).catch(() => [])).some((file) => file.endsWith('.ipull'));
  const resume = partial ? `; the partial file stays in ${dir} and the next pull resumes it` : '';
  return new PullError(
    `cannot download ${options.uri}: ${reason.message}${now.length ? ` (${now.join('; ')})` : ''}${resume}`,
    PULL_EXIT.download,
    { cause: reason },
  );
}

export async function pullModel(options: PullOptions): Promise<PulledModel> {
  return uriKind(options.uri) === 'local' ? pullLocal(options) : pullRemote(options);
}

/**
 * What `serve` and `complete` do with --model: a URI becomes a local path (pulled into `dir`,
 * verified, unless it is there already); a local path is checked and returned.
 */
export async function resolveModelPath(
  options: Pick<PullOptions, 'uri' | 'dir' | 'sha256' | 'onProgress' | 'credentials'>,
): Promise<string> {
  return (await pullModel(options)).path;
}
