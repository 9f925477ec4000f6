// A model server that fails, against the real pull (node-llama-cpp's downloader) on loopback: a 500,
// a body cut short every time, a server that stops sending, other bytes than the sha256 names, an
// untrusted certificate, a model bigger than the cache. Each ends in bounded time with a message
// that says what happened (what the LlamaModel's Degraded condition shows), and the next pull after
// the server is fixed succeeds — resuming what the failed one saved.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PULL_EXIT, PullError } from '../../runtime/pull/errors.js';
import { MANIFEST_FILE, type PullOptions, pullModel } from '../../runtime/pull/pull-model.js';
import { makeCertificates } from '../e2e/support/model-server.js';

const REPO = join(import.meta.dirname, '..', '..');
const CLI = ['--import', 'tsx', join(REPO, 'runtime', 'cli', 'cli.ts')];

type Mode = 'ok' | '500' | 'truncate' | 'stall' | 'other-bytes';

/** The bounds, short for a test (the defaults: 5 tries over ~15 s, 60 s without progress). */
const FAST: Pick<PullOptions, 'probeRetry' | 'watchdog'> = {
  probeRetry: { attempts: 3, firstDelayMs: 50, maxDelayMs: 200, timeoutMs: 5_000 },
  watchdog: { stallMs: 3_000, maxRestarts: 5 },
};

const MODEL = randomBytes(300_000);
const SHA256 = createHash('sha256').update(MODEL).digest('hex');
const CUT_AT = 120_000;

