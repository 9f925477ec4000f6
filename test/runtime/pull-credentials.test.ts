// Download credentials through the real `pull` command and node-llama-cpp's downloader, against a
// loopback server that records what each request carried: the bearer token reaches an https-style
// source, HF_TOKEN reaches the Hugging Face endpoint of an hf: URI (HF_ENDPOINT points it at the
// loopback server), each token only where it belongs, and no token is ever printed.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_ENV } from '../../charts/runtime-contract.js';
import { HF_ENDPOINT_ENV } from '../../runtime/pull/credentials.js';
import { type TinyModelDir, tinyModelDir } from './runtime-fixture.js';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..');
const CLI = ['--import', 'tsx', join(REPO, 'runtime', 'cli', 'cli.ts')];
const HF_TOKEN = 'hf_test_0123456789secret';
const BEARER = 'mirror-test-token-secret';

describe('pull with credentials (real command, loopback server)', () => {
  let model: TinyModelDir;
  let data: Buffer;
  let url: string;
  let close: () => void;
  const seen: Array<{ path: string; headers: IncomingHttpHeaders }> = [];

  beforeAll(async () => {
    model = await tinyModelDir();
    data = await readFile(model.modelPath);
    const server = createServer((req, res) => {
      seen.push({ path: req.url ?? '', headers: req.headers });
      // Serves the one file under any .gguf path: /model.gguf and /OWNER/REPO/resolve/main/model.gguf.
      if (!(req.url ?? '').split('?')[0]?.endsWith('.gguf')) {
        res.writeHead(404).end();
        return;
      }
      const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      const end = range?.[2] ? Number(range[2]) : data.length - 1;
      res.writeHead(range ? 206 : 200, {
        'content-length': end - start + 1,
        'accept-ranges': 'bytes',
        ...(range ? { 'content-range': `bytes ${start}-${end}/${data.length}` } : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : data.subarray(start, end + 1));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => {
      server.close();
      server.closeAllConnections();
    };
  });
  afterAll(async () => {
    close?.();
    await model?.remove();
  });

  async function pull(uri: string, env: Record<string, string>) {
    const dir = await mkdtemp(join(tmpdir(), 'kubellama-pull-cred-'));
    seen.length = 0;
    try {
      const result = await run(process.execPath, [...CLI, 'pull', uri, '--dir', dir], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        timeout: 60_000,
      });
      return { output: result.stdout + result.stderr, requests: [...seen] };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('sends the bearer token with every request to an http(s) source, and prints it nowhere', async () => {
    const { output, requests } = await pull(`${url}/model.gguf`, {
      [RUNTIME_ENV.modelToken]: BEARER,
      [RUNTIME_ENV.huggingFaceToken]: HF_TOKEN,
    });
    expect(output).toContain('"msg":"pulled"');
    expect(requests.length).toBeGreaterThan(0);
    // The source is not huggingface.co: the Hugging Face token is not its business.
    for (const r of requests) expect(r.headers.authorization).toBe(`Bearer ${BEARER}`);
    expect(output).not.toContain(BEARER);
    expect(output).not.toContain(HF_TOKEN);
  });

  it('sends HF_TOKEN to the Hugging Face endpoint of an hf: URI (HF_ENDPOINT), and nothing without one', async () => {
    const uri = 'hf:owner/repo/model.gguf';
    const withToken = await pull(uri, {
      [HF_ENDPOINT_ENV]: `${url}/`,
      [RUNTIME_ENV.huggingFaceToken]: HF_TOKEN,
      [RUNTIME_ENV.modelToken]: BEARER,
    });
    expect(withToken.output).toContain('"msg":"pulled"');
    expect(withToken.requests.map((r) => r.path.split('?')[0])).toContain(
      '/owner/repo/resolve/main/model.gguf',
    );
    for (const r of withToken.requests) expect(r.headers.authorization).toBe(`Bearer ${HF_TOKEN}`);
    expect(withToken.output).not.toContain(HF_TOKEN);
    const without = await pull(uri, { [HF_ENDPOINT_ENV]: `${url}/` });
    expect(without.requests.length).toBeGreaterThan(0);
    for (const r of without.requests) expect(r.headers.authorization).toBeUndefined();
  });
});
