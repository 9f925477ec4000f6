// `pull` through node-llama-cpp's downloader from a real HTTP server on loopback, local files and
// file:// URIs; sha256 checks; exit codes an init container can rely on.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PULL_EXIT, PullError } from '../../runtime/pull/errors.js';
import { fileSha256, MANIFEST_FILE, pullModel } from '../../runtime/pull/pull-model.js';
import { waitFor } from '../harness/index.js';
import { type TinyModelDir, tinyModelDir } from './runtime-fixture.js';

const REPO = join(import.meta.dirname, '..', '..');
const CLI = ['--import', 'tsx', join(REPO, 'runtime', 'cli', 'cli.ts')];

interface ModelServer {
  readonly url: string;
  readonly requests: string[];
  /** Cut the first ranged GET after this many bytes. */
  dropFirstAfter: number | undefined;
  /** Hold a ranged GET starting at this byte open without sending anything (a stalled link). */
  stallRangeFrom: number | undefined;
  close(): Promise<void>;
}

/** A plain HTTP file server with HEAD and Range support, serving one file at /model.gguf. */
async function serveModel(data: Buffer): Promise<ModelServer> {
  const requests: string[] = [];
  const state: { dropFirstAfter: number | undefined; stallRangeFrom: number | undefined } = {
    dropFirstAfter: undefined,
    stallRangeFrom: undefined,
  };
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers.range ?? ''}`.trim());
    if (req.url !== '/model.gguf') {
      res.writeHead(404).end('not found');
      return;
    }
    const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range?.[2] ? Number(range[2]) : data.length - 1;
    res.writeHead(range ? 206 : 200, {
      'content-length': end - start + 1,
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
      ...(range ? { 'content-range': `bytes ${start}-${end}/${data.length}` } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (range && state.dropFirstAfter !== undefined) {
      const cut = state.dropFirstAfter;
      state.dropFirstAfter = undefined;
      res.write(data.subarray(start, start + cut), () => res.destroy());
      return;
    }
    if (range && start === state.stallRangeFrom) {
      state.stallRangeFrom = undefined;
      res.flushHeaders();
      return;
    }
    res.end(data.subarray(start, end + 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  }) as ModelServer;
}

describe('pull', () => {
  let model: TinyModelDir;
  let bytes: Buffer;
  let sha256: string;
  let http: ModelServer;

  beforeAll(async () => {
    model = await tinyModelDir();
    bytes = await readFile(model.modelPath);
    sha256 = await fileSha256(model.modelPath);
    http = await serveModel(bytes);
  });

  afterAll(async () => {
    await http?.close();
    await model?.remove();
  });

  it('downloads an http URL, checks its sha256, and reports progress', async () => {
    const dir = join(model.dir, 'http');
    const progress: number[] = [];
    const pulled = await pullModel({
      uri: `${http.url}/model.gguf`,
      dir,
      sha256,
      onProgress: (p) => progress.push(p.downloadedBytes),
    });
    expect(pulled).toMatchObject({ bytes: bytes.length, sha256, downloaded: true });
    expect(pulled.path.startsWith(dir)).toBe(true);
    expect((await readFile(pulled.path)).equals(bytes)).toBe(true);
    expect(progress.at(-1)).toBe(bytes.length);
    expect(existsSync(join(dir, MANIFEST_FILE))).toBe(true);

    // Pulled before: found through the manifest, no request goes out.
    const before = http.requests.length;
    const again = await pullModel({ uri: `${http.url}/model.gguf`, dir, sha256 });
    expect(again).toMatchObject({ path: pulled.path, downloaded: false });
    expect(http.requests.length).toBe(before);
  });

  it('survives a connection dropped mid-download', async () => {
    http.dropFirstAfter = 100_000;
    const pulled = await pullModel({
      uri: `${http.url}/model.gguf`,
      dir: join(model.dir, 'dropped'),
      sha256,
    });
    expect((await readFile(pulled.path)).equals(bytes)).toBe(true);
    expect(http.dropFirstAfter).toBeUndefined();
  });

  it('resumes an interrupted download from the chunks it already has', async () => {
    // The downloader (ipull) fetches and saves 5 MiB chunks, so resuming needs a file of several.
    const big = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
    const bigServer = await serveModel(big);
    try {
      const dir = join(model.dir, 'resumed');
      const uri = `${bigServer.url}/model.gguf`;
      // The last chunk's request gets no bytes: the download hangs there, the other chunks land.
      bigServer.stallRangeFrom = 10 * 1024 * 1024;
      const interrupted = new AbortController();
      let received = 0;
      const first = pullModel({
        uri,
        dir,
        signal: interrupted.signal,
        onProgress: ({ downloadedBytes }) => {
          received = downloadedBytes;
        },
      });
      await waitFor(async () => received >= 10 * 1024 * 1024, { description: 'the first two chunks' });
      // Give the downloader a moment to write them and its progress record before it is cut off.
      await new Promise((resolve) => setTimeout(resolve, 500));
      interrupted.abort();
      await expect(first).rejects.toThrow(/interrupted.*resumes/);
      expect(readdirSync(dir)).toEqual(['model.gguf.ipull']);
      const before = bigServer.requests.length;
      const pulled = await pullModel({ uri, dir, sha256: createHash('sha256').update(big).digest('hex') });
      expect((await readFile(pulled.path)).equals(big)).toBe(true);
      // The second pull fetches only the chunk the first did not save (an unranged GET is the
      // downloader's size probe, cut after its headers).
      const ranges = bigServer.requests
        .slice(before)
        .map((r) => /^GET .* bytes=(\d+)-(\d+)$/.exec(r))
        .filter((m) => m !== null)
        .map((m) => [Number(m[1]), Number(m[2])] as const);
      expect(ranges.length).toBeGreaterThan(0);
      for (const [from] of ranges) expect(from).toBeGreaterThanOrEqual(10 * 1024 * 1024);
      expect(ranges.reduce((sum, [from, to]) => sum + to - from + 1, 0)).toBeLessThanOrEqual(6 * 1024 * 1024);
    } finally {
      await bigServer.close();
    }
  });

  it('refuses and removes a download whose sha256 does not match (exit code 4)', async () => {
    const dir = join(model.dir, 'mismatch');
    const error = await pullModel({ uri: `${http.url}/model.gguf`, dir, sha256: 'a'.repeat(64) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PullError);
    expect((error as PullError).exitCode).toBe(PULL_EXIT.checksum);
    expect((error as PullError).message).toContain(sha256);
    expect(existsSync(join(dir, 'model.gguf'))).toBe(false);
    expect(existsSync(join(dir, MANIFEST_FILE))).toBe(false);
  });

  it('fails a missing remote file with the download exit code (3)', async () => {
    const error = await pullModel({ uri: `${http.url}/missing.gguf`, dir: join(model.dir, 'missing') }).catch(
      (e: unknown) => e,
    );
    expect((error as PullError).exitCode).toBe(PULL_EXIT.download);
    expect((error as PullError).message).toContain('404');
  });

  it('takes local paths and file:// URIs as they are, verifying them', async () => {
    const byPath = await pullModel({ uri: model.modelPath, dir: join(model.dir, 'unused'), sha256 });
    expect(byPath).toMatchObject({ path: model.modelPath, downloaded: false, sha256 });
    const byUrl = await pullModel({
      uri: pathToFileURL(model.modelPath).href,
      dir: join(model.dir, 'unused'),
    });
    expect(byUrl.path).toBe(model.modelPath);
    const missing = await pullModel({ uri: join(model.dir, 'nope.gguf'), dir: model.dir }).catch(
      (e: unknown) => e,
    );
    expect((missing as PullError).exitCode).toBe(PULL_EXIT.download);
  });

  it('refuses an unknown scheme or a malformed sha256 as usage errors (2)', async () => {
    for (const options of [
      { uri: 's3://bucket/model.gguf', dir: model.dir },
      { uri: model.modelPath, dir: model.dir, sha256: 'xyz' },
    ]) {
      const error = await pullModel(options).catch((e: unknown) => e);
      expect((error as PullError).exitCode).toBe(PULL_EXIT.usage);
    }
  });

  it('keeps the partial download when the command is stopped with SIGTERM (a deleted pod)', async () => {
    const big = Buffer.alloc(16 * 1024 * 1024, 7);
    const bigServer = await serveModel(big);
    try {
      const dir = join(model.dir, 'cli-sigterm');
      bigServer.stallRangeFrom = 10 * 1024 * 1024;
      const child = execFile(
        process.execPath,
        [...CLI, 'pull', `${bigServer.url}/model.gguf`, '--dir', dir],
        {
          cwd: REPO,
          timeout: 60_000,
        },
      );
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await waitFor(async () => bigServer.requests.filter((r) => r.includes('bytes=')).length >= 3, {
        description: 'the chunk requests',
        timeoutMs: 30_000,
      });
      // Stop it once the partial file exists (on a busy machine that can take longer than the requests).
      await waitFor(async () => existsSync(join(dir, 'model.gguf.ipull')), {
        description: 'the partial download file',
        timeoutMs: 30_000,
      });
      child.kill('SIGTERM');
      expect(await exited).toBe(PULL_EXIT.download);
      expect(readdirSync(dir)).toEqual(['model.gguf.ipull']);
    } finally {
      await bigServer.close();
    }
  });

  it('exits with those codes from the command line, logging plain progress lines', async () => {
    // Asynchronous: the HTTP server lives in this process, so a blocking spawn would starve it.
    const run = (...args: string[]) =>
      new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          [...CLI, 'pull', ...args],
          { cwd: REPO, timeout: 60_000 },
          (_error, _stdout, stderr) => resolve({ status: child.exitCode, stderr }),
        );
      });
    const ok = await run(`${http.url}/model.gguf`, '--dir', join(model.dir, 'cli'), '--sha256', sha256);
    expect(ok.status).toBe(PULL_EXIT.ok);
    expect(ok.stderr).toContain('"msg":"downloading"');
    expect(ok.stderr).toContain('"msg":"pulled"');
    expect(
      (await run(`${http.url}/model.gguf`, '--dir', join(model.dir, 'cli2'), '--sha256', 'b'.repeat(64)))
        .status,
    ).toBe(PULL_EXIT.checksum);
    expect((await run(`${http.url}/gone.gguf`, '--dir', join(model.dir, 'cli3'))).status).toBe(
      PULL_EXIT.download,
    );
    expect((await run('ftp://x/y.gguf')).status).toBe(PULL_EXIT.usage);
    // The level applies to every command: at warn, a good pull writes no info lines at all.
    const quiet = await run(`${http.url}/model.gguf`, '--dir', join(model.dir, 'cli'), '--log-level', 'warn');
    expect(quiet.status).toBe(PULL_EXIT.ok);
    expect(quiet.stderr).not.toContain('"level":"info"');
    const bad = await run(`${http.url}/model.gguf`, '--log-level', 'loud');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(
      '--log-level: "loud" is not a log level. Use one of debug, info, warn, error',
    );
    // Seven CLI starts, each a fresh node + tsx: slow on a busy machine.
  }, 180_000);
});