function handler(state: { mode: Mode; requests: string[] }) {
  return (req: IncomingMessage, res: ServerResponse) => {
    state.requests.push(`${req.method} ${req.url} ${req.headers.range ?? ''}`.trim());
    if (req.url !== '/model.gguf') {
      res.writeHead(404).end('not found');
      return;
    }
    if (state.mode === '500') {
      res.writeHead(500).end('the mirror is broken');
      return;
    }
    const data = state.mode === 'other-bytes' ? Buffer.alloc(MODEL.length, 7) : MODEL;
    const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range?.[2] ? Number(range[2]) : data.length - 1;
    res.writeHead(range ? 206 : 200, {
      'content-length': end - start + 1,
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${start}-${end}/${data.length}` } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (range && state.mode === 'truncate') {
      // Every response ends at the same byte, whatever it promised: the connection just closes.
      if (start < CUT_AT) res.write(data.subarray(start, CUT_AT), () => res.destroy());
      else res.destroy();
      return;
    }
    if (range && state.mode === 'stall') {
      res.write(data.subarray(start, Math.min(end + 1, start + 50_000))); // then nothing, forever
      return;
    }
    res.end(data.subarray(start, end + 1));
  };
}

describe('pull from a failing model server', () => {
  const work = mkdtempSync(join(tmpdir(), 'kubellama-pull-faults-'));
  const state: { mode: Mode; requests: string[] } = { mode: 'ok', requests: [] };
  const server = createHttpServer(handler(state));
  let url: string;
  let dirs = 0;
  const freshDir = () => join(work, `d${++dirs}`);
  const failure = (options: PullOptions) =>
    pullModel({ ...FAST, ...options }).then(
      () => expect.unreachable('the pull succeeded'),
      (error: unknown) => error as PullError,
    );

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/model.gguf`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(work, { recursive: true, force: true });
  });

  it('a 500: asks again with backoff, then fails saying so (exit code 3); fixed, the next pull succeeds', async () => {
    state.mode = '500';
    state.requests.length = 0;
    const dir = freshDir();
    const error = await failure({ uri: url, dir, sha256: SHA256 });
    expect(error).toBeInstanceOf(PullError);
    expect(error.exitCode).toBe(PULL_EXIT.download);
    expect(error.message).toBe(
      `cannot download ${url}: it answered HTTP 500 Internal Server Error (3 tries)`,
    );
    // Bounded: exactly the probe's tries, not the downloader's 150.
    expect(state.requests).toEqual(['GET /model.gguf', 'GET /model.gguf', 'GET /model.gguf']);
    state.mode = 'ok';
    const pulled = await pullModel({ ...FAST, uri: url, dir, sha256: SHA256 });
    expect(pulled).toMatchObject({ bytes: MODEL.length, sha256: SHA256, downloaded: true });
  });

  it('a 404 is not asked again: one request, the status in the message', async () => {
    state.requests.length = 0;
    const error = await failure({ uri: url.replace('model.gguf', 'gone.gguf'), dir: freshDir() });
    expect(error.exitCode).toBe(PULL_EXIT.download);
    expect(error.message).toMatch(/it answered HTTP 404 Not Found$/);
    expect(state.requests).toEqual(['GET /gone.gguf']);
  });

  it('a body cut short every time: "truncated: got N of M bytes"; fixed, the next pull succeeds', async () => {
    state.mode = 'truncate';
    const dir = freshDir();
    // Room for the downloader's own backoff between restarts (0.2 s growing 1.5× each time).
    const error = await failure({
      uri: url,
      dir,
      sha256: SHA256,
      watchdog: { stallMs: 30_000, maxRestarts: 5 },
    });
    expect(error.exitCode).toBe(PULL_EXIT.download);
    expect(error.message).toContain(
      `cannot download ${url}: truncated: got ${CUT_AT} of ${MODEL.length} bytes; the server ended the transfer early 5 times in a row`,
    );
    // The downloader saves whole chunks (5 MiB) only: of this one, nothing was kept to resume.
    expect(readdirSync(dir)).toEqual([]);
    expect(error.message).not.toContain('resumes');
    state.mode = 'ok';
    const pulled = await pullModel({ ...FAST, uri: url, dir, sha256: SHA256 });
    expect((await readFile(pulled.path)).equals(MODEL)).toBe(true);
  });

  it('a server that stops sending: "stalled" after stallMs; fixed, the next pull succeeds', async () => {
    state.mode = 'stall';
    const dir = freshDir();
    const error = await failure({ uri: url, dir });
    expect(error.exitCode).toBe(PULL_EXIT.download);
    expect(error.message).toMatch(
      new RegExp(`^cannot download ${url}: stalled: got \\d+ of ${MODEL.length} bytes, nothing new for 3 s`),
    );
    state.mode = 'ok';
    const pulled = await pullModel({ ...FAST, uri: url, dir, sha256: SHA256 });
    expect((await readFile(pulled.path)).equals(MODEL)).toBe(true);
  });

  it('other bytes than the sha256 names: "sha256 mismatch: expected …, got …" (exit code 4), nothing kept', async () => {
    state.mode = 'other-bytes';
    const dir = freshDir();
    const error = await failure({ uri: url, dir, sha256: SHA256 });
    const actual = createHash('sha256').update(Buffer.alloc(MODEL.length, 7)).digest('hex');
    expect(error.exitCode).toBe(PULL_EXIT.checksum);
    expect(error.message).toBe(
      `sha256 mismatch for ${join(dir, 'model.gguf')}: expected ${SHA256}, got ${actual}`,
    );
    expect(readdirSync(dir)).toEqual([]);
    state.mode = 'ok';
    const pulled = await pullModel({ ...FAST, uri: url, dir, sha256: SHA256 });
    expect(pulled.sha256).toBe(SHA256);
    expect(existsSync(join(dir, MANIFEST_FILE))).toBe(true);
  });

  it('a model bigger than the cache limit fails before a byte is saved (exit code 5), naming both sizes', async () => {
    state.mode = 'ok';
    const dir = freshDir();
    const error = await failure({ uri: url, dir, cacheLimitBytes: 100_000 });
    expect(error.exitCode).toBe(PULL_EXIT.noSpace);
    expect(error.message).toMatch(
      new RegExp(
        `^not enough space for the model: it is 0\\.3 MiB \\(${MODEL.length} bytes\\), the model cache ${dir} has 0\\.1 MiB \\(\\d+ bytes\\) free \\(its size limit is 0\\.1 MiB\\)$`,
      ),
    );
    expect(readdirSync(dir)).toEqual([]);
    const pulled = await pullModel({ ...FAST, uri: url, dir, cacheLimitBytes: 1024 * 1024 });
    expect(pulled.bytes).toBe(MODEL.length);
  });

  it('an https server whose CA is not trusted fails at once, saying how to trust it; with the CA it downloads', async () => {
    const certs = makeCertificates(mkdtempSync(join(work, 'tls-')), '127.0.0.1');
    const tlsState: { mode: Mode; requests: string[] } = { mode: 'ok', requests: [] };
    const tls = createHttpsServer(
      { cert: await readFile(certs.cert), key: await readFile(certs.key) },
      handler(tlsState),
    );
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const tlsUrl = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/model.gguf`;
    try {
      const error = await failure({ uri: tlsUrl, dir: freshDir() });
      expect(error.exitCode).toBe(PULL_EXIT.download);
      expect(error.message).toMatch(
        /its TLS certificate is not trusted: .+ \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\); give the CA that signed it/,
      );
      expect(error.message).not.toContain('tries');
      // The process's trust comes from NODE_EXTRA_CA_CERTS at start-up: what the operator sets from
      // spec.model.caBundle.
      const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          [...CLI, 'pull', tlsUrl, '--dir', freshDir(), '--sha256', SHA256],
          { cwd: REPO, timeout: 60_000, env: { ...process.env, NODE_EXTRA_CA_CERTS: certs.ca } },
          (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
        );
      });
      expect(run.code, run.stderr).toBe(PULL_EXIT.ok);
    } finally {
      tls.closeAllConnections();
      await new Promise((resolve) => tls.close(resolve));
    }
  }, 90_000);

  it('the command exits on a 500 (exit code 3), its last line naming the status', async () => {
    state.mode = '500';
    try {
      const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          [...CLI, 'pull', url, '--dir', freshDir()],
          { cwd: REPO, timeout: 90_000 },
          (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
        );
      });
      expect(run.code, run.stderr).toBe(PULL_EXIT.download);
      const last = JSON.parse(run.stderr.trim().split('\n').at(-1)!) as { level: string; msg: string };
      expect(last).toMatchObject({
        level: 'error',
        msg: `cannot download ${url}: it answered HTTP 500 Internal Server Error (5 tries)`,
      });
    } finally {
      state.mode = 'ok';
    }
  }, 120_000);
});
