// A model mirror that fails on purpose, for model-faults.test.ts: one https server inside the local
// node's network namespace (like test/e2e/support/model-server.ts, with its own CA), serving one model
// file under one path per fault — `/<fault>/<name>` — each broken until the test fixes it:
//   500         every request answers HTTP 500
//   truncate    every response promises the whole range and closes the connection halfway through
//   other-bytes serves other bytes of the same length (the sha256 does not match)
// `fix(fault)` makes that path serve the file as a good mirror does (Range support); `/ok/<name>`
// always does.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCertificates } from '../../e2e/support/model-server.js';
import { NODE_NETWORK } from '../../harness/local-cluster/index.js';

export const MIRROR_FAULTS = ['500', 'truncate', 'other-bytes'] as const;
export type MirrorFault = (typeof MIRROR_FAULTS)[number];

export interface FaultyMirror {
  /** `https://<node IP>:<port>/<fault>/<name>` (`ok`: never broken) */
  url(fault: MirrorFault | 'ok'): string;
  /** The CA's PEM (for a caBundle ConfigMap). */
  readonly caPem: string;
  /** Every request answered: `GET /500/tiny.gguf bytes=0-` → status. */
  readonly requests: readonly string[];
  /** From now on the path of `fault` serves the file correctly. */
  fix(fault: MirrorFault): Promise<void>;
  stop(): Promise<void>;
}

const SERVER = `
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
const [cert, key, file, name, host, port] = process.argv.slice(2);
const good = readFileSync(file);
const other = Buffer.alloc(good.length, 7);
const broken = new Set(['500', 'truncate', 'other-bytes']);
createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, fault] = line.trim().split(' ');
  if (command === 'fix') broken.delete(fault);
  console.log(JSON.stringify({ fixed: fault }));
});
createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
  const [, fault, file_] = req.url.split('/');
  const log = (status) => console.log(JSON.stringify({ line: req.method + ' ' + req.url + ' ' + (req.headers.range ?? '') + ' → ' + status }));
  if (file_ !== name || !['ok', '500', 'truncate', 'other-bytes'].includes(fault)) { log(404); return res.writeHead(404).end(); }
  const fault_ = broken.has(fault) ? fault : 'ok';
  if (fault_ === '500') { log(500); return res.writeHead(500).end('the mirror is broken'); }
  const data = fault_ === 'other-bytes' ? other : good;
  const range = /^bytes=(\\d+)-(\\d*)$/.exec(req.headers.range ?? '');
  const start = range ? Number(range[1]) : 0;
  const end = range && range[2] ? Math.min(Number(range[2]), data.length - 1) : data.length - 1;
  const headers = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes', 'content-length': end - start + 1 };
  if (range) headers['content-range'] = 'bytes ' + start + '-' + end + '/' + data.length;
  log(range ? 206 : 200);
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD') return res.end();
  if (fault_ === 'truncate' && range) {
    const cut = Math.floor(data.length / 2);
    if (start >= cut) return res.destroy();
    return res.write(data.subarray(start, cut), () => res.destroy());
  }
  res.end(data.subarray(start, end + 1));
}).listen(Number(port), host, () => console.log(JSON.stringify({ listening: true })));
`;

/** Serves `file` as `/<fault>/<name>` over https at the node's IP, from inside its network namespace. */
export async function startFaultyMirror(
  dir: string,
  file: string,
  name: string,
  port = 8444,
): Promise<FaultyMirror> {
  const ip = NODE_NETWORK.nodeIp;
  mkdirSync(dir, { recursive: true });
  const certs = makeCertificates(dir, ip);
  const script = join(dir, 'faulty-mirror.mjs');
  writeFileSync(script, SERVER);
  const child: ChildProcess = spawn(
    'nsenter',
    [
      `--net=${NODE_NETWORK.netnsPath}`,
      '--',
      process.execPath,
      script,
      certs.cert,
      certs.key,
      file,
      name,
      ip,
      String(port),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const requests: string[] = [];
  const fixed = new Map<string, () => void>();
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  await new Promise<void>((resolve, reject) => {
    let buffer = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = JSON.parse(buffer.slice(0, nl)) as {
          listening?: boolean;
          line?: string;
          fixed?: string;
        };
        buffer = buffer.slice(nl + 1);
        if (line.listening) resolve();
        if (line.line) requests.push(line.line.trim());
        if (line.fixed) fixed.get(line.fixed)?.();
      }
    });
    child.once('exit', (code) => reject(new Error(`the faulty mirror exited (${code}): ${stderr}`)));
    setTimeout(() => reject(new Error(`the faulty mirror did not listen in 20 s: ${stderr}`)), 20_000);
  });
  return {
    url: (fault) => `https://${ip}:${port}/${fault}/${name}`,
    caPem: readFileSync(certs.ca, 'utf8'),
    requests,
    fix: (fault) =>
      new Promise<void>((resolve) => {
        fixed.set(fault, resolve);
        child.stdin?.write(`fix ${fault}\n`);
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
