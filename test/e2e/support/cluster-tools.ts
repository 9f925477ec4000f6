// Small helpers the end-to-end suite uses against the local cluster: a `kubectl port-forward` that is
// ready when its local port accepts connections, the chat client bundled for a Pod, and JSON reads.
import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { nodeBinary } from '../../harness/local-cluster/binaries.js';
import { freePort } from '../../harness/ports.js';
import { waitFor } from '../../harness/wait.js';

export interface PortForward {
  readonly url: string;
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** `kubectl port-forward service/<name> <free port>:<remote>` on 127.0.0.1, as a user runs it. */
export async function portForward(
  kubeconfig: string,
  namespace: string,
  target: string,
  remotePort: number,
): Promise<PortForward> {
  const local = await freePort();
  const child: ChildProcess = spawn(
    nodeBinary('kubectl'),
    [
      '--kubeconfig',
      kubeconfig,
      '--namespace',
      namespace,
      'port-forward',
      '--address',
      '127.0.0.1',
      target,
      `${local}:${remotePort}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(async () => portOpen(local), {
      description: `kubectl port-forward ${target} on 127.0.0.1:${local}`,
      timeoutMs: 30_000,
      intervalMs: 200,
      abortIf: () => {
        if (child.exitCode !== null) throw new Error(`kubectl port-forward exited: ${output}`);
      },
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `http://127.0.0.1:${local}`, stop };
}

/** chat-in-pod.ts with the openai package, as one ES module for the runtime image's node. */
export async function bundleChatClient(): Promise<string> {
  const here = dirname(fileURLToPath(import.meta.url));
  const result = await build({
    entryPoints: [join(here, 'chat-in-pod.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const [file] = result.outputFiles;
  if (!file) throw new Error('esbuild wrote nothing for chat-in-pod.ts');
  return file.text;
}
