// A private model mirror for the end-to-end suite: a CA made with openssl, a server certificate for the
// node's IP signed by it, and a small Node https server (Range support, like a real mirror) run with
// `nsenter --net=` inside the local cluster's network namespace, so Pods reach it at the node's IP and
// nothing listens outside that namespace. `sendSeconds` makes it a slow mirror: each answer's body goes
// out in 20 pieces spread over that many seconds (bounded: a download never takes much longer), so a
// test can watch the download's progress.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_NETWORK } from '../../harness/local-cluster/index.js';

export interface ModelMirror {
  /** `https://<node IP>:<port>/models/<file>` */
  readonly url: string;
  /** The CA's PEM: what spec.model.caBundle's ConfigMap holds. */
  readonly caPem: string;
  /** Every request the mirror answered: `GET /models/tiny.gguf bytes=0-`. */
  readonly requests: readonly string[];
  stop(): Promise<void>;
}

const SERVER = `
import { createServer } from 'node:https';
import { createReadStream, readFileSync, statSync } from 'node:fs';
const [cert, key, file, name, host, port, sendSeconds] = process.argv.slice(2);
const sendMs = Number(sendSeconds) * 1000;
const PIECES = 20;
const size = statSync(file).size;
createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
  console.log(JSON.stringify({ line: req.method + ' ' + req.url + ' ' + (req.headers.range ?? '') }));
  if (req.url !== '/models/' + name) return res.writeHead(404).end();
  const range = /^bytes=(\\d+)-(\\d*)$/.exec(req.headers.range ?? '');
  const start = range ? Number(range[1]) : 0;
  const end = range && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
  const headers = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes', 'content-length': end - start + 1 };
  if (range) headers['content-range'] = 'bytes ' + start + '-' + end + '/' + size;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD') return res.end();
  if (!(sendMs > 0)) return createReadStream(file, { start, end }).pipe(res);
  const body = readFileSync(file).subarray(start, end + 1);
  let piece = 0;
  const send = () => {
    if (res.destroyed) return;
    res.write(body.subarray(Math.floor((body.length * piece) / PIECES), Math.floor((body.length * (piece + 1)) / PIECES)));
    if (++piece >= PIECES) return res.end();
    setTimeout(send, sendMs / PIECES);
  };
  send();
}).listen(Number(port), host, () => console.log(JSON.stringify({ listening: true })));
`;

function openssl(args: string[], dir: string): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes the CA and the server certificate for `ip` in `dir`; answers the CA's PEM path. */
export function makeCertificates(dir: string, ip: string): { ca: string; cert: string; key: string } {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=kubellama e2e mirror CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${ip}`,
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    ],
    dir,
  );
  writeFileSync(
    join(dir, 'server.ext'),
    `subjectAltName=IP:${ip}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      'server.ext',
      '-out',
      'server.crt',
    ],
    dir,
  );
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
}

/** Serves `file` as `/models/<name>` over https at the node's IP, from inside its network namespace. */
export async function startModelMirror(
  dir: string,
  file: string,
  name: string,
  port = 8443,
  options: { sendSeconds?: number } = {},
): Promise<ModelMirror> {
  const ip = NODE_NETWORK.nodeIp;
  const certs = makeCertificates(dir, ip);
  const script = join(dir, 'mirror.mjs');
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
      String(options.sendSeconds ?? 0),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const requests: string[] = [];
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  await new Promise<void>((resolve, reject) => {
    let buffer = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = JSON.parse(buffer.slice(0, nl)) as { listening?: boolean; line?: string };
        buffer = buffer.slice(nl + 1);
        if (line.listening) resolve();
        if (line.line) requests.push(line.line.trim());
      }
    });
    child.once('exit', (code) => reject(new Error(`the model mirror exited (${code}): ${stderr}`)));
    setTimeout(() => reject(new Error(`the model mirror did not listen in 20 s: ${stderr}`)), 20_000);
  });
  return {
    url: `https://${ip}:${port}/models/${name}`,
    caPem: readFileSync(certs.ca, 'utf8'),
    requests,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
