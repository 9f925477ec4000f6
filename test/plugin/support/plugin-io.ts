// Runs `kubectl-llama` in-process, as main.ts does, with memory streams: what it printed on stdout and
// stderr and its exit code. Also the subprocess form (tsx plugin/main.ts) for the real executable.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { runPlugin } from '../../../plugin/cli.js';
import type { PluginIo } from '../../../plugin/io.js';

export interface PluginResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface MemoryIo extends PluginIo {
  readonly out: () => string;
  readonly err: () => string;
}

export function memoryIo(env: NodeJS.ProcessEnv, stdin = '', now = Date.now): MemoryIo {
  const collect = () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
  };
  const stdout = collect();
  const stderr = collect();
  return {
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdin: Readable.from([stdin]),
    env,
    now,
    out: stdout.text,
    err: stderr.text,
  };
}

/** `kubectl-llama ARGS` in-process; `env` replaces the process environment (KUBECONFIG, HOME). */
export async function plugin(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { stdin?: string; now?: () => number } = {},
): Promise<PluginResult> {
  const io = memoryIo(env, options.stdin, options.now);
  const code = await runPlugin(args, io);
  // Let the PassThroughs deliver what was written.
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: io.out(), stderr: io.err() };
}

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** The real executable (tsx plugin/main.ts) as kubectl would run it, in its own process. */
export function pluginProcess(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
): Promise<PluginResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      [join(ROOT, 'plugin', 'main.ts'), ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: timeoutMs,
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
